// One window never replaces another window's committed results: a run
// whose output location already holds a different window's summary.json exits 2 and leaves
// it alone; a rerun of the same window replaces it; the default location differs per window.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedService } from '../support/require-service.ts';
import { startS3Server } from '../support/s3-server.ts';
import { runCli } from '../support/run-cli.ts';

const QUICKSTART = 'examples/quickstart/reconjob.yaml';
const s3 = sharedService('S3 test server (s3rver)', () => startS3Server({ buckets: ['results'] }), (s) => s.stop());

async function manifestWithOutput(dir: string, uri: string): Promise<string> {
  const text = (await readFile(QUICKSTART, 'utf8')).replace(/\n {2}output:\n/, `\n  output:\n    uri: "${uri}"\n`);
  const file = join(process.cwd(), 'examples', 'quickstart', `.overwrite-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return file;
}

describe('committed results of one window are never replaced by another', { timeout: 120_000 }, () => {
  it('local folder: same window replaces, another window is refused and the summary stays', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raas-ow-'));
    const file = await manifestWithOutput(dir, `${dir}/{{ window.startDate }}/`);
    try {
      expect((await runCli(['run', '-q', '-f', file, '--date', '2024-01-01'])).code).toBe(0);
      expect((await runCli(['run', '-q', '-f', file, '--date', '2024-01-01'])).code).toBe(0);
      const before = await readFile(join(dir, '2024-01-01', 'summary.json'), 'utf8');
      const r = await runCli(['run', '-q', '-f', file, '--start', '2024-01-01T00:00:00Z', '--end', '2024-01-01T12:00:00Z']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/upload failed: .*2024-01-01\/ already holds the committed results of window 2024-01-01T00:00:00\+00:00 \.\. 2024-01-02T00:00:00\+00:00; this run .* would replace them/);
      expect(await readFile(join(dir, '2024-01-01', 'summary.json'), 'utf8')).toBe(before);
    } finally {
      await rm(file, { force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('s3: the same refusal, and the committed summary.json is untouched', async (ctx) => {
    const server = await s3(ctx);
    const file = await manifestWithOutput('', 's3://results/ow/{{ window.startDate }}/');
    try {
      expect((await runCli(['run', '-q', '-f', file, '--date', '2024-01-01'], { env: server.env })).code).toBe(0);
      const r = await runCli(['run', '-q', '-f', file, '--start', '2024-01-01T06:00:00Z', '--end', '2024-01-01T18:00:00Z'], { env: server.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/s3:\/\/results\/ow\/2024-01-01\/ already holds the committed results of window 2024-01-01T00:00:00\+00:00/);
      const got = await server.client.send(new GetObjectCommand({ Bucket: 'results', Key: 'ow/2024-01-01/summary.json' }));
      expect(JSON.parse(await got.Body!.transformToString()).window).toEqual({ start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' });
    } finally {
      await rm(file, { force: true });
    }
  });

  it('the default location is one folder per window', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'raas-ow-cwd-'));
    try {
      const day = await runCli(['run', '-q', '--json', '-f', join(process.cwd(), QUICKSTART), '--date', '2024-01-01'], { cwd });
      const half = await runCli(['run', '-q', '--json', '-f', join(process.cwd(), QUICKSTART), '--start', '2024-01-01T00:00:00Z', '--end', '2024-01-01T12:00:00Z'], { cwd });
      expect(day.code).toBe(0);
      expect(half.code).toBe(0);
      const a = JSON.parse(day.stdout).results.uri as string;
      const b = JSON.parse(half.stdout).results.uri as string;
      expect(a).toMatch(/raas-out\/orders-vs-settlements\/2024-01-01$/);
      expect(b).toMatch(/raas-out\/orders-vs-settlements\/20240101T000000p0000_20240101T120000p0000$/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
