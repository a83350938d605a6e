// The CLI contract (docs/design.md, The CLI): exit 0 completed, 1 unbalanced with --strict, 2 failed
// with one clear line on stderr that names the field and the fix.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { makeTempDir, writeFiles } from '../support/recon-fixture.ts';
import { errorLines, runCli } from '../support/run-cli.ts';

const QUICKSTART = 'examples/quickstart/reconjob.yaml';
let dir: string;

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
function manifest(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringify({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'cli-test' }, spec, ...extra });
}
const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };

beforeAll(async () => {
  dir = await makeTempDir('raas-cli-');
  await writeFiles(dir, {
    'l.csv': csv('id,amount,status', '1,1.00,a', '2,2.00,b'),
    'r.csv': csv('id,amount,status', '1,1.00,a', '2,2.50,b'),
    'same.csv': csv('id,amount,status', '1,1.00,a', '2,2.00,b'),
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runWith(spec: Record<string, unknown> | string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFiles(dir, { [file.slice(dir.length + 1)]: typeof spec === 'string' ? spec : manifest(spec) });
  const window = args.some((a) => a === '--date' || a === '--start' || a === '--end') ? [] : ['--date', '2024-01-01'];
  return runCli(['run', '-f', file, ...window, '--out', join(dir, 'out'), ...args], { env });
}

describe('raas run on the quickstart example', () => {
  it('prints a readable report and exits 0 although unbalanced', async () => {
    const r = await runCli(['run', '-f', QUICKSTART, '--date', '2024-01-01', '--out', join(dir, 'qs')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/UNBALANCED/);
    expect(r.stdout).toMatch(/matched\s+15/);
    expect(r.stdout).toMatch(/mismatched\s+2\s+\(amount 1, currency 1\)/);
    // A progress line per stage on stderr.
    for (const stage of ['stage', 'load', 'keys', 'compare', 'write', 'upload', 'done']) expect(r.stderr).toMatch(new RegExp(`^\\[raas\\] ${stage}\\b`, 'm'));
    const summary = JSON.parse(await readFile(join(dir, 'qs', 'summary.json'), 'utf8'));
    expect(summary.counts).toEqual({
      left: 19, right: 20, matched: 15, mismatched: 2, leftOnly: 1, rightOnly: 1,
      duplicateKeysLeft: 0, duplicateKeysRight: 1, nullKeysLeft: 0, nullKeysRight: 0,
    });
    expect(summary.diffTotals).toEqual({ amount: '-9.99' });
    expect(summary.summaries).toEqual({ mismatch_amount: '-10.00', unsettled_orders: '1' });
  });

  it('--strict exits 1 when unbalanced; --json prints summary.json', async () => {
    const r = await runCli(['run', '-f', QUICKSTART, '--date', '2024-01-02', '--out', join(dir, 'qs2'), '--strict', '--json', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const printed = JSON.parse(r.stdout);
    expect(printed).toEqual(JSON.parse(await readFile(join(dir, 'qs2', 'summary.json'), 'utf8')));
    expect(printed.window).toEqual({ start: '2024-01-02T00:00:00+00:00', end: '2024-01-03T00:00:00+00:00' });
    expect(Object.keys(printed)).toEqual(expect.arrayContaining(['job', 'window', 'balanced', 'counts', 'mismatchedByColumn', 'diffTotals', 'summaries', 'results', 'timings']));
  });
});

describe('exit codes', () => {
  it('0 with --strict when balanced', async () => {
    const r = await runWith({ ...base, right: { uri: 'same.csv' } }, ['--strict']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BALANCED/);
  });

  it('writes a compact termination message on success and on failure', async () => {
    const okLog = join(dir, 'term-ok');
    const ok = await runWith(base, [], { RAAS_TERMINATION_LOG: okLog });
    expect(ok.code).toBe(0);
    const text = await readFile(okLog, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
    expect(JSON.parse(text)).toMatchObject({ phase: 'Succeeded', balanced: false, counts: { matched: 1, mismatched: 1 } });

    const failLog = join(dir, 'term-fail');
    const bad = await runWith({ ...base, left: { uri: 'missing.csv' } }, [], { RAAS_TERMINATION_LOG: failLog });
    expect(bad.code).toBe(2);
    expect(JSON.parse(await readFile(failLog, 'utf8'))).toMatchObject({ phase: 'Failed', stage: 'stage', message: expect.stringMatching(/spec\.left\.uri/) });
  });

  it('keeps the termination message under 4 KiB with hundreds of compared columns', async () => {
    const cols = Array.from({ length: 300 }, (_, i) => `column_with_a_long_name_${i}`);
    const header = ['id', ...cols].join(',');
    await writeFiles(dir, { 'wide-l.csv': csv(header, ['1', ...cols.map(() => '1.5')].join(',')), 'wide-r.csv': csv(header, ['1', ...cols.map(() => '2.5')].join(',')) });
    const log = join(dir, 'term-wide');
    const r = await runWith({ ...base, left: { uri: 'wide-l.csv' }, right: { uri: 'wide-r.csv' } }, ['-q'], { RAAS_TERMINATION_LOG: log });
    expect(r.code).toBe(0);
    const text = await readFile(log, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(JSON.parse(text)).toMatchObject({ phase: 'Succeeded', truncated: true, counts: { mismatched: 1 } });
  });
});

describe('errors: exit 2 and one line that names the field and the fix', () => {
  const cases: Array<[string, Record<string, unknown> | string, RegExp, string[]?]> = [
    ['missing input file', { ...base, left: { uri: 'nope/*.csv' } }, /^raas: stage failed: spec\.left\.uri: no file matches "nope\/\*\.csv"/],
    ['unknown key column', { ...base, keys: [{ column: 'idd' }] }, /spec\.keys\[0\]\.column: column "idd" not found on the left side \(left\); available columns: id, amount, status/],
    ['unknown compare column on the right', { ...base, compare: [{ column: 'amount', right: 'amt' }] }, /spec\.compare\[0\]\.right: column "amt" not found on the right side \(right\); available columns: id, amount, status/],
    ['SQL error in a side query', { ...base, right: { uri: 'r.csv', name: 'bank', query: 'SELEC id FROM source' } }, /^raas: query failed: spec\.right\.query: does not parse as one complete SELECT on its own: syntax error at or near "SELEC" \(character 1\); fix the SQL/],
    ['unknown column in a side query', { ...base, left: { uri: 'l.csv', query: 'SELECT idx FROM source' } }, /spec\.left\.query \(left\): Binder Error: .*"idx"/],
    ['unknown template variable', { ...base, left: { uri: 'l-{{ window.day }}.csv' } }, /spec\.left\.uri: unknown template variable "window\.day".*; known variables: .*window\.startDate/],
    ['quoted template in SQL', { ...base, left: { uri: 'l.csv', query: "SELECT * FROM source WHERE d = '{{ window.startDate }}'" } }, /spec\.left\.query.*quote/i],
    ['invalid enum value', { ...base, output: { mode: 'Diffs' } }, /spec\.output\.mode: the text "Diffs" is not allowed; use one of: Full, AllDiffs, LeftDiffs, RightDiffs/],
    ['invalid normalizer', { ...base, compare: [{ column: 'status', normalize: ['upper'] }] }, /spec\.compare\[0\]\.normalize\[0\]: .*use one of: trim, lower, collapseWhitespace/],
    ['empty keys', { ...base, keys: [] }, /spec\.keys: must list at least one key column, e.g\. keys: \[\{ column: id \}\]/],
    ['missing keys', { left: base.left, right: base.right }, /spec\.keys: is required/],
    ['misspelt field', { ...base, compre: [] }, /spec\.compre: unknown field; did you mean "compare"\?/],
    ['wrong type', { ...base, keys: 'id' }, /spec\.keys: expected a list, got the text "id"/],
    ['negative tolerance', { ...base, compare: [{ column: 'amount', tolerance: { absolute: -1 } }] }, /spec\.compare\[0\]\.tolerance\.absolute: number -1 is too small; the minimum is 0/],
    ['tolerance on text that is not numeric', { ...base, compare: [{ column: 'status', tolerance: { absolute: 1 } }] }, /spec\.compare\[0\]: column "status" on the left side \(left\) is compared as a number but 2 value\(s\) are not numbers, e\.g\. "a"/],
    ['tolerance on a date', { ...base, left: { uri: 'l.csv', query: 'SELECT id, DATE \'2024-01-01\' AS d FROM source' }, right: { uri: 'r.csv', query: 'SELECT id, DATE \'2024-01-01\' AS d FROM source' }, compare: [{ column: 'd', tolerance: { absolute: 1 } }] }, /spec\.compare\[0\]\.tolerance: needs numbers, but "d" is DATE on the left/],
    ['YAML syntax error', 'apiVersion: raas.dev/v1alpha1\nkind: ReconJob\nspec: [unclosed\n', /YAML syntax/],
    ['wrong kind', manifest(base).replace('kind: ReconJob', 'kind: ReconRun'), /(top level|kind).*ReconJob/],
    ['bad time zone', { ...base, schedule: { cron: '0 2 * * *', timeZone: 'Mars/Base' } }, /timeZone "Mars\/Base" is not an IANA time zone/],
    ['bad --date', base, /--date "2024-13-01" is not a valid date; use YYYY-MM-DD/, ['--date', '2024-13-01']],
    ['--date with --start', base, /--date cannot be combined with --start\/--end/, ['--date', '2024-01-01', '--start', '2024-01-01', '--end', '2024-01-02']],
    ['--end before --start', base, /--end must be after --start/, ['--start', '2024-01-02', '--end', '2024-01-01']],
    ['--start without --end', base, /--start and --end go together/, ['--start', '2024-01-01']],
    ['bad --threads', base, /--threads "two" must be a whole number/, ['--threads', 'two']],
    ['bad --memory-limit', base, /--memory-limit "lots" must be a size such as 512MB/, ['--memory-limit', 'lots']],
    ['unknown flag', base, /unknown option '--colour'/, ['--colour']],
  ];

  it.each(cases)('%s', async (_name, spec, pattern, args = []) => {
    // Later --date flags override the default one; these cases give their own.
    const r = await runWith(spec, args);
    expect(r.code).toBe(2);
    const lines = errorLines(r.stderr);
    expect(lines.join('\n')).toMatch(pattern);
    expect(r.stdout).toBe('');
  });

  it('missing manifest file', async () => {
    const r = await runCli(['run', '-f', join(dir, 'none.yaml'), '--date', '2024-01-01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none\.yaml: no such file/);
  });

  it('no manifest at all', async () => {
    const r = await runCli(['run', '--date', '2024-01-01'], { env: { RAAS_MANIFEST: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give -f <manifest\.yaml>, or set RAAS_MANIFEST/);
  });
});

describe('runner pods: the manifest and window from the environment', () => {
  it('derives the window from a CronJob Job name', async () => {
    const job = { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'env-job', namespace: 'ns' }, spec: { ...base, left: { uri: join(dir, 'l.csv') }, right: { uri: join(dir, 'r.csv') }, schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo' } } };
    // 2024-01-02T02:00 Tokyo = 2024-01-01T17:00Z since the epoch.
    const minutes = Date.UTC(2024, 0, 1, 17, 0) / 60_000;
    const r = await runCli(['run', '--json', '-q', '--out', join(dir, 'env-out')], { env: { RAAS_MANIFEST: JSON.stringify(job), RAAS_JOB_NAME: `env-job-${minutes}` } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).window).toEqual({ start: '2024-01-01T00:00:00+09:00', end: '2024-01-02T00:00:00+09:00' });
  });
});
