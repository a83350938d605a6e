// Cron syntax as Kubernetes CronJobs accept it, checked without any I/O: shared by the
// operator (CronJobs, status) and `raas validate`, which runs every check that needs no data.

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

// The shape of a schedule as one regular expression over its lower-cased text, for the
// checks that run before any code does (the CRD's CEL rule, the spec schema): five fields
// of numbers within each field's range, names, * ? - / and lists, or a descriptor. Written
// in the common subset of RE2 (the API server's CEL) and JavaScript, without quotes, so
// the CEL rule can quote it as a raw string. Accepts everything normalizeCron accepts; what it
// lets through (a range that runs backwards) normalizeCron refuses.
const NUMBER_RANGES: Record<string, string> = {
  minute: '[1-5]?[0-9]',
  hour: '1?[0-9]|2[0-3]',
  'day of month': '[1-9]|[12][0-9]|3[01]',
  month: '[1-9]|1[0-2]',
  'day of week': '[0-6]',
};

function fieldShape(f: Field): string {
  const value = `0*(${NUMBER_RANGES[f.name]})${f.names ? `|${f.names.join('|')}` : ''}`;
  const token = `([*?]|(${value})(-(${value}))?)(/0*[1-9][0-9]*)?`;
  return `(${token})(,(${token}))*`;
}

export const CRON_SHAPE =
  `^[ \\t]*(@(${Object.keys(DESCRIPTORS).map((d) => d.slice(1)).join('|')})|${FIELDS.map(fieldShape).join('[ \\t]+')})[ \\t]*$`;
