// Schedule maths for the operator: the next run time for status, the window of a
// CronJob-created Job, and the periods of a backfill. The window of a scheduled Job is
// computed exactly as the runner computes it (from the Job name, runner/cli/choose-window.ts),
// so the ReconRun mirroring a Job shows the window the runner really used.
import { CronExpressionParser } from 'cron-parser';
import { normalizeCron, ScheduleError } from '../../runner/window/cron.ts';
import { periodOptions } from '../../runner/cli/choose-window.ts';
import type { ReconJob } from '../../runner/spec/schema.ts';
import { assertTimeZone, lastCompletePeriodBefore, periodContaining, windowForDate, WindowError, type ReconWindow } from '../../runner/window/window.ts';

/** A backfill beyond this is almost always a typo in a date (a year of daily runs). */
export const MAX_BACKFILL_PERIODS = 366;

export { normalizeCron, ScheduleError } from '../../runner/window/cron.ts';

/** The first time after `after` at which the schedule fires, for status.nextScheduleTime. */
export function nextScheduleTime(cron: string, timeZone: string, after: Date): Date {
  const expression = normalizeCron(cron);
  try {
    assertTimeZone(timeZone);
  } catch (err) {
    throw new ScheduleError(`schedule.${(err as Error).message}`);
  }
  try {
    return CronExpressionParser.parse(expression, { currentDate: after, tz: timeZone }).next().toDate();
  } catch (err) {
    // Valid fields that never match together, such as 30 February.
    throw new ScheduleError(`schedule.cron "${cron}" never fires: ${(err as Error).message}`);
  }
}

/**
 * The scheduled time a CronJob-created Job is named after (`<cronjob>-<minutes since
 * the epoch>`), or undefined for a Job not named that way.
 */
export function scheduledTimeFromJobName(name: string): Date | undefined {
  const m = /-(\d{1,12})$/.exec(name);
  return m ? new Date(Number(m[1]) * 60_000) : undefined;
}

/**
 * The window the runner of a CronJob-created Job covers. Taken from the Job name, not
 * the `cronjob-scheduled-timestamp` annotation, because the name is what the runner sees.
 */
export function windowForScheduledJob(job: ReconJob, jobName: string): ReconWindow {
  const scheduled = scheduledTimeFromJobName(jobName);
  if (!scheduled) {
    throw new ScheduleError(`Job ${jobName} does not end in -<minutes since the epoch>, so it was not created by a CronJob and has no scheduled window`);
  }
  return asScheduleError(() => lastCompletePeriodBefore(scheduled, periodOptions(job.spec)));
}

/**
 * One window per period from the period containing `from` to the period containing
 * `to`, both included, in the job's period and time zone. Whether a period is complete
 * yet is the caller's concern: this knows no clock.
 */
export function backfillWindows(job: ReconJob, from: string, to: string): ReconWindow[] {
  const opts = periodOptions(job.spec);
  return asScheduleError(() => {
    const first = windowForDate(from, opts, 'from');
    const last = windowForDate(to, opts, 'to');
    if (Date.parse(last.start) < Date.parse(first.start)) {
      throw new ScheduleError(`from ${from} is after to ${to}; give the earlier date first`);
    }
    const windows: ReconWindow[] = [first];
    let current = first;
    while (Date.parse(current.start) < Date.parse(last.start)) {
      if (windows.length >= MAX_BACKFILL_PERIODS) {
        throw new ScheduleError(
          `from ${from} to ${to} is more than ${MAX_BACKFILL_PERIODS} ${opts.period} periods; split the backfill into smaller ranges`,
        );
      }
      // Stepping by the instant rather than the date also passes days a zone skipped.
      current = periodContaining(new Date(current.end), opts);
      windows.push(current);
    }
    return windows;
  });
}

function asScheduleError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WindowError) throw new ScheduleError(err.message);
    throw err;
  }
}
