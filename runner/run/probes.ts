// Questions only the data can answer, asked through any engine: how wide a text or float
// column's numbers are (for the exact DECIMAL both sides are read as), refused with an
// example when a value is not a number.
import { numericProbeSql } from '../compare/build-sql.ts';
import type { NumericShape, Side } from '../compare/plan.ts';
import type { Engine } from '../engine/engine.ts';
import { numberOf, RunError } from './context.ts';

export async function probeNumeric(
  engine: Engine,
  relation: string,
  side: Side,
  column: string,
  sideName: string,
  field?: string,
  allowWide = false,
): Promise<NumericShape> {
  const r = await engine.one(numericProbeSql(relation, column, engine.dialect));
  const bad = numberOf(r.bad);
  if (bad > 0) {
    throw new RunError(
      'compare',
      `${field ? `${field}: ` : ''}column "${column}" on the ${side} side (${sideName}) is compared as a number but ${bad} value(s) are not numbers, e.g. ${JSON.stringify(r.example)}; clean or cast them in spec.${side}.query`,
    );
  }
  const intDigits = numberOf(r.int_digits);
  const scale = numberOf(r.scale);
  if (intDigits + scale > 38 && !allowWide) {
    throw new RunError('compare', `column "${column}" on the ${side} side (${sideName}) has numbers with ${intDigits + scale} digits; at most 38 can be compared exactly`);
  }
  return { intDigits, scale };
}
