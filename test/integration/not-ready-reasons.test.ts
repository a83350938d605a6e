// Every problem a ReconJob can have that needs no data, as a user meets it on a real
// control plane: what the CRD's CEL can check, `kubectl apply` refuses (the ReconJob is
// left as it was); the rest the operator finds in its validate step and reports as
// Ready=False with one line naming the field, while it suspends the job's CronJob so no
// scheduled run uses the last valid spec. Fixed, the CronJob resumes and Ready is True.
import { describe, expect, it } from 'vitest';
import { cronJobName } from '../../operator/desired/names.ts';
import { operatorEnvForFile, s3ReconJob, statusOf, waitFor, type OperatorEnv } from '../support/operator-env.ts';

const world = operatorEnvForFile({ shared: true });
type Json = Record<string, unknown>;

const ready = async (e: OperatorEnv, name: string, status: 'True' | 'False') =>
  (statusOf(await e.get('reconjobs', e.namespace, name)).conditions as Array<Record<string, string>> | undefined)?.find((c) => c.type === 'Ready' && c.status === status);
const suspended = async (e: OperatorEnv, name: string) => ((await e.get('batch/v1/cronjobs', e.namespace, cronJobName(name)))?.spec as { suspend?: boolean } | undefined)?.suspend;

// Each class: the edit that breaks a valid job, the edit that fixes it again (JSON merge
// patches of spec), and the one line Ready=False must say.
const CASES: Array<{ name: string; job: string; breaks: Json; fixes: Json; says: RegExp }> = [
  {
    name: 'an unknown template variable',
    job: 'tmpl',
    breaks: { left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv', query: 'SELECT * FROM source WHERE day = {{ window.day }}' } },
    fixes: { left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv', query: null } },
    says: /spec\.left\.query: .*window\.day/,
  },
  {
    // "0 25 * * *" never gets this far: the CRD's CEL refuses it (asserted below).
    name: 'a cron range that runs backwards',
    job: 'cron',
    breaks: { schedule: { cron: '0 0 5-1 * *', timeZone: 'UTC' } },
    fixes: { schedule: { cron: '0 2 * * *', timeZone: 'UTC' } },
    says: /spec\.schedule\.cron "0 0 5-1 \* \*": day of month "5-1" has a range that runs backwards/,
  },
  {
    name: 'a time zone that does not exist',
    job: 'zone',
    breaks: { schedule: { cron: '0 2 * * *', timeZone: 'Mars/Olympus' } },
    fixes: { schedule: { cron: '0 2 * * *', timeZone: 'UTC' } },
    says: /spec\.schedule\.timeZone: timeZone "Mars\/Olympus" is not an IANA time zone name/,
  },
  {
    name: "a quoted '{{ … }}' in SQL",
    job: 'quoted',
    breaks: { left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv', query: "SELECT * FROM source WHERE day = '{{ window.startDate }}'" } },
    fixes: { left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv', query: null } },
    says: /spec\.left\.query: .*\{\{ window\.startDate \}\}/,
  },
  {
    name: 'a summary that is not a SELECT',
    job: 'summary',
    breaks: { summaries: [{ name: 's', sql: 'DELETE FROM result_table' }] },
    fixes: { summaries: null },
    says: /spec\.summaries\[0\]\.sql: must be one read-only SELECT/,
  },
  {
    name: "a query closing the runner's parenthesis to replace the other side",
    job: 'paren',
    breaks: {
      left: {
        name: 'ledger',
        uri: 's3://ledger/orders/{{ window.startDate }}.csv',
        query: 'SELECT * FROM source) ; CREATE OR REPLACE TEMP VIEW right_input AS SELECT * FROM left_input; SELECT * FROM (SELECT * FROM source',
      },
    },
    fixes: { left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv', query: null } },
    says: /spec\.left\.query: does not parse as one complete SELECT on its own/,
  },
  {
    name: 'the same trick in a summary',
    job: 'paren-summary',
    breaks: { summaries: [{ name: 's', sql: 'SELECT 1) ; DELETE FROM recon; SELECT * FROM (SELECT 1' }] },
    fixes: { summaries: null },
    says: /spec\.summaries\[0\]\.sql: does not parse/,
  },
  {
    // The fix moves the job back to DuckDB, where the same option is fine.
    name: 'a CSV option engine: spark does not support',
    job: 'spark-csv',
    breaks: { engine: 'spark', left: { name: 'ledger', uri: 's3://ledger/orders/{{ window.startDate }}.csv', csv: { skipRows: 1 } } },
    fixes: { engine: null },
    says: /spec\.left\.csv\.skipRows: skipping lines before the header is not supported on engine: spark yet; use engine: duckdb/,
  },
];

describe('a ReconJob edited into a spec that cannot run, on the real control plane', { timeout: 240_000 }, () => {
  it('kubectl apply refuses what CEL can check, and the ReconJob keeps its valid spec', async (ctx) => {
    const e = await world(ctx);
    await e.kube.createCustom('reconjobs', e.namespace, s3ReconJob('cel', e.namespace));
    await waitFor('Ready=True', () => ready(e, 'cel', 'True'));
    for (const schedule of [{ cron: '0 25 * * *', timeZone: 'UTC' }, { cron: '0 2 * * *', timeZone: 'Asia/Tokyo ' }]) {
      await expect(e.cluster.patch('reconjobs', e.namespace, 'cel', { spec: { schedule } })).rejects.toThrow(/spec\.schedule\.(cron must be five fields|timeZone must be an IANA time zone name)/);
    }
    expect((((await e.get('reconjobs', e.namespace, 'cel'))!.spec as Json).schedule as Json).cron).toBe('0 2 * * *');
    expect(await suspended(e, 'cel')).toBe(false);
  });

  it.concurrent.for(CASES)('$name: Ready=False with one line naming the field, the CronJob suspended; fixed, it resumes', async ({ job, breaks, fixes, says }, ctx) => {
    const e = await world(ctx);
    await e.kube.createCustom('reconjobs', e.namespace, s3ReconJob(job, e.namespace));
    await waitFor(`${job}: Ready=True`, () => ready(e, job, 'True'), 120_000);
    await waitFor(`${job}: its CronJob, running`, async () => (await suspended(e, job)) === false, 120_000);

    await e.cluster.patch('reconjobs', e.namespace, job, { spec: breaks });
    const cond = await waitFor(`${job}: Ready=False`, () => ready(e, job, 'False'), 120_000);
    expect(cond.reason).toBe('InvalidSpec');
    expect(cond.message).toMatch(/^the CronJob is suspended until the spec is fixed: /);
    expect(cond.message).toMatch(says);
    // One line, no stack trace.
    expect(cond.message).not.toContain('\n');
    expect(cond.message).not.toMatch(/\bat .*\.ts:\d+/);
    await waitFor(`${job}: the CronJob suspended`, async () => (await suspended(e, job)) === true, 120_000);

    await e.cluster.patch('reconjobs', e.namespace, job, { spec: fixes });
    await waitFor(`${job}: Ready=True after the fix`, () => ready(e, job, 'True'), 120_000);
    await waitFor(`${job}: the CronJob resumed`, async () => (await suspended(e, job)) === false, 120_000);
  });
});
