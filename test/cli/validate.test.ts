// `raas validate` runs every check that needs no data, through the real CLI: a manifest
// a run or the operator would refuse is refused here, each problem on its own line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/run-cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-validate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifest = (spec: string) => `apiVersion: raas.dev/v1alpha1
kind: ReconJob
metadata: { name: v }
spec:
  left: { uri: l.csv }
  right: { uri: r.csv }
  keys: [ { column: id } ]
${spec}`;

async function validate(spec: string): Promise<CliResult> {
  const file = join(dir, `m${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, manifest(spec));
  return runCli(['validate', '-f', file]);
}

describe('raas validate', () => {
  it('says valid for a valid manifest', async () => {
    const r = await validate('  schedule: { cron: "0 2 * * *", timeZone: Europe/Berlin }\n  summaries: [ { name: n, sql: "SELECT count(*) FROM result_table" } ]\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid ReconJob "v"/);
  });

  it('lists every problem that needs no data, one line each, exit 2', async () => {
    const r = await validate(
      [
        '  schedule: { cron: "0 25 * * *", timeZone: Mars/Olympus }',
        '  summaries:',
        '    - { name: a, sql: "DELETE FROM recon" }',
        '    - { name: b, sql: "SELECT 1) ; DELETE FROM recon; SELECT * FROM (SELECT 1" }',
        "    - { name: c, sql: \"SELECT count(*) FROM result_table WHERE d = '{{ window.startDate }}'\" }",
        '    - { name: d, sql: "SELECT {{ window.nope }}" }',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/invalid ReconJob:$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}- spec\.schedule\.cron "0 25 \* \* \*"/),
      expect.stringMatching(/^ {2}- spec\.schedule\.timeZone: /),
      expect.stringMatching(/^ {2}- spec\.summaries\[0\]\.sql: must be one read-only SELECT/),
      expect.stringMatching(/^ {2}- spec\.summaries\[1\]\.sql: does not parse/),
      expect.stringMatching(/^ {2}- spec\.summaries\[2\]\.sql: /),
      expect.stringMatching(/^ {2}- spec\.summaries\[3\]\.sql: .*window\.nope/),
    ]);
    expect(r.stderr).not.toMatch(/ {4}at /);
  });
});
