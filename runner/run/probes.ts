// Questions only the data can answer, asked through any engine: how wide a text or float
// column's numbers are (for the exact DECIMAL both sides are read as), refused with an
// example when a value is not a number. All columns of one relation are asked in one scan.
import { numericProbesSql } from '../compare/build-sql.ts';
import type { NumericShape, Side } from '../compare/plan.ts';
import type { Engine } from '../engine/engine.ts';
import { numberOf, RunError } from './context.ts';

/** One column to ask about; `field` is the spec field named in a refusal (e.g. spec.compare[2]). */
export interface NumericProbe {
  column: string;
  field?: string | undefined;
}

/** Columns per statement: one scan each, and a statement size every engine parses quickly. */
const COLUMNS_PER_SCAN = 500;

/**
 * The numeric shape of each column (by name), refusing the first column (in the order given)
 * that holds a value that is not a number, or, unless `allowWide`, numbers wider than 38
 * digits. With `allowWide` the caller decides what a wide column means.
 */
export async function probeNumerics(
  engine: Pick<Engine, 'rows' | 'dialect'>,
  relation: string,
  side: Side,
  probes: readonly NumericProbe[],
  sideName: string,
  allowWide = false,
): Promise<Map<string, NumericShape>> {
  const shapes = new Map<string, NumericShape>();
  const unique = probes.filter((p, i) => probes.findIndex((q) => q.column === p.column) === i);
  for (let from = 0; from < unique.length; from += COLUMNS_PER_SCAN) {
    const chunk = unique.slice(from, from + COLUMNS_PER_SCAN);
    const rows = await engine.rows(numericProbesSql(relation, chunk.map((p) => p.column), engine.dialect));
    const byColumn = new Map(rows.map((r) => [String(r.col), r]));
    for (const [i, p] of chunk.entries()) {
      // No row: every value is NULL, which is no number to size.
      const r = byColumn.get(`v${i}`) ?? { bad: 0, int_digits: 1, scale: 0 };
      const bad = numberOf(r.bad);
      const prefix = p.field ? `${p.field}: ` : '';
      if (bad > 0) {
        throw new RunError(
          'compare',
          `${prefix}column "${p.column}" on the ${side} side (${sideName}) is compared as a number but ${bad} value(s) are not numbers, e.g. ${JSON.stringify(r.example)}; clean or cast them in spec.${side}.query`,
        );
      }
      const shape = { intDigits: numberOf(r.int_digits), scale: numberOf(r.scale) };
      if (!allowWide) assertComparableWidth(shape, p.column, side, sideName);
      shapes.set(p.column, shape);
    }
  }
  return shapes;
}

/**
 * The exact DECIMAL each probed text column is read as, from its shape. Whole numbers wider
 * than a DECIMAL holds have no type here and stay text, exactly as written: with `allowWide`
 * probes (JSON, where an integer has one spelling) only; otherwise probeNumerics refused them.
 * Anything else that wide is refused.
 */
export function exactDecimalTypes(shapes: ReadonlyMap<string, NumericShape>, side: Side, sideName: string): Array<{ column: string; type: string }> {
  const types: Array<{ column: string; type: string }> = [];
  for (const [column, shape] of shapes) {
    if (shape.intDigits + shape.scale > 38) {
      if (shape.scale === 0) continue;
      assertComparableWidth(shape, column, side, sideName);
    }
    // At most 38 digits here: wider ones were skipped or refused above.
    types.push({ column, type: `DECIMAL(${Math.max(shape.intDigits + shape.scale, 1)},${shape.scale})` });
  }
  return types;
}

/** Refuses numbers wider than the 38 digits a DECIMAL holds. */
export function assertComparableWidth(shape: NumericShape, column: string, side: Side, sideName: string): void {
  const digits = shape.intDigits + shape.scale;
  if (digits > 38) throw new RunError('compare', `column "${column}" on the ${side} side (${sideName}) has numbers with ${digits} digits; at most 38 can be compared exactly`);
}

/** One column's shape (probeNumerics for a single column). */
export async function probeNumeric(engine: Pick<Engine, 'rows' | 'dialect'>, relation: string, side: Side, column: string, sideName: string, field?: string): Promise<NumericShape> {
  return (await probeNumerics(engine, relation, side, [{ column, field }], sideName)).get(column)!;
}
