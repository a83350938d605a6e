// Every check a ReconJob can pass or fail without reading any data: the schedule (cron
// syntax, time zone), every template (an unknown variable, a quoted '{{ … }}' in SQL),
// and all SQL exactly as a run would send it, with a window's values rendered: DuckDB SQL
// alone and inside the runner's statements (user-sql-check.ts), database queries with
// their dialect's parser (stage/database-sql.ts). `raas validate` prints these problems;
// the operator reports them in the ReconJob's Ready=False condition.
//
// A job on engine: spark writes Spark SQL, which only Spark's own parser can judge, and
// neither the operator nor `raas validate` starts a JVM for it: its templates are rendered
// here, and its SQL is checked on Spark's parser when a run starts, before any data is
// compared (engine/spark.ts). What Spark does not support yet is refused here from the
// spec alone (engine/spark-support.ts).
import { joinedRowsSelectSql, rowsSelectSql, summarySelectSql } from '../compare/source-sql.ts';
import { periodOptions } from '../cli/choose-window.ts';
import type { ReconJob } from '../spec/schema.ts';
import { checkDatabaseSelect } from '../stage/database-sql.ts';
import { schemeOf } from '../stage/schemes.ts';
import { inputEntry } from '../engine/engine.ts';
import { sparkCsvProblems } from '../engine/spark-support.ts';
import { renderSql, renderText, templateVars } from '../template/render.ts';
import { normalizeCron } from '../window/cron.ts';
import { assertTimeZone, periodContaining, type ReconWindow } from '../window/window.ts';
import { planSide, type SidePlan } from './side-inputs.ts';
import { checkUserSql, type SqlParser } from './user-sql-check.ts';

export interface CheckOptions {
  /** Overrides spec.engine (raas run --engine); default spec.engine, else duckdb. */
  engine?: 'duckdb' | 'spark';
  /** The window templates are rendered with; default the schedule's period containing now. */
  window?: ReconWindow;
  runName?: string;
  now?: Date;
}

let parser: Promise<SqlParser> | undefined;

/** One in-memory DuckDB for parsing only, opened on first use (loaded lazily: the operator imports this module). */
function duckParser(): Promise<SqlParser> {
  parser ??= import('./duck-parser.ts').then((m) => m.openDuckParser());
  return parser;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The problems of `job` that need no data, one line each (empty: none found). */
export async function problemsWithoutData(job: ReconJob, opts: CheckOptions = {}): Promise<string[]> {
  const spec = job.spec;
  const spark = (opts.engine ?? spec.engine ?? 'duckdb') === 'spark';
  const problems: string[] = [];
  const attempt = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      problems.push(message(err));
    }
  };
  let zoneOk = true;
  if (spec.schedule) {
    try {
      normalizeCron(spec.schedule.cron);
    } catch (err) {
      // ScheduleError messages start with the field below spec ("schedule.cron ...").
      problems.push(`spec.${message(err)}`);
    }
    try {
      assertTimeZone(spec.schedule.timeZone ?? 'UTC');
    } catch (err) {
      zoneOk = false;
      problems.push(`spec.schedule.timeZone: ${message(err)}`);
    }
  }
  const period = periodOptions(spec);
  const window = opts.window ?? periodContaining(opts.now ?? new Date(), zoneOk ? period : { ...period, timeZone: 'UTC' });
  const vars = templateVars({ window, jobName: job.metadata.name, jobNamespace: job.metadata.namespace ?? 'default', runName: opts.runName ?? `${job.metadata.name}-check` });

  const sides: Partial<Record<'left' | 'right', SidePlan>> = {};
  for (const side of ['left', 'right'] as const) {
    await attempt(() => {
      sides[side] = planSide(spec[side], side, vars);
    });
  }
  if (spec.output?.uri) await attempt(() => renderText(spec.output!.uri!, vars, 'spec.output.uri'));

  for (const side of ['left', 'right'] as const) {
    const sp = sides[side];
    if (!sp) continue;
    for (const input of sp.inputs) {
      const scheme = schemeOf(input.uri);
      if (input.dbQuery && (scheme === 'postgres' || scheme === 'mysql')) await attempt(() => checkDatabaseSelect(scheme, input.dbQuery!.sql, input.dbQuery!.field));
      if (spark) problems.push(...sparkCsvProblems(inputEntry(input.field), input.spec));
    }
    const query = sp.duckQuery;
    if (!query || spark) continue;
    const select = sp.named ? joinedRowsSelectSql(sp.inputs, query) : rowsSelectSql(side, query);
    await attempt(async () =>
      checkUserSql(await duckParser(), {
        text: query,
        field: sp.duckQueryField,
        allowed: sp.named ? sp.inputs.map((i) => i.name) : ['source'],
        select,
        statement: `CREATE OR REPLACE TEMP VIEW ${side}_rows AS ${select}`,
      }),
    );
  }
  for (const [i, s] of (spec.summaries ?? []).entries()) {
    const field = `spec.summaries[${i}].sql`;
    await attempt(async () => {
      const sql = renderSql(s.sql, vars, field);
      if (spark) return;
      const select = summarySelectSql(sql);
      await checkUserSql(await duckParser(), { text: sql, field, allowed: ['result_table'], select, statement: select });
    });
  }
  return problems;
}
