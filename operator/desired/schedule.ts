// Schedule maths for the operator: the next run time for status, the window of a
// CronJob-created Job, and the periods of a backfill. The window of a scheduled Job is
// computed exactly as the runner computes it (from the Job name, runner/cli/choose-window.ts),
// so the ReconRun mirroring a Job shows the window the runner really used.
import { CronExpressionParser } from 'cron-parser';
import { periodOptions } from '../../runner/cli/choose-window.ts';
import type { ReconJob } from '../../runner/spec/schema.ts';
import { assertTimeZone, lastCompletePeriodBefore, periodContaining, windowForDate, WindowError, type ReconWindow } from '../../runner/window/window.ts';

/** A backfill beyond this is almost always a typo in a date (a year of daily runs). */
export const MAX_BACKFILL_PERIODS = 366;

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

// Kubernetes parses CronJob schedules with robfig/cron's standard parser: five fields,
// numbers or names, * ? - / and lists, plus these descriptors. Expressions it would
// reject are rejected here with a clearer message than the API server's.
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  namesFrom?: number;
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], namesFrom: 1 },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], namesFrom: 0 },
];

const TOKEN = /^(\*|\?|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/;

/** The expression in the five-field form cron-parser reads, or a ScheduleError saying what is wrong. */
export function normalizeCron(cron: string): string {
  const text = cron.trim();
  if (/^(CRON_)?TZ=/i.test(text)) {
    throw new ScheduleError(`schedule.cron "${cron}" sets a time zone; put it in spec.schedule.timeZone instead`);
  }
  if (text.startsWith('@')) {
    const expanded = DESCRIPTORS[text.toLowerCase()];
    if (!expanded) {
      throw new ScheduleError(`schedule.cron "${cron}" is not supported; use five fields such as "0 2 * * *" or one of ${Object.keys(DESCRIPTORS).join(', ')}`);
    }
    return expanded;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new ScheduleError(`schedule.cron "${cron}" has ${parts.length} fields; use five: minute hour day-of-month month day-of-week, e.g. "0 2 * * *"`);
  }
  return parts.map((part, i) => normalizeField(part, FIELDS[i] as Field, cron)).join(' ');
}

function normalizeField(part: string, f: Field, cron: string): string {
  const bad = (why: string): ScheduleError => new ScheduleError(`schedule.cron "${cron}": ${f.name} "${part}" ${why}`);
  for (const token of part.toLowerCase().split(',')) {
    const m = TOKEN.exec(token);
    if (!m) throw bad(`is not valid; use numbers, ranges (1-5), steps (*/15) and lists (1,15)`);
    const [, range = '', step] = m;
    if (step !== undefined && Number(step) < 1) throw bad('has a step of 0');
    if (range === '*' || range === '?') continue;
    const [lo = '', hi] = range.split('-');
    const a = fieldValue(lo, f, bad);
    const b = hi === undefined ? a : fieldValue(hi, f, bad);
    if (b < a) throw bad(`has a range that runs backwards (${a}-${b})`);
  }
  // robfig reads ? as *; cron-parser may not.
  return part.replaceAll('?', '*');
}

function fieldValue(text: string, f: Field, bad: (why: string) => ScheduleError): number {
  const byName = f.names?.indexOf(text) ?? -1;
  const n = byName >= 0 ? byName + (f.namesFrom ?? 0) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(n)) throw bad(`has "${text}", which is not a number${f.names ? ' or a name such as ' + f.names[1] : ''}`);
  if (n < f.min || n > f.max) throw bad(`has ${n}, outside ${f.min}-${f.max}`);
  return n;
}

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
