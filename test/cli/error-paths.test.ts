// Every way a user can get `raas run` (or `raas validate`) wrong ends in
// exit 2 with exactly one line on stderr that names the field and the fix, never a stack
// trace, and a termination message that is valid JSON of at most 4096 bytes.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { makeTempDir, writeFiles } from '../support/recon-fixture.ts';
import { errorLines, runCli } from '../support/run-cli.ts';

let dir: string;
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const manifest = (spec: Record<string, unknown>) => stringify({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'paths' }, spec });
const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };

const aliasBomb = [
  'a0: &a0 [x, x, x, x, x, x, x, x, x, x]',
  ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array.from({ length: 10 }, () => `*a${i}`).join(', ')}]`),
].join('\n');

// [name, manifest (object, or raw text), extra args, expected error line]
const cases: Array<[string, Record<string, unknown> | string, string[], RegExp]> = [
  ['YAML alias bomb', aliasBomb, [], /invalid ReconJob: YAML: .*(alias|resource exhaustion)/i],
  ['YAML nested too deeply', `${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, [], /invalid ReconJob: YAML.*nested too deeply/],
  ['tolerance 1e38', { ...base, compare: [{ column: 'amount', tolerance: { absolute: 1e38 } }] }, [], /spec\.compare\[0\]\.tolerance\.absolute: 1000+ is too large to compare exactly/],
  ['tolerance 1e400', manifest({ ...base, compare: [{ column: 'amount', tolerance: { absolute: 1 } }] }).replace('absolute: 1', 'absolute: 1e400'), [], /spec\.compare\[0\]\.tolerance\.absolute: expected a number, got a number too large to hold/],
  ['empty file', { ...base, left: { uri: 'empty.csv' } }, [], /spec\.left\.uri: empty\.csv has no rows/],
  ['ragged CSV row', { ...base, left: { uri: 'ragged.csv' } }, [], /spec\.left\.uri: ragged\.csv line 3 has 3 field\(s\) where the header has 2/],
  ['CSV not in UTF-8', { ...base, left: { uri: 'latin.csv' }, right: { uri: 'latin.csv' } }, [], /spec\.left\.uri: latin\.csv line 2 is not UTF-8 text; convert the file to UTF-8/],
  ['a boolean that is not', { ...base, right: { uri: 'badbool.csv' }, compare: [{ column: 'flag' }] }, [], /spec\.compare\[0\]: column "flag" on the right side \(right\) is compared as BOOLEAN but 1 value\(s\) are not, e\.g\. "maybe"/],
  ['a YAML boolean that is not', { ...base, left: { uri: 'l.csv', csv: { header: 'yes' } } }, [], /spec\.left\.csv\.header: expected true or false, got the text "yes"/],
  ['two statements in a query', { ...base, left: { uri: 'l.csv', query: 'SELECT * FROM source; SELECT * FROM source' } }, [], /spec\.left\.query: must be exactly one SELECT statement, found 2/],
  ['a query reading the other side', { ...base, left: { uri: 'l.csv', query: 'SELECT * FROM right_input' } }, [], /spec\.left\.query: reads "right_input", which it may not; read only source/],
  ['a query hiding the other side in WITH', { ...base, left: { uri: 'l.csv', query: 'WITH a AS (SELECT * FROM RIGHT_ROWS), right_rows AS (SELECT 1) SELECT * FROM a' } }, [], /reads "RIGHT_ROWS"/],
  ['a named input named like the other side\'s relation', { ...base, left: { inputs: { RIGHT_INPUT: { uri: 'l.csv' } }, query: 'SELECT * FROM RIGHT_INPUT' } }, [], /spec\.left\.inputs\.RIGHT_INPUT: the input name "RIGHT_INPUT" is the name of one of raas's own relations; rename the input/],
  ['a query calling query_table', { ...base, left: { uri: 'l.csv', query: "SELECT * FROM query_table('right_input')" } }, [], /spec\.left\.query: calls the table function query_table\(\)/],
  ['a summary that deletes', { ...base, summaries: [{ name: 'n', sql: 'DELETE FROM recon' }] }, [], /spec\.summaries\[0\]\.sql: must be one read-only SELECT statement/],
  ['a summary reading the engine table', { ...base, summaries: [{ name: 'n', sql: 'SELECT count(*) FROM main.recon' }] }, [], /spec\.summaries\[0\]\.sql: reads "main\.recon"/],
  ['a summary with a second statement', { ...base, summaries: [{ name: 'n', sql: 'SELECT 1; DROP TABLE recon' }] }, [], /spec\.summaries\[0\]\.sql: must be one read-only SELECT statement/],
  ['--out gs://', base, ['--out', 'gs://bucket/results/'], /--out: results cannot be written to gs:\/\//],
  ['--out http://', base, ['--out', 'http://example.com/results/'], /--out: results cannot be written to http:\/\//],
  ['--out file:// with a host', base, ['--out', 'file://server/results/'], /--out: "file:\/\/server\/results\/" is not a local file URL/],
  ['output.uri gs://', { ...base, output: { uri: 'gs://bucket/{{ job.name }}/' } }, [], /spec\.output\.uri: results cannot be written to gs:\/\//],
  ['a measure named like a key', { ...base, aggregate: { measures: [{ fn: 'count', as: 'ID' }] } }, [], /spec\.aggregate\.measures\[0\]\.as: "ID" is also the key column spec\.keys\[0\]\.column/],
  ['two measures with one name', { ...base, aggregate: { measures: [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'amount', as: 'N' }] } }, [], /measures\[1\]\.as: "N" is used by another measure/],
  ['a key named like a result column', { ...base, left: { uri: 'l.csv', query: 'SELECT id AS RECON_STATUS, amount FROM source' }, right: { uri: 'r.csv', query: 'SELECT id AS recon_status, amount FROM source' }, keys: [{ column: 'RECON_STATUS', type: 'numeric' }] }, [], /result column "recon_status" would also be produced/i],
  ['a column named like an internal one', { ...base, left: { uri: 'l.csv', query: 'SELECT id, amount AS __RAAS_x FROM source' }, right: { uri: 'r.csv', query: 'SELECT id, amount AS __raas_x FROM source' } }, [], /starts with "__raas_", which raas reserves/],
  ['a compare column clashing with a key', { ...base, left: { uri: 'l.csv', query: 'SELECT id AS amount_LEFT, amount FROM source' }, right: { uri: 'r.csv', query: 'SELECT id AS amount_left, amount FROM source' }, keys: [{ column: 'amount_LEFT', type: 'numeric' }] }, [], /result column "amount_left" would also be produced/],
];

beforeAll(async () => {
  dir = await makeTempDir('raas-paths-');
  await writeFiles(dir, {
    'l.csv': csv('id,amount,flag', '1,1.00,true', '2,2.00,false'),
    'r.csv': csv('id,amount,flag', '1,1.00,true', '2,2.50,false'),
    'badbool.csv': csv('id,amount,flag', '1,1.00,true', '2,2.50,maybe'),
    'empty.csv': '',
    'ok.yaml': manifest(base),
    'ragged.csv': csv('id,amount', '1,1.00', '2,2.00,7', '3,3.00'),
    'latin.csv': Buffer.from('id,name\n1,caf\xe9\n', 'latin1'),
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('every CLI error path: exit 2, one line, no stack trace', () => {
  it.each(cases)('%s', async (_name, spec, args, pattern) => {
    const file = join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`);
    const log = `${file}.termination`;
    await writeFiles(dir, { [file.slice(dir.length + 1)]: typeof spec === 'string' ? spec : manifest(spec) });
    const out = args.includes('--out') ? [] : typeof spec === 'object' && spec.output ? [] : ['--out', join(dir, 'out')];
    const r = await runCli(['run', '-q', '-f', file, '--date', '2024-01-01', ...out, ...args], { env: { RAAS_TERMINATION_LOG: log } });
    const lines = errorLines(r.stderr);
    expect(r.code, r.stderr).toBe(2);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
    const text = await readFile(log, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(JSON.parse(text)).toMatchObject({ phase: 'Failed' });
  });

  it('raas validate says the same in one line', async () => {
    await writeFiles(dir, { 'bomb.yaml': aliasBomb });
    const r = await runCli(['validate', '-f', join(dir, 'bomb.yaml')]);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('nothing was written to a folder named after an unsupported scheme', async () => {
    const r = await runCli(['run', '-q', '-f', join(dir, 'ok.yaml'), '--date', '2024-01-01', '--out', 'gs://bucket/x/'], { cwd: dir });
    expect(r.code).toBe(2);
    await expect(readFile(join(dir, 'gs:', 'bucket', 'x', 'summary.json'))).rejects.toThrow();
  });
});
