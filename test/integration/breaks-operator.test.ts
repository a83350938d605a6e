// examples/breaks on the real control plane: a backfill of the three days creates three
// ReconRuns at once; the operator runs the carry-forward job's windows one at a time in
// window order (each run reads the previous window's committed open items from S3), and
// the runs' status carries money at stake, the ledger and matched-late counts.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { operatorEnvForFile, statusOf, waitFor } from '../support/operator-env.ts';

const world = operatorEnvForFile({ shared: true });
const EXAMPLE = new URL('../../examples/breaks/', import.meta.url);
const DAYS = ['2024-03-01', '2024-03-02', '2024-03-03'];

describe('examples/breaks on the real control plane', { timeout: 600_000 }, () => {
  it('runs the backfilled windows in order and reports money at stake and the ledger in each ReconRun', async (ctx) => {
    const e = await world(ctx);
    for (const day of DAYS) {
      for (const [bucket, side] of [['ledger', 'ledger'], ['psp', 'psp']] as const) {
        const body = await readFile(fileURLToPath(new URL(`data/${side}/${day}.csv`, EXAMPLE)), 'utf8');
        await e.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `breaks/${day}.csv`, Body: body }));
      }
    }
    // The example's manifest, with its inputs and outputs in the cluster's object store.
    const manifest = parse(await readFile(fileURLToPath(new URL('reconjob.yaml', EXAMPLE)), 'utf8')) as { metadata: Record<string, unknown>; spec: Record<string, Record<string, unknown>> };
    manifest.spec.left!.uri = 's3://ledger/breaks/{{ window.startDate }}.csv';
    manifest.spec.right!.uri = 's3://psp/breaks/{{ window.startDate }}.csv';
    manifest.spec.output!.uri = 's3://results/{{ job.name }}/{{ window.startDate }}/';
    manifest.spec.runner = { envFrom: [{ secretRef: { name: 's3-creds' } }] };
    manifest.spec.schedule = { ...manifest.spec.schedule, suspend: true };
    manifest.metadata.namespace = e.namespace;
    await e.kube.createCustom('reconjobs', e.namespace, manifest);
    await waitFor('ReconJob orders-breaks Ready', async () => (statusOf(await e.get('raas.dev/v1alpha1/reconjobs', e.namespace, 'orders-breaks')).conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True'));

    const { created } = await backfill(e.kube, { namespace: e.namespace, job: 'orders-breaks', from: DAYS[0]!, to: DAYS[2]! }, () => undefined);
    expect(created).toHaveLength(3);
    const runs = await waitFor(
      'the three runs finished',
      async () => {
        const all = await e.list('raas.dev/v1alpha1/reconruns', e.namespace);
        const mine = all.filter((r) => created.includes((r.metadata as { name: string }).name));
        return mine.length === 3 && mine.every((r) => ['Succeeded', 'Failed'].includes(String(statusOf(r).phase))) ? mine : undefined;
      },
      480_000,
    );
    const byDay = new Map(runs.map((r) => [String((r.spec as { window: { start: string } }).window.start).slice(0, 10), statusOf(r)] as const));
    for (const day of DAYS) expect(byDay.get(day)?.phase, `${day}: ${String(byDay.get(day)?.message)}`).toBe('Succeeded');
    // In window order: each run started only after the one before it had finished.
    for (let i = 1; i < DAYS.length; i++) {
      expect(Date.parse(String(byDay.get(DAYS[i]!)!.startTime))).toBeGreaterThanOrEqual(Date.parse(String(byDay.get(DAYS[i - 1]!)!.completionTime)));
    }
    const [d1, d2, d3] = DAYS.map((d) => byDay.get(d)!);
    expect(d1!.moneyAtStake).toBe('EUR 118.00, USD 250.00');
    expect(d1!.atStake).toEqual({ EUR: { leftOnly: '75.50', rightOnly: '42.00', mismatched: '0.50' }, USD: { leftOnly: '250.00', rightOnly: '0.00', mismatched: '0.00' } });
    expect(d2!.counts).toMatchObject({ matchedLate: 1, leftOnly: 0, rightOnly: 0 });
    expect(d2!.breaks).toMatchObject({ open: 3, persisting: 3, resolved: 1 });
    expect(d3!.breaks).toMatchObject({ open: 3, persisting: 3, oldestAgeDays: 2, oldestOpenSince: '2024-03-01T00:00:00+00:00' });
    expect(d3!.moneyAtStake).toBe('EUR 118.00');
    // The job's status and the metrics follow the latest finished run.
    const job = await waitFor('ReconJob lastRun has the ledger', async () => {
      const last = statusOf(await e.get('raas.dev/v1alpha1/reconjobs', e.namespace, 'orders-breaks')).lastRun as { breaks?: { oldestAgeDays?: number } } | undefined;
      return last?.breaks?.oldestAgeDays === 2 ? last : undefined;
    });
    expect(job).toMatchObject({ moneyAtStake: 'EUR 118.00' });
    const metrics = await (await fetch(`http://127.0.0.1:${e.operator.port}/metrics`)).text();
    expect(metrics).toContain(`raas_oldest_open_break_age_days{namespace="${e.namespace}",job="orders-breaks"} 2`);
    expect(metrics).toContain(`raas_open_breaks{namespace="${e.namespace}",job="orders-breaks"} 3`);
  });
});
