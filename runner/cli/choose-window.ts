// Which window a run covers, from the CLI flags or the environment the operator sets.
// Pure apart from the `now` it is given.
import type { ReconJobSpec } from '../spec/schema.ts';
import { explicitWindow, lastCompletePeriodBefore, windowForDate, WindowError, type PeriodOptions, type ReconWindow } from '../window/window.ts';

export interface WindowFlags {
  date?: string;
  start?: string;
  end?: string;
}

export function periodOptions(spec: ReconJobSpec): PeriodOptions {
  const s = spec.schedule;
  return {
    period: s?.period ?? 'Daily',
    timeZone: s?.timeZone ?? 'UTC',
    ...(s?.weekStartsOn ? { weekStartsOn: s.weekStartsOn } : {}),
    ...(s?.anchorDay ? { anchorDay: s.anchorDay } : {}),
  };
}

/**
 * --date picks the period containing that day; --start/--end an explicit window;
 * RAAS_WINDOW_START/END (set by the operator for manual runs and backfills) likewise;
 * RAAS_JOB_NAME (a CronJob-created Job, named <cronjob>-<scheduled minutes since the
 * epoch>), RAAS_SCHEDULED_TIME, or else now: the last complete period before that instant.
 */
export function chooseWindow(flags: WindowFlags, spec: ReconJobSpec, now: Date, env: NodeJS.ProcessEnv = {}): { window: ReconWindow; how: string } {
  const opts = periodOptions(spec);
  if (flags.date !== undefined && (flags.start !== undefined || flags.end !== undefined)) {
    throw new WindowError('--date cannot be combined with --start/--end; use one or the other');
  }
  if (flags.date !== undefined) return { window: windowForDate(flags.date, opts), how: `${opts.period} period containing ${flags.date}` };
  if (flags.start !== undefined || flags.end !== undefined) {
    if (flags.start === undefined || flags.end === undefined) throw new WindowError('--start and --end go together; give both, e.g. --start 2024-01-01 --end 2024-01-02');
    return { window: explicitWindow(flags.start, flags.end, opts.timeZone), how: 'explicit window' };
  }
  if (env.RAAS_WINDOW_START && env.RAAS_WINDOW_END) {
    return { window: explicitWindow(env.RAAS_WINDOW_START, env.RAAS_WINDOW_END, opts.timeZone), how: 'window from RAAS_WINDOW_START/END' };
  }
  if (env.RAAS_JOB_NAME) {
    const scheduled = scheduledTimeFromJobName(env.RAAS_JOB_NAME);
    return { window: lastCompletePeriodBefore(scheduled, opts), how: `last complete ${opts.period} period before ${scheduled.toISOString()} (scheduled, from Job ${env.RAAS_JOB_NAME})` };
  }
  if (env.RAAS_SCHEDULED_TIME) {
    const t = new Date(env.RAAS_SCHEDULED_TIME);
    if (Number.isNaN(t.getTime())) throw new WindowError(`RAAS_SCHEDULED_TIME "${env.RAAS_SCHEDULED_TIME}" is not an ISO-8601 instant`);
    return { window: lastCompletePeriodBefore(t, opts), how: `last complete ${opts.period} period before ${env.RAAS_SCHEDULED_TIME}` };
  }
  return { window: lastCompletePeriodBefore(now, opts), how: `last complete ${opts.period} period before now` };
}

/** The CronJob controller names each Job `<cronjob>-<scheduled time in minutes since the epoch>`. */
export function scheduledTimeFromJobName(jobName: string): Date {
  const m = /-(\d{1,12})$/.exec(jobName);
  if (!m) throw new WindowError(`RAAS_JOB_NAME "${jobName}" does not end in -<minutes since the epoch>, so the scheduled time is unknown; set RAAS_WINDOW_START and RAAS_WINDOW_END instead`);
  return new Date(Number(m[1]) * 60_000);
}
