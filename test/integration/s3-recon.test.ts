// A whole run against the S3 test server through the real CLI: globbed inputs listed and
// staged from s3://, results and summary.json published to s3://, a missing object failing.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readResult, statuses } from '../support/recon-fixture.ts';
import { sharedService } from '../support/require-service.ts';
import { errorLines, runCli } from '../support/run-cli.ts';
import { startS3Server } from '../support/s3-server.ts';

const s3 = sharedService('S3 test server (s3rver)', () => startS3Server({ buckets: ['ledger', 'psp', 'results'] }), (s) => s.stop());
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-s3-recon-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(client: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}
async function get(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

const manifest = (leftUri: string) =>
  stringify({
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconJob',
    metadata: { name: 'ledger-vs-psp', namespace: 'finance' },
    spec: {
      left: { name: 'ledger', uri: leftUri },
      right: { name: 'psp', uri: 's3://psp/settlements/{{ window.startDate }}.csv' },
      keys: [{ column: 'id' }],
      compare: [{ column: 'amount', tolerance: { absolute: 0.01 } }],
      output: { uri: 's3://results/{{ job.name }}/{{ window.startDate }}/', mode: 'Full' },
    },
  });

describe('reconciling S3 data', () => {
  it('stages globbed objects, compares, and publishes results with summary.json to S3', async (ctx) => {
    const server = await s3(ctx);
    await put(server.client, 'ledger', 'orders/dt=2024-01-01/part-0.csv', 'id,amount\n1,10.00\n2,20.00\n');
    await put(server.client, 'ledger', 'orders/dt=2024-01-01/part-1.csv', 'id,amount\n3,30.00\n4,40.00\n');
    await put(server.client, 'ledger', 'orders/dt=2024-01-01/_SUCCESS', '');
    await put(server.client, 'ledger', 'orders/dt=2024-01-02/part-0.csv', 'id,amount\n99,1.00\n');
    await put(server.client, 'psp', 'settlements/2024-01-01.csv', 'id,amount\n1,10.00\n2,20.01\n3,33.00\n5,50.00\n');
    const file = join(dir, 'job.yaml');
    await writeFile(file, manifest('s3://ledger/orders/dt={{ window.startDate }}/*.csv'));

    const r = await runCli(['run', '-f', file, '--date', '2024-01-01', '--json'], { env: server.env });
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.counts).toMatchObject({ left: 4, right: 4, matched: 2, mismatched: 1, leftOnly: 1, rightOnly: 1 });
    expect(summary.results).toMatchObject({
      uri: 's3://results/ledger-vs-psp/2024-01-01/',
      files: ['s3://results/ledger-vs-psp/2024-01-01/result.parquet'],
      summaryUri: 's3://results/ledger-vs-psp/2024-01-01/summary.json',
    });
    expect(r.stderr).toMatch(/staged 2 objects/);

    const stored = JSON.parse((await get(server.client, 'results', 'ledger-vs-psp/2024-01-01/summary.json')).toString());
    expect(stored.counts).toEqual(summary.counts);
    const local = join(dir, 'result.parquet');
    await writeFile(local, await get(server.client, 'results', 'ledger-vs-psp/2024-01-01/result.parquet'));
    const { rows } = await readResult(local);
    expect(statuses(rows)).toEqual(['1:match', '2:match', '3:mismatch', '4:left_only', '5:right_only']);

    // summary.json is the commit marker: it is written after the result file.
    const writes = (await server.requests()).filter((q) => q.method === 'PUT' && q.path.startsWith('/results/'));
    expect(writes.at(-1)!.path).toBe('/results/ledger-vs-psp/2024-01-01/summary.json');
  });

  it('a missing object fails the run with exit 2 and names the URI', async (ctx) => {
    const server = await s3(ctx);
    const file = join(dir, 'missing.yaml');
    await writeFile(file, manifest('s3://ledger/orders/dt={{ window.startDate }}/orders.csv'));
    const log = join(dir, 'termination');
    const r = await runCli(['run', '-f', file, '--date', '2024-01-05'], { env: { ...server.env, RAAS_TERMINATION_LOG: log } });
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr).join('\n')).toMatch(/^raas: stage failed: spec\.left\.uri: s3:\/\/ledger\/orders\/dt=2024-01-05\/orders\.csv does not exist/);
    expect(JSON.parse(await readFile(log, 'utf8'))).toMatchObject({ phase: 'Failed', stage: 'stage' });
  });
});
