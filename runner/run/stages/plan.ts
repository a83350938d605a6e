// Plan: describe both sides, resolve keys and compare columns (compare/plan.ts), ask the
// data only what the types cannot tell (numeric widths of text or float columns, values
// of text that must convert), and return the plan every later stage builds SQL from.
import { castProbeSql } from '../../compare/build-sql.ts';
import { castNeedsProbe } from '../../compare/column-types.ts';
import { finalizePlan, PlanError, probeKey, resolveColumns, type Column, type ComparePlan, type NumericShape } from '../../compare/plan.ts';
import type { Engine } from '../../engine/engine.ts';
import { numberOf, RunError, type RunContext } from '../context.ts';
import { probeNumerics } from '../probes.ts';
import { noRows, type Loaded } from './load.ts';

export interface Planned {
  plan: ComparePlan;
  /** The sides' columns as described (for messages). */
  columns: { left: Column[]; right: Column[] };
}

export async function planCompare(ctx: RunContext, engine: Engine, loaded: Loaded): Promise<Planned> {
  const { spec, names } = ctx;
  const rel = loaded.relation;
  const describe = async (side: 'left' | 'right') =>
    (await engine.describe(rel[side])).map((c) => ({ name: c.name, type: engine.dialect.canonicalType(c.type) }));
  const leftCols = await ctx.step('query', `spec.left.query (${names.left})`, () => describe('left'));
  const rightCols = await ctx.step('query', `spec.right.query (${names.right})`, () => describe('right'));
  const resolved = await ctx.step('compare', undefined, async () => {
    try {
      return resolveColumns(spec, leftCols, rightCols, names, loaded.guessed);
    } catch (err) {
      // "column id not found; available: column0" is what an empty file looks like: say that.
      const side = err instanceof PlanError ? err.side : undefined;
      if (side && loaded.inputRows[side] === 0 && !spec[side].query) throw new RunError('compare', `spec.${side}.uri: ${noRows(ctx, side)}; ${err instanceof Error ? err.message : ''}`);
      throw err;
    }
  });
  const probed = new Map<string, NumericShape>();
  for (const side of ['left', 'right'] as const) {
    const asked = resolved.probes.filter((p) => p.side === side);
    if (asked.length === 0) continue;
    const shapes = await ctx.step('compare', undefined, async () => probeNumerics(engine, rel[side], side, asked, names[side]));
    for (const [column, shape] of shapes) probed.set(probeKey(side, column), shape);
  }
  const plan: ComparePlan = await ctx.step('compare', undefined, async () => finalizePlan(resolved, probed));
  // Text read as BOOLEAN, DATE or a timestamp: a value that does not convert is named here,
  // not in a cast error from the middle of the compare statement. A column whose type
  // proves the conversion is not asked.
  for (const c of [...plan.keys, ...plan.compares]) {
    if (c.coercion.kind !== 'cast') continue;
    const type = c.coercion.type;
    for (const side of ['left', 'right'] as const) {
      const col = side === 'left' ? c.left : c.right;
      if (!castNeedsProbe(col.type, type)) continue;
      const r = await ctx.step('compare', undefined, () => engine.one(castProbeSql(rel[side], col.name, type, engine.dialect)));
      if (numberOf(r.bad) > 0) {
        throw new RunError(
          'compare',
          `${c.field}: column "${col.name}" on the ${side} side (${names[side]}) is compared as ${type} but ${numberOf(r.bad)} value(s) are not, e.g. ${JSON.stringify(r.example)}; clean or cast them in spec.${side}.query`,
        );
      }
    }
  }
  ctx.progress(
    `compare  keys: ${plan.keys.map((k) => (k.left.name === k.right.name ? k.name : `${k.left.name}=${k.right.name}`)).join(', ')}; ` +
      `columns: ${plan.compares.map((c) => c.name).join(', ') || '(none: keys only)'}`,
  );
  return { plan, columns: { left: leftCols, right: rightCols } };
}
