import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseReconJob, SpecError, validateReconJob } from './load.ts';

const valid = {
  apiVersion: 'raas.dev/v1alpha1',
  kind: 'ReconJob',
  metadata: { name: 'orders' },
  spec: { left: { uri: 'a.csv' }, right: { uri: 'b.csv' }, keys: [{ column: 'id' }] },
};

function problems(input: unknown): string[] {
  try {
    validateReconJob(input, 'test');
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  return [];
}

const withSpec = (spec: Record<string, unknown>) => ({ ...valid, spec: { ...valid.spec, ...spec } });

describe('validateReconJob', () => {
  it('accepts the minimal manifest and a manifest using most fields', () => {
    expect(problems(valid)).toEqual([]);
    expect(
      problems(
        withSpec({
          left: { name: 'ledger', uri: 's3://ledger/orders/dt={{ window.startDate }}/*.parquet', format: 'parquet', query: 'SELECT id, amount, status FROM source' },
          right: { name: 'psp', uri: 'settlements/{{ window.startDate }}.csv.gz', format: 'csv', csv: { delimiter: ',', header: true } },
          keys: [{ column: 'id', right: 'order_id' }],
          compare: [
            { column: 'amount', tolerance: { absolute: 0.01, relative: 0 } },
            { column: 'status', right: 'state', normalize: ['trim', 'lower'] },
          ],
          output: { mode: 'AllDiffs', uri: 's3://recon-results/{{ job.name }}/{{ window.startDate }}/', format: 'parquet' },
          summaries: [{ name: 'mismatch_amount', sql: 'SELECT sum(amount_diff) FROM result_table' }],
          expect: { maxMismatched: 0, maxLeftOnly: 0, maxRightOnly: 0, maxDuplicateKeys: 0, maxNullKeys: 0 },
          schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo', period: 'Daily', suspend: false },
          notify: [{ kafka: { topic: 'recon-events' }, on: ['Failed', 'Unbalanced'] }],
          runner: { memoryLimit: '2GB', activeDeadlineSeconds: 3600, envFrom: [{ secretRef: { name: 's3-creds' } }] },
          history: { successfulRuns: 30, failedRuns: 10 },
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    ['empty keys', withSpec({ keys: [] }), 'spec.keys: must list at least one key column, e.g. keys: [{ column: id }]'],
    ['enum', withSpec({ output: { mode: 'all' } }), 'spec.output.mode: the text "all" is not allowed; use one of: Full, AllDiffs, LeftDiffs, RightDiffs'],
    ['format enum', withSpec({ left: { uri: 'a', format: 'xlsx' } }), 'spec.left.format: the text "xlsx" is not allowed; use one of: parquet, csv, json, ndjson'],
    ['period enum', withSpec({ schedule: { cron: '* * * * *', period: 'Yearly' } }), 'spec.schedule.period: the text "Yearly" is not allowed; use one of: Daily, Weekly, SemiMonthly, Monthly, Quarterly'],
    ['required', withSpec({ left: { name: 'x' } }), 'spec.left.uri: is required: give uri (one input) or inputs (several, joined by query)'],
    ['type', withSpec({ keys: { column: 'id' } }), 'spec.keys: expected a list, got a mapping'],
    ['typo with suggestion', withSpec({ kyes: [] }), 'spec.kyes: unknown field; did you mean "keys"?'],
    ['unknown spec field lists the allowed ones', withSpec({ tolerence: 1 }), 'spec.tolerence: unknown field; allowed fields here: left, right, keys, compare, aggregate, output, summaries, expect, schedule, notify, runner, engine, spark, history, maxParallelRuns, amount, carryForward'],
    ['unknown far from anything', withSpec({ left: { uri: 'a', xyzzy: 1 } }), 'spec.left.xyzzy: unknown field; allowed fields here: name, uri, inputs, format, csv, query, sftp, ftp, database'],
    ['anchorDay range', withSpec({ schedule: { cron: '* * * * *', anchorDay: 31 } }), 'spec.schedule.anchorDay: number 31 is too large; the maximum is 28'],
    ['memory size', withSpec({ runner: { memoryLimit: 'lots' } }), 'spec.runner.memoryLimit: must be a size such as 512MB, 2GB or 4GiB'],
    ['summary name', withSpec({ summaries: [{ name: 'bad name', sql: 'SELECT 1' }] }), 'spec.summaries[0].name: must be a plain identifier: letters, digits and _, not starting with a digit'],
    ['duplicate summary', withSpec({ summaries: [{ name: 'a', sql: 'SELECT 1' }, { name: 'a', sql: 'SELECT 2' }] }), 'spec.summaries[1].name: "a" is used twice (names ignore letter case); summary names must be unique'],
    ['aggregate with compare', withSpec({ aggregate: { measures: [{ fn: 'count', as: 'n' }] }, compare: [{ column: 'x' }] }), 'spec.compare: cannot be used with aggregate: in summary reconciliation the measures are compared; put tolerances on the measures instead'],
    ['sum without column', withSpec({ aggregate: { measures: [{ fn: 'sum', as: 'total' }] } }), 'spec.aggregate.measures[0].column: is required for fn sum; only count works without a column'],
    ['csv options on parquet', withSpec({ left: { uri: 'a', format: 'parquet', csv: { header: false } } }), 'spec.left.csv: only applies to format csv, but format is parquet; remove csv or set format: csv'],
    ['name', { ...valid, metadata: { name: 'Orders_1' } }, 'metadata.name: must be a lowercase DNS name: a-z, 0-9, "-" and ".", starting and ending with a letter or digit'],
    ['apiVersion', { ...valid, apiVersion: 'raas.dev/v1' }, 'apiVersion: the text "raas.dev/v1" is not allowed; use one of: raas.dev/v1alpha1'],
  ])('%s', (_name, input, expected) => {
    expect(problems(input)).toContain(expected);
  });
});

describe('parseReconJob', () => {
  it('reads the quickstart example', () => {
    const job = parseReconJob(readFileSync('examples/quickstart/reconjob.yaml', 'utf8'), 'quickstart');
    expect(job.metadata.name).toBe('orders-vs-settlements');
    expect(job.spec.keys).toEqual([{ column: 'id', right: 'order_id' }]);
  });

  it('picks the ReconJob out of a multi-document file', () => {
    const text = `apiVersion: v1\nkind: Secret\nmetadata: { name: s }\n---\napiVersion: raas.dev/v1alpha1\nkind: ReconJob\nmetadata: { name: j }\nspec: { left: { uri: a }, right: { uri: b }, keys: [ { column: id } ] }\n`;
    expect(parseReconJob(text, 'f').metadata.name).toBe('j');
  });

  it('names the file and the YAML problem', () => {
    expect(() => parseReconJob('spec: [1, 2\n', 'job.yaml')).toThrow(/^job\.yaml: invalid ReconJob: YAML syntax: /);
    expect(() => parseReconJob('', 'job.yaml')).toThrow(/the file is empty/);
  });
});
