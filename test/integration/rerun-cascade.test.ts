// `kubectl recon rerun --cascade` on the real control plane: a carry-forward job's break of
// day 1 is carried into days 2 and 3; the day-1 data is corrected upstream. A rerun of
// day 1 alone leaves days 2 and 3 as they were (and says so); with cascade, days 1, 2 and
// 3 run again one after the other, and the break is gone from every window. A cascade
// whose first run fails never runs the rest.
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { CASCADE_AFTER_ANNOTATION } from '../../operator/desired/admission.ts';
import { backfill, rerun } from '../../operator/cli/recon-commands.ts';
import { rerunWindows } from '../../operator/actions/runs.ts';
import { operatorEnvForFile, s3ReconJob, statusOf, waitFor, type OperatorEnv } from '../support/operator-env.ts';

const world = operatorEnvForFile({ shared: true });
const JOB = 'cascade';
const DAYS = ['2024-03-01', '2024-03-02', '2024-03-03'] as const;
const csv = (...rows: string[]) => ['id,amount,currency', ...rows].join('\n') + '\n';
const LEDGER: Record<string, string> = { '2024-03-01': csv('A,10.00,EUR', 'B,20.00,EUR'), '2024-03-02': csv('C,30.00,EUR'), '2024-03-03': csv('D,40.00,EUR') };
// Day 1 of the provider's file misses B: a break that carries forward into days 2 and 3.
const PSP: Record<string, string> = { '2024-03-01': csv('A,10.00,EUR'), '2024-03-02': csv('C,30.00,EUR'), '2024-03-03': csv('D,40.00,EUR') };

type Run = { metadata: { name: string; annotations?: Record<string, string> }; spec: { window: { start: string } }; status: Record<string, unknown> };

async function put(e: OperatorEnv, bucket: string, day: string, body: string): Promise<void> {
  await e.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${JOB}/${day}.csv`, Body: body }));
}

/** The named runs once each has finished (Succeeded or Failed). */
async function finished(e: OperatorEnv, names: string[]): Promise<Map<string, Run>> {
  return waitFor(
    `${names.length} runs finished`,
    async () => {
      const all = (await e.list('raas.dev/v1alpha1/reconruns', e.namespace)) as unknown as Run[];
      const mine = all.filter((r) => names.includes(r.metadata.name)).map((r) => ({ ...r, status: statusOf(r as never) }));
      return mine.length === names.length && mine.every((r) => r.status.phase === 'Succeeded' || r.status.phase === 'Failed') ? new Map(mine.map((r) => [r.metadata.name, r])) : undefined;
    },
    480_000,
  );
}

const dayOf = (r: Run): string => r.spec.window.start.slice(0, 10);
const runsPerDay = async (e: OperatorEnv): Promise<Record<string, number>> => {
  const all = (await e.list('raas.dev/v1alpha1/reconruns', e.namespace)) as unknown as Run[];
  return Object.fromEntries(DAYS.map((d) => [d, all.filter((r) => dayOf(r) === d).length]));
};

describe('rerun --cascade on the real control plane', { timeout: 900_000 }, () => {
  it('recomputes the later windows of a carry-forward job only when asked, one after the other', async (ctx) => {
    const e = await world(ctx);
    const ns = e.namespace;
    for (const day of DAYS) {
      await put(e, 'ledger', day, LEDGER[day]!);
      await put(e, 'psp', day, PSP[day]!);
    }
    await e.kube.createCustom(
      'reconjobs',
      ns,
      s3ReconJob(JOB, ns, {
        left: { name: 'ledger', uri: `s3://ledger/${JOB}/{{ window.startDate }}.csv` },
        right: { name: 'psp', uri: `s3://psp/${JOB}/{{ window.startDate }}.csv` },
        compare: [{ column: 'amount', tolerance: { absolute: 0.01 } }, { column: 'currency' }],
        amount: { column: 'amount', currency: 'currency' },
        carryForward: { periods: 2 },
        schedule: { cron: '0 6 * * *', timeZone: 'UTC', period: 'Daily', suspend: true },
      }),
    );
    await waitFor('ReconJob Ready', async () => (statusOf(await e.get('raas.dev/v1alpha1/reconjobs', ns, JOB)).conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True'));

    // The three days: B is a day-1 break, persisting on days 2 and 3.
    const { created } = await backfill(e.kube, { namespace: ns, job: JOB, from: DAYS[0], to: DAYS[2] }, () => undefined);
    const first = [...(await finished(e, created)).values()];
    for (const r of first) expect(r.status.phase, `${dayOf(r)}: ${String(r.status.message)}`).toBe('Succeeded');
    const firstBy = new Map(first.map((r) => [dayOf(r), r.status]));
    expect(firstBy.get(DAYS[0])).toMatchObject({ counts: { matched: 1, leftOnly: 1 }, atStake: { EUR: { leftOnly: '20.00' } }, breaks: { open: 1, new: 1 } });
    expect(firstBy.get(DAYS[1])).toMatchObject({ counts: { matched: 1, leftOnly: 0 }, breaks: { open: 1, persisting: 1 } });
    expect(firstBy.get(DAYS[2])).toMatchObject({ breaks: { open: 1, persisting: 1, oldestAgeDays: 2 } });

    // The provider's day-1 file is corrected: B was settled after all.
    await put(e, 'psp', DAYS[0], csv('A,10.00,EUR', 'B,20.00,EUR'));

    // A rerun of day 1 alone: day 1 balances, days 2 and 3 are left as they were, and the
    // command says so and how to cascade (the lines `kubectl recon rerun` prints).
    const lines: string[] = [];
    const alone = await rerun(e.kube, { namespace: ns, job: JOB, date: DAYS[0] }, (l) => lines.push(l));
    expect(lines.at(-1)).toBe(
      `note: 2 later windows (2024-03-02 .. 2024-03-03) keep the results computed from the old run of 2024-03-01; to recompute them too: kubectl recon rerun ${JOB} --date 2024-03-01 --cascade -n ${ns}`,
    );
    const aloneRun = (await finished(e, [alone])).get(alone)!;
    expect(aloneRun.status).toMatchObject({ phase: 'Succeeded', balanced: true, counts: { matched: 2, leftOnly: 0 }, breaks: { open: 0 } });
    expect(await runsPerDay(e)).toEqual({ [DAYS[0]]: 2, [DAYS[1]]: 1, [DAYS[2]]: 1 });

    // With cascade: days 1, 2 and 3 again, each waiting for the one before it.
    const cascadeLines: string[] = [];
    const cascade = await rerunWindows(e.kube, { namespace: ns, job: JOB, date: DAYS[0], cascade: true, now: new Date(Date.now() + 1_000) }, (l) => cascadeLines.push(l));
    expect(cascade).toHaveLength(3);
    expect(cascadeLines[1]).toContain(`(starts after reconrun/${cascade[0]} succeeds)`);
    const again = await finished(e, cascade);
    const ordered = cascade.map((n) => again.get(n)!);
    expect(ordered.map(dayOf)).toEqual([...DAYS]);
    for (const r of ordered) expect(r.status.phase, `${dayOf(r)}: ${String(r.status.message)}`).toBe('Succeeded');
    expect(ordered[1]!.metadata.annotations?.[CASCADE_AFTER_ANNOTATION]).toBe(cascade[0]);
    expect(ordered[2]!.metadata.annotations?.[CASCADE_AFTER_ANNOTATION]).toBe(cascade[1]);
    for (let i = 1; i < ordered.length; i++) {
      expect(Date.parse(String(ordered[i]!.status.startTime))).toBeGreaterThanOrEqual(Date.parse(String(ordered[i - 1]!.status.completionTime)));
    }
    // B is gone from every window: nothing carried, nothing open, nothing at stake.
    for (const r of ordered) {
      expect(r.status).toMatchObject({ balanced: true, counts: { leftOnly: 0, rightOnly: 0, mismatched: 0 }, breaks: { open: 0, persisting: 0 } });
      expect(r.status.atStake).toEqual({});
    }
    expect(ordered.map((r) => (r.status.counts as { matched: number }).matched)).toEqual([2, 1, 1]);

    // A cascade whose day-2 run fails (its input is gone) never runs day 3 on the old state.
    await e.s3.client.send(new DeleteObjectCommand({ Bucket: 'psp', Key: `${JOB}/${DAYS[1]}.csv` }));
    const broken = await rerunWindows(e.kube, { namespace: ns, job: JOB, date: DAYS[1], cascade: true, now: new Date(Date.now() + 2_000) }, () => undefined);
    expect(broken).toHaveLength(2);
    const out = await finished(e, broken);
    expect(out.get(broken[0]!)!.status.phase).toBe('Failed');
    const day3 = out.get(broken[1]!)!.status;
    expect(day3.phase).toBe('Failed');
    expect(day3.message).toBe(`not run: the cascade stopped at reconrun/${broken[0]} (window 2024-03-02T00:00:00+00:00), which failed; once that is fixed, rerun from its window with --cascade`);
    expect(day3.startTime).toBeUndefined();
  });

  it('refuses --cascade on a job without carryForward, naming the field', async (ctx) => {
    const e = await world(ctx);
    await e.kube.createCustom('reconjobs', e.namespace, s3ReconJob('plain', e.namespace, { schedule: { cron: '0 6 * * *', timeZone: 'UTC', suspend: true } }));
    await expect(rerunWindows(e.kube, { namespace: e.namespace, job: 'plain', date: DAYS[0], cascade: true }, () => undefined)).rejects.toThrow(
      /ReconJob plain has no spec\.carryForward, so its windows do not depend on each other: rerun without --cascade/,
    );
  });
});
