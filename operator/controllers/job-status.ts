// The ReconJob status as a pure function of the job, its CronJob and its runs.
import type { V1CronJob } from '@kubernetes/client-node';
import type { Condition } from '../api/common.ts';
import type { LastRun, ReconJobStatus } from '../api/reconjob-status.ts';
import { iso } from '../desired/run-status.ts';
import { nextScheduleTime } from '../desired/schedule.ts';
import { millis } from '../desired/timestamps.ts';
import type { ReconRun } from '../desired/types.ts';
import type { ReconJob } from '../../runner/spec/schema.ts';

/** Replaces or adds a condition, keeping lastTransitionTime while the status is unchanged. */
export function setCondition(previous: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const list = [...(previous ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const cond: Condition = { ...next, lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : iso(now) };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}

function lastRunOf(runs: readonly ReconRun[]): LastRun | undefined {
  const finished = runs.filter((r) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed');
  const pick = (finished.length ? finished : runs).slice().sort((a, b) => {
    const ta = millis(a.status?.completionTime) ?? millis(a.metadata.creationTimestamp) ?? 0;
    const tb = millis(b.status?.completionTime) ?? millis(b.metadata.creationTimestamp) ?? 0;
    return tb - ta || b.metadata.name.localeCompare(a.metadata.name);
  })[0];
  if (!pick) return undefined;
  const s = pick.status;
  return {
    name: pick.metadata.name,
    phase: s?.phase ?? 'Pending',
    ...(s?.balanced !== undefined ? { balanced: s.balanced } : {}),
    window: pick.spec.window,
    ...(s?.completionTime ? { completionTime: s.completionTime } : {}),
    ...(s?.counts ? { counts: s.counts } : {}),
  };
}

export function jobStatusValid(
  job: ReconJob & { metadata: { generation?: number; creationTimestamp?: string | Date } },
  previous: ReconJobStatus | undefined,
  cronJob: V1CronJob | undefined,
  runs: readonly ReconRun[],
  now: Date,
): ReconJobStatus {
  const sched = job.spec.schedule;
  const generation = job.metadata.generation ?? 0;
  const suspended = sched?.suspend === true;
  const message = !sched ? 'no schedule: runs are created as ReconRuns (manual or backfill)' : suspended ? `schedule "${sched.cron}" is suspended` : `scheduled "${sched.cron}" in ${sched.timeZone ?? 'UTC'}`;
  const lastSchedule = cronJob?.status?.lastScheduleTime;
  const lastRun = lastRunOf(runs);
  const active = runs.filter((r) => r.status?.phase !== 'Succeeded' && r.status?.phase !== 'Failed').length;
  return {
    conditions: setCondition(previous?.conditions, { type: 'Ready', status: 'True', reason: suspended ? 'Suspended' : sched ? 'Scheduled' : 'Ready', message, observedGeneration: generation }, now),
    observedGeneration: generation,
    ...(lastSchedule ? { lastScheduleTime: iso(new Date(lastSchedule)) } : {}),
    ...(sched && !suspended ? { nextScheduleTime: iso(nextScheduleTime(sched.cron, sched.timeZone ?? 'UTC', scheduleBase(lastSchedule, job.metadata.creationTimestamp, now))) } : {}),
    ...(lastRun ? { lastRun } : {}),
    activeRuns: active,
  };
}

/**
 * The next run is due after the last one the CronJob scheduled (or after the job was
 * created), not after "now": when a run never happens, nextScheduleTime stays in the past
 * and the overdue alert (raas_job_next_schedule_timestamp_seconds) can fire.
 */
function scheduleBase(lastSchedule: unknown, created: unknown, now: Date): Date {
  const t = millis(lastSchedule as string | Date | undefined) ?? millis(created as string | Date | undefined);
  return t !== undefined ? new Date(t) : now;
}

export const SUSPENDED_WHILE_INVALID = 'the CronJob is suspended until the spec is fixed: no scheduled run uses the last valid spec meanwhile';

export function jobStatusInvalid(generation: number, previous: ReconJobStatus | undefined, problems: string[], now: Date, o: { cronJobSuspended?: boolean } = {}): ReconJobStatus {
  // The suspension goes first: a long list of problems is cut at 1,000 characters.
  const message = [...(o.cronJobSuspended ? [SUSPENDED_WHILE_INVALID] : []), problems.join('; ')].join('; ').slice(0, 1000);
  const { nextScheduleTime: _next, ...rest } = previous ?? {};
  return {
    ...rest,
    conditions: setCondition(previous?.conditions, { type: 'Ready', status: 'False', reason: 'InvalidSpec', message, observedGeneration: generation }, now),
    observedGeneration: generation,
  };
}

/** Status equality that ignores nothing: used to skip writes that would change nothing. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  if (v instanceof Date) return v.toISOString();
  return v;
}
