// Resolves a spec against the columns both sides really have: which columns are keys,
// which are compared, and in what type. Pure; the shell describes the relations and
// runs the numeric probes this module asks for, then calls `finalizePlan`.
import { foldName } from '../spec/fold-name.ts';
import type { CompareColumnSpec, Normalizer, ReconJobSpec, ToleranceSpec } from '../spec/schema.ts';
import { decideCoercion, MAX_DECIMAL_PRECISION, normalizeType, numericShape, type Coercion, classifyType } from './column-types.ts';
import { isNestedType } from './nested-types.ts';
import { decimalScale, numberToDecimalText } from './sql-text.ts';
import { DUPLICATE_COLUMNS, LEDGER_COLUMNS, MONEY_COLUMNS } from '../breaks/columns.ts';

export interface Column {
  name: string;
  type: string;
}

export class PlanError extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** The side a missing column was looked for on. */
    readonly side?: Side,
  ) {
    super(`${field}: ${message}`);
    this.name = 'PlanError';
  }
}

export type Side = 'left' | 'right';

export interface NumericShape {
  intDigits: number;
  scale: number;
}

export interface ResolvedColumn {
  /** Output name: the left column name (keys and compare columns alike). */
  name: string;
  left: Column;
  right: Column;
  coercion: Coercion;
  normalize: Normalizer[];
  tolerance?: { absolute: string; relative: string };
  field: string;
}

export interface ResolvedColumns {
  keys: ResolvedColumn[];
  compares: ResolvedColumn[];
  carried: CarriedColumn[];
  /** Numeric columns whose width only the data can tell (text or float sides). */
  probes: Array<{ side: Side; column: string; field: string }>;
}

export interface PlannedColumn extends ResolvedColumn {
  /**
   * For numeric coercion: the DECIMAL type both sides are read as, and the wider one for
   * diffs and tolerances. `integers`: both sides are integer types, compared as they are
   * (equal as integers exactly when equal as decimals) and cast to `type` only for output.
   */
  decimal?: { type: string; diffType: string; scale: number; integers?: boolean };
}

/** A column carried into the result from both sides, not compared (spec.output.columns). */
export interface CarriedColumn {
  /** Result columns are <name>_left and <name>_right. */
  name: string;
  left: Column;
  right: Column;
  field: string;
}

export interface ComparePlan {
  keys: PlannedColumn[];
  compares: PlannedColumn[];
  carried?: CarriedColumn[];
}

/**
 * A column by name. DuckDB identifiers ignore case, so a name matches ignoring case
 * (`amount` finds `AMOUNT`, docs/design.md, Compare semantics); an exact match wins when a side has both.
 */
export function findColumn(columns: Column[], name: string, side: Side, sideName: string, field: string): Column {
  const exact = columns.find((c) => c.name === name);
  if (exact) return exact;
  const ci = columns.filter((c) => sameName(c.name, name));
  if (ci.length === 1) return ci[0]!;
  if (ci.length > 1) {
    throw new PlanError(field, `column "${name}" matches ${ci.map((c) => `"${c.name}"`).join(' and ')} on the ${side} side (${sideName}), which differ only in letter case; rename one in spec.${side}.query`);
  }
  throw new PlanError(
    field,
    `column "${name}" not found on the ${side} side (${sideName}); available columns: ${columns.map((c) => c.name).join(', ') || '(none)'}`,
    side,
  );
}

/** Name equality as DuckDB sees identifiers: ignoring case. */
export function sameName(a: string, b: string): boolean {
  return foldName(a) === foldName(b);
}


/**
 * Prefix of every column name the engine makes up inside its statements. A result column
 * starting with it (in any case) is refused, so generated names never meet user names.
 */
export const INTERNAL_PREFIX = '__raas_';
/** Result columns the engine adds next to the user's; no key or compare column may produce them. */
export const RESERVED_RESULT_COLUMNS = ['recon_status', 'recon_mismatched', ...LEDGER_COLUMNS, ...MONEY_COLUMNS, ...DUPLICATE_COLUMNS] as const;

function toleranceText(t: ToleranceSpec | undefined): { absolute: string; relative: string } | undefined {
  if (!t) return undefined;
  const absolute = numberToDecimalText(t.absolute ?? 0);
  const relative = numberToDecimalText(t.relative ?? 0);
  if (absolute === '0' && relative === '0') return undefined;
  return { absolute, relative };
}

/** The compare columns a spec means: the declared ones, the measures, or every common non-key column. */
export function compareSpecs(spec: ReconJobSpec, leftColumns: Column[], rightColumns: Column[]): Array<CompareColumnSpec & { field: string }> {
  if (spec.aggregate) {
    return spec.aggregate.measures.map((m, i) => ({
      column: m.as,
      right: m.as,
      ...(m.tolerance ? { tolerance: m.tolerance } : {}),
      field: `spec.aggregate.measures[${i}]`,
    }));
  }
  if (spec.compare) return spec.compare.map((c, i) => ({ ...c, field: `spec.compare[${i}]` }));
  const keyNames = new Set(spec.keys.flatMap((k) => [foldName(k.column), foldName(k.right ?? k.column)]));
  const rightNames = new Set(rightColumns.map((c) => foldName(c.name)));
  // Pairs ignoring case (docs/design.md, Compare semantics); findColumn then picks the right side's spelling.
  return leftColumns
    .filter((c) => !keyNames.has(foldName(c.name)) && rightNames.has(foldName(c.name)))
    .map((c) => ({ column: c.name, field: `spec.compare (every common column: ${c.name})` }));
}

/** How a key is compared: declared (keys[].type), or from the two column types, refusing number against text. */
function keyCoercion(
  k: ReconJobSpec['keys'][number],
  i: number,
  left: Column,
  right: Column,
  sideNames: { left: string; right: string },
  guessed: Readonly<Record<Side, boolean>>,
): Coercion {
  const field = `spec.keys[${i}]`;
  const isNumber = (t: string) => ['integer', 'decimal', 'float'].includes(classifyType(t));
  const guessedNumber = (['left', 'right'] as const).find((side) => guessed[side] && isNumber((side === 'left' ? left : right).type));
  const asWritten = 'key on the column as the file names it (not one the query makes), which raas reads as text';
  if (k.type === 'numeric') return { kind: 'numeric' };
  if (k.type === 'text') {
    if (guessedNumber) {
      const col = guessedNumber === 'left' ? left : right;
      throw new PlanError(
        `${field}.type`,
        `is text, but key "${col.name}" on the ${guessedNumber} side (${sideNames[guessedNumber]}) is a number (${col.type}) made from a CSV or JSON column whose type was guessed, so its text as written is lost; use type: numeric, or ${asWritten}`,
      );
    }
    return { kind: 'text' };
  }
  const fix = `set ${field}.type: numeric to compare the keys as numbers ("01" equals "1"), or text to compare them as written`;
  if (isNumber(left.type) !== isNumber(right.type) && [left.type, right.type].some((t) => classifyType(t) === 'text')) {
    const [num, txt] = isNumber(left.type) ? (['left', 'right'] as const) : (['right', 'left'] as const);
    const col = (s: Side) => (s === 'left' ? left : right);
    throw new PlanError(
      field,
      `key "${col(num).name}" is a number (${col(num).type}) on the ${num} side (${sideNames[num]}) and text on the ${txt} side (${sideNames[txt]}), where "01" and "1" differ; ${fix}`,
    );
  }
  if (guessedNumber) {
    const col = guessedNumber === 'left' ? left : right;
    throw new PlanError(
      field,
      `key "${col.name}" on the ${guessedNumber} side (${sideNames[guessedNumber]}) is a number (${col.type}) made from a CSV or JSON column whose type was guessed from its values, so the rest of the file would decide whether "01" equals "1"; ` +
        `set ${field}.type: numeric to compare the keys as numbers, or ${asWritten}`,
    );
  }
  // Keys of one type join as they are: no cast on the join's hot path.
  return left.type === right.type ? { kind: 'same', type: left.type } : decideCoercion(left.type, right.type, false);
}

export function resolveColumns(
  spec: ReconJobSpec,
  leftDescribed: Column[],
  rightDescribed: Column[],
  sideNames: { left: string; right: string },
  /** Sides read from CSV or JSON, whose column types are guessed from the values (their key columns are read as text). */
  guessed: Readonly<Record<Side, boolean>> = { left: false, right: false },
): ResolvedColumns {
  // Type names are made canonical once, here; every decision below compares those.
  const leftColumns = leftDescribed.map((c) => ({ name: c.name, type: normalizeType(c.type) }));
  const rightColumns = rightDescribed.map((c) => ({ name: c.name, type: normalizeType(c.type) }));
  const probes: ResolvedColumns['probes'] = [];
  const probeIfNeeded = (side: Side, col: Column, field: string, force = false) => {
    const c = classifyType(col.type);
    if ((force || c === 'text' || c === 'float') && !probes.some((p) => p.side === side && p.column === col.name)) probes.push({ side, column: col.name, field });
  };

  const keys = spec.keys.map((k, i): ResolvedColumn => {
    const field = `spec.keys[${i}]`;
    const left = findColumn(leftColumns, k.column, 'left', sideNames.left, `${field}.column`);
    const right = findColumn(rightColumns, k.right ?? k.column, 'right', sideNames.right, k.right ? `${field}.right` : `${field}.column`);
    const coercion = keyCoercion(k, i, left, right, sideNames, guessed);
    if (coercion.kind === 'numeric') {
      probeIfNeeded('left', left, field, declaredTooWide(left, right));
      probeIfNeeded('right', right, field, declaredTooWide(left, right));
    }
    return { name: left.name, left, right, coercion, normalize: [], field };
  });

  const compares = compareSpecs(spec, leftColumns, rightColumns).map((c): ResolvedColumn => {
    const left = findColumn(leftColumns, c.column, 'left', sideNames.left, spec.aggregate ? c.field : `${c.field}.column`);
    const right = findColumn(rightColumns, c.right ?? c.column, 'right', sideNames.right, spec.aggregate ? c.field : `${c.field}.${c.right ? 'right' : 'column'}`);
    const tolerance = toleranceText(c.tolerance);
    const normalize = c.normalize ?? [];
    if (tolerance && normalize.length > 0) {
      throw new PlanError(c.field, 'tolerance and normalize cannot be combined: tolerance compares numbers, normalize compares text');
    }
    let coercion: Coercion = normalize.length > 0 ? { kind: 'text' } : decideCoercion(left.type, right.type, tolerance !== undefined);
    if (tolerance && coercion.kind !== 'numeric') {
      throw new PlanError(
        `${c.field}.tolerance`,
        `needs numbers, but "${left.name}" is ${left.type} on the left and "${right.name}" is ${right.type} on the right; remove the tolerance or cast the column in the side's query`,
      );
    }
    if (coercion.kind === 'numeric') {
      // relative * |left| needs the column's digits plus the tolerance's within DECIMAL(38):
      // declared widths are often generous (sum() says 38), so ask the data how wide it is.
      const relWide = (tolerance !== undefined && tolerance.relative !== '0') || declaredTooWide(left, right);
      probeIfNeeded('left', left, c.field, relWide);
      probeIfNeeded('right', right, c.field, relWide);
    }
    if (coercion.kind === 'same' && classifyType(left.type) === 'other' && isNestedType(left.type)) {
      coercion = { kind: 'text' };
    }
    return { name: left.name, left, right, coercion, normalize, ...(tolerance ? { tolerance } : {}), field: c.field };
  });

  // Every result column once, ignoring case as DuckDB does, and none that the engine uses.
  const seen = new Map<string, string>();
  const claim = (name: string, field: string) => {
    const folded = foldName(name);
    if (folded.startsWith(INTERNAL_PREFIX)) {
      throw new PlanError(field, `result column "${name}" starts with "${INTERNAL_PREFIX}", which raas reserves for its own columns; rename it in the side's query`);
    }
    const prior = seen.get(folded);
    if (prior) throw new PlanError(field, `result column "${name}" would also be produced by ${prior} (names ignore letter case); rename one of them in the side's query`);
    seen.set(folded, field);
  };
  for (const r of RESERVED_RESULT_COLUMNS) claim(r, `raas (the column ${r} of every result)`);
  for (const k of keys) claim(k.name, k.field);
  for (const c of compares) {
    claim(`${c.name}_left`, c.field);
    claim(`${c.name}_right`, c.field);
    if (c.coercion.kind === 'numeric') claim(`${c.name}_diff`, c.field);
  }
  const carried = (spec.output?.columns ?? []).map((c, i): CarriedColumn => {
    const field = `spec.output.columns[${i}]`;
    const left = findColumn(leftColumns, c.column, 'left', sideNames.left, `${field}.column`);
    const right = findColumn(rightColumns, c.right ?? c.column, 'right', sideNames.right, c.right ? `${field}.right` : `${field}.column`);
    return { name: c.column, left, right, field };
  });
  for (const c of carried) {
    claim(`${c.name}_left`, c.field);
    claim(`${c.name}_right`, c.field);
  }
  return { keys, compares, carried, probes };
}

/** Declared widths that together exceed what one exact DECIMAL holds: the data is asked how wide it really is. */
function declaredTooWide(left: Column, right: Column): boolean {
  const l = numericShape(left.type);
  const r = numericShape(right.type);
  if (!l || !r) return false;
  return Math.max(l.intDigits, r.intDigits) + Math.max(l.scale, r.scale) > MAX_DECIMAL_PRECISION - 1;
}

function shapeOf(col: Column, side: Side, probed: ReadonlyMap<string, NumericShape>): NumericShape {
  const measured = probed.get(probeKey(side, col.name));
  // What the data holds, when asked, is at most what the type declares (for the scale, the
  // declared one stays: DuckDB prints a DECIMAL column with all its places).
  const declared = numericShape(col.type);
  if (declared && measured) return { intDigits: Math.min(declared.intDigits, measured.intDigits), scale: declared.scale };
  if (declared) return declared;
  const found = measured;
  if (!found) throw new Error(`internal: no numeric probe for ${side}.${col.name}`);
  return found;
}

export function probeKey(side: Side, column: string): string {
  return `${side}\u0000${column}`;
}

function planDecimal(c: ResolvedColumn, probed: ReadonlyMap<string, NumericShape>): PlannedColumn['decimal'] {
  const l = shapeOf(c.left, 'left', probed);
  const r = shapeOf(c.right, 'right', probed);
  const scale = Math.max(l.scale, r.scale);
  const intDigits = Math.max(l.intDigits, r.intDigits, 1);
  // One digit stays spare so right - left fits the diff type. Declared widths are often
  // generous (sum() returns DECIMAL(38,s), BIGINT allows 19 digits), so the width is
  // capped rather than refused: DuckDB's CAST fails loudly on a value that does not fit,
  // it never rounds one silently.
  const maxPrecision = MAX_DECIMAL_PRECISION - 1;
  if (intDigits + scale > maxPrecision) {
    // Only the data's own widths get here (declared ones this wide are measured first).
    throw new PlanError(
      c.field,
      `"${c.name}" holds numbers with up to ${intDigits} digit(s) before and ${scale} after the point (both sides together); at most ${maxPrecision} digits in all can be compared exactly; round or cast the column in the side's query`,
    );
  }
  if (scale >= maxPrecision) {
    throw new PlanError(c.field, `"${c.name}" has ${scale} decimal places; at most ${maxPrecision - 1} can be compared exactly; round it in the side's query`);
  }
  const precision = Math.min(intDigits + scale, maxPrecision);
  const relScale = c.tolerance ? decimalScale(c.tolerance.relative) : 0;
  if (c.tolerance && c.tolerance.relative !== '0') {
    const [relInt = '0', relFrac = ''] = c.tolerance.relative.split('.');
    const relWidth = Math.max(relInt.replace(/^0+/, '').length, 1) + relFrac.length;
    if (intDigits + scale + 1 + relWidth > MAX_DECIMAL_PRECISION) {
      throw new PlanError(
        `${c.field}.tolerance.relative`,
        `"${c.name}" holds numbers with ${intDigits} digit(s) before and ${scale} after the point; relative × |left| would need more than 38 digits to stay exact; round the column in the side's query or use fewer decimal places in the tolerance`,
      );
    }
  }
  if (scale + relScale > MAX_DECIMAL_PRECISION - 1) {
    throw new PlanError(`${c.field}.tolerance.relative`, `has ${relScale} decimal places; with the ${scale} of "${c.name}" that is more than DECIMAL can hold; use fewer decimal places`);
  }
  // A tolerance wider than DECIMAL can hold next to the column's decimals would fail inside
  // DuckDB with a cast error; refuse it here, naming the field.
  for (const which of ['absolute', 'relative'] as const) {
    const t = c.tolerance?.[which];
    if (t === undefined) continue;
    const intDigits = t.split('.')[0]!.replace(/^-?0*/, '').length;
    if (intDigits + Math.max(scale, decimalScale(t)) + (which === 'relative' ? relScale : 0) > MAX_DECIMAL_PRECISION - 2) {
      throw new PlanError(`${c.field}.tolerance.${which}`, `${t} is too large to compare exactly next to the ${scale} decimal place(s) of "${c.name}"; use a value with at most ${MAX_DECIMAL_PRECISION - 2 - scale} digits before the decimal point`);
    }
  }
  const integers = classifyType(c.left.type) === 'integer' && classifyType(c.right.type) === 'integer';
  return { type: `DECIMAL(${precision},${scale})`, diffType: `DECIMAL(${precision + 1},${scale})`, scale, ...(integers ? { integers } : {}) };
}

export function finalizePlan(resolved: ResolvedColumns, probed: ReadonlyMap<string, NumericShape>): ComparePlan {
  const finish = (c: ResolvedColumn): PlannedColumn => (c.coercion.kind === 'numeric' ? { ...c, decimal: planDecimal(c, probed) } : { ...c });
  // Keys keep the DECIMAL even between integer types: the result's key column shows it.
  const key = (c: ResolvedColumn): PlannedColumn => {
    const p = finish(c);
    if (!p.decimal?.integers) return p;
    const { integers: _, ...decimal } = p.decimal;
    return { ...p, decimal };
  };
  return { keys: resolved.keys.map(key), compares: resolved.compares.map(finish), carried: resolved.carried };
}
