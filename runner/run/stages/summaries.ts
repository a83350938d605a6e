// Summaries: the result table (the rows the output mode keeps, in key order) and each
// spec.summaries entry over it: user SQL, checked first, that must return one value.
import { resultTableViewSql } from '../../compare/build-sql.ts';
import type { ComparePlan } from '../../compare/plan.ts';
import { stripTrailingSemicolons } from '../../compare/source-sql.ts';
import type { Engine } from '../../engine/engine.ts';
import { RunError, type RunContext } from '../context.ts';

/** `resultTable`: the view the ledger stage made; without one, the plain result table is made here. */
export async function runSummaries(ctx: RunContext, engine: Engine, plan: ComparePlan, resultTable: 'made' | 'make' = 'make'): Promise<Record<string, string | null>> {
  if (resultTable === 'make') await engine.run(resultTableViewSql(plan, ctx.mode, engine.dialect));
  const summaries: Record<string, string | null> = {};
  for (const s of ctx.rendered.summaries) {
    summaries[s.name] = await ctx.step('summaries', s.field, async () => {
      // Values come back as text so decimals keep every digit; the check sees that statement.
      const select = engine.textRowsSql(stripTrailingSemicolons(s.sql), 2);
      await engine.checkSelect(s.sql, s.field, ['result_table'], { select, statement: select });
      const rows = await engine.textRows(stripTrailingSemicolons(s.sql), 2);
      if (rows.length !== 1 || rows[0]!.length !== 1) {
        const cols = rows[0] ? rows[0].length : 0;
        throw new RunError('summaries', `${s.field}: must return exactly one row with one column; got ${rows.length} row(s) and ${cols} column(s)`);
      }
      return rows[0]![0] ?? null;
    });
  }
  return summaries;
}
