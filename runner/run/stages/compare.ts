// Compare: the recon table (from the grouped pass when it proved the keys unique, else the
// compare join with duplicated keys set aside), its counts in one scan, and the cross-check
// that every key is classified exactly once. Counts come from here and nowhere else.
import { dupKeysTableSql, reconFromGroupedSql, reconStatsSql, reconTableSql, setAsideCountSql } from '../../compare/build-sql.ts';
import type { Column, ComparePlan } from '../../compare/plan.ts';
import { dropTable, type Engine } from '../../engine/engine.ts';
import { expectationsFrom, isBalanced, type Counts } from '../summary.ts';
import { numberOf, RunError, type RunContext } from '../context.ts';
import type { KeyCounts } from './keys.ts';

export interface Compared {
  counts: Counts;
  mismatchedByColumn: Record<string, number>;
  diffTotals: Record<string, string>;
  warnings: string[];
  /** The warnings that keep the run from being balanced whatever its counts (it compared nothing). */
  unbalancedBy: string[];
  balanced: boolean;
}

export async function compareRows(
  ctx: RunContext,
  engine: Engine,
  plan: ComparePlan,
  keys: KeyCounts,
  columns: { left: Column[]; right: Column[] },
  /** Spec paths of CSV inputs: NULL-vs-empty-text mismatches point at their csv.nullString. */
  csvFields: readonly string[] = [],
): Promise<Compared> {
  const { spec, mode } = ctx;
  const d = engine.dialect;
  const hasDups = keys.dupKeysLeft + keys.dupKeysRight > 0;
  const stats = await ctx.step('compare', undefined, async () => {
    let setAsideLeft = 0;
    let setAsideRight = 0;
    if (hasDups) {
      await engine.run(dupKeysTableSql(plan, d));
      if (keys.dupKeysRight > 0) setAsideLeft = numberOf((await engine.one(setAsideCountSql(plan, 'left', d))).n);
      if (keys.dupKeysLeft > 0) setAsideRight = numberOf((await engine.one(setAsideCountSql(plan, 'right', d))).n);
    }
    if (keys.plainMatches !== undefined) {
      await engine.run(reconFromGroupedSql(plan, d));
      await dropTable(engine, 'recon_grouped');
    } else {
      await engine.run(reconTableSql(plan, { mode, excludeDuplicates: hasDups }, d));
    }
    const s = await engine.one(reconStatsSql(plan, d));
    return { s, setAsideLeft, setAsideRight };
  });
  const mismatched = numberOf(stats.s.mismatched);
  const leftOnly = numberOf(stats.s.left_only);
  const rightOnly = numberOf(stats.s.right_only);
  // Keys present exactly once on a side and not set aside: every one is matched, mismatched or one-sided.
  const oneToOneLeft = keys.leftRows - keys.nullLeft - keys.dupRowsLeft - stats.setAsideLeft;
  const oneToOneRight = keys.rightRows - keys.nullRight - keys.dupRowsRight - stats.setAsideRight;
  const matched = oneToOneLeft - mismatched - leftOnly;
  const matchedFromRight = oneToOneRight - mismatched - rightOnly;
  const storedMatched = numberOf(stats.s.stored_matched);
  if (
    matched !== matchedFromRight ||
    matched < storedMatched ||
    (mode === 'Full' && matched !== storedMatched) ||
    (keys.plainMatches !== undefined && matched !== keys.plainMatches + storedMatched)
  ) {
    throw new RunError(
      'compare',
      `internal consistency check failed: matched keys ${matched} (from the left) vs ${matchedFromRight} (from the right), ${storedMatched} stored; no result was written. Please report this with the spec.`,
    );
  }
  const counts: Counts = {
    left: keys.leftRows,
    right: keys.rightRows,
    matched,
    mismatched,
    leftOnly,
    rightOnly,
    duplicateKeysLeft: keys.dupKeysLeft,
    duplicateKeysRight: keys.dupKeysRight,
    nullKeysLeft: keys.nullLeft,
    nullKeysRight: keys.nullRight,
  };
  const mismatchedByColumn: Record<string, number> = {};
  const diffTotals: Record<string, string> = {};
  plan.compares.forEach((c, i) => {
    mismatchedByColumn[c.name] = numberOf(stats.s[`mm${i}`]);
    if (c.decimal) diffTotals[c.name] = String(stats.s[`dt${i}`]);
  });
  const warnings = comparedNothing(spec, plan, columns, counts);
  // Only a run that compared nothing is unbalanced by its warning; the others explain counts.
  const unbalancedBy = [...warnings];
  const balanced = unbalancedBy.length === 0 && isBalanced(counts, expectationsFrom(spec.expect));
  if (csvFields.length) {
    plan.compares.forEach((c, i) => {
      const n = numberOf(stats.s[`en${i}`]);
      if (n === 0) return;
      warnings.push(
        `${n} mismatch(es) of "${c.name}" are an empty field read as NULL against an empty text ('') on the other side: the CSV reader reads empty fields, quoted ("") or not, as NULL; ` +
          `to read them as empty text set csv.nullString on ${csvFields.join(' and ')} to the text that means NULL in the file (e.g. "NULL" or "\\N")`,
      );
    });
  }
  ctx.progress(
    `compare  matched ${matched}, mismatched ${mismatched}, left-only ${leftOnly}, right-only ${rightOnly}, ` +
      `duplicate keys ${keys.dupKeysLeft + keys.dupKeysRight}, null keys ${keys.nullLeft + keys.nullRight} -> ${balanced ? 'BALANCED' : 'UNBALANCED'}`,
  );
  for (const w of warnings) ctx.progress(`compare  warning: ${w}`);
  return { counts, mismatchedByColumn, diffTotals, warnings, unbalancedBy, balanced };
}

/**
 * Why a run whose counts are all zero proves nothing: no value was compared (the keys line
 * up, and that is all), or no row was there to compare. Such a run must not pass as
 * balanced unless the spec asks for exactly that (compare: [], expect.allowEmpty).
 */
export function comparedNothing(
  spec: Pick<RunContext['spec'], 'aggregate' | 'compare' | 'expect'>,
  plan: Pick<ComparePlan, 'compares'>,
  columns: { left: Array<{ name: string }>; right: Array<{ name: string }> },
  counts: Pick<Counts, 'left' | 'right'>,
): string[] {
  const why: string[] = [];
  if (plan.compares.length === 0 && !spec.aggregate && spec.compare === undefined) {
    why.push(
      `no column was compared: the sides have no common non-key column (left: ${someNames(columns.left)}; right: ${someNames(columns.right)}); ` +
        'list the columns in spec.compare (with right: for differing names), or write compare: [] to compare keys only',
    );
  }
  if (counts.left === 0 && counts.right === 0 && spec.expect?.allowEmpty !== true) {
    why.push(
      'no row was compared: both sides are empty for this window (the files hold no rows, or the queries keep none); ' +
        'check the inputs and the window, or set expect.allowEmpty: true if a window without rows is expected',
    );
  }
  return why;
}

/** Column names for a message: the first 20, then how many more. */
function someNames(cols: Array<{ name: string }>): string {
  const shown = cols.slice(0, 20).map((c) => c.name).join(', ');
  return cols.length > 20 ? `${shown} and ${cols.length - 20} more` : shown;
}
