// Reconciliation windows: which half-open interval [start, end) of time a run covers.
// Pure functions, no I/O. All calendar reasoning happens on local dates in the job's
// time zone; instants are derived from local dates only at the boundaries, so that a
// DST day is 23 or 25 hours long instead of drifting every later boundary by an hour.
import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

export const PERIODS = ['Daily', 'Weekly', 'SemiMonthly', 'Monthly', 'Quarterly'] as const;
export type Period = (typeof PERIODS)[number];

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface PeriodOptions {
  period: Period;
  timeZone: string;
  /** Weekly only; default Monday. */
  weekStartsOn?: Weekday;
  /** Monthly only, 1..28; default 1. */
  anchorDay?: number;
}

/** A half-open interval: `end` is exclusive. */
export interface ReconWindow {
  start: string;
  end: string;
  startDate: string;
  endDate: string;
}

export class WindowError extends Error {
  override readonly name = 'WindowError';
}

/** Labels used in messages, so CLI users see `--start` and manifest users see `spec.window.start`. */
export interface ExplicitWindowLabels {
  start: string;
  end: string;
}

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const MAX_ANCHOR_DAY = 28;

interface LocalDate {
  year: number;
  month: number; // 1..12
  day: number;
}

/** What window maths asks of a zone: its UTC offset (minutes) at an instant. */
type Zone = Pick<IANAZone, 'offset'>;

/**
 * UTC, the default zone, is answered without Intl: the first Intl formatter a process builds
 * loads ICU's locale and zone data, which cost a small run more than computing its window.
 * Other zones go through luxon's IANA zones (and Intl).
 */
const UTC = 'UTC';

function zoneOf(timeZone: string): Zone {
  return timeZone === UTC ? FixedOffsetZone.utcInstance : IANAZone.create(timeZone);
}

interface ResolvedOptions {
  period: Period;
  timeZone: string;
  zone: Zone;
  weekStartsOn: Weekday;
  anchorDay: number;
}

interface InstantWindow {
  startMs: number;
  endMs: number;
  startDate: string;
  endDate: string;
}

// Checking a zone builds an Intl formatter, which costs more than computing a window.
const knownZones = new Set<string>();

export function assertTimeZone(tz: string): void {
  if (tz === UTC || knownZones.has(tz)) return;
  if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) {
    throw new WindowError(
      `timeZone ${JSON.stringify(tz)} is not an IANA time zone name (e.g. UTC, Europe/Berlin, Asia/Tokyo)`,
    );
  }
  knownZones.add(tz);
}

export function periodContaining(instant: Date, opts: PeriodOptions): ReconWindow {
  const o = resolveOptions(opts);
  return toReconWindow(containingMs(instantMs(instant, 'instant'), o), o.timeZone);
}

export function windowForDate(date: string, opts: PeriodOptions, label = '--date'): ReconWindow {
  const o = resolveOptions(opts);
  const local = parseLocalDate(date, label);
  const w = windowForBounds(periodBounds(local, o), o);
  if (w.endMs <= w.startMs) {
    // Only possible for a day a zone skipped entirely (Pacific/Apia, 2011-12-30).
    throw new WindowError(
      `${label} ${JSON.stringify(date)} does not exist in ${o.timeZone} (the time zone skipped that day); choose another date`,
    );
  }
  return toReconWindow(w, o.timeZone);
}

export function lastCompletePeriodBefore(instant: Date, opts: PeriodOptions): ReconWindow {
  const o = resolveOptions(opts);
  // Periods tile the timeline, so the one ending at or before `instant` is the one
  // just before the period containing it, whether or not `instant` is on a boundary.
  const current = containingMs(instantMs(instant, 'instant'), o);
  return toReconWindow(containingMs(current.startMs - 1, o), o.timeZone);
}

export function explicitWindow(
  start: string,
  end: string,
  timeZone: string,
  labels: ExplicitWindowLabels = { start: '--start', end: '--end' },
): ReconWindow {
  assertTimeZone(timeZone);
  const zone = zoneOf(timeZone);
  const startMs = parseIsoInstant(start, labels.start, zone, timeZone);
  const endMs = parseIsoInstant(end, labels.end, zone, timeZone);
  if (endMs <= startMs) {
    throw new WindowError(
      `${labels.end} must be after ${labels.start} (got ${labels.start} ${JSON.stringify(start)}, ${labels.end} ${JSON.stringify(end)})`,
    );
  }
  return toReconWindow(instantWindow(startMs, endMs, timeZone), timeZone);
}

export function windowFromInstants(start: Date, end: Date, timeZone: string): ReconWindow {
  assertTimeZone(timeZone);
  const startMs = wholeSecondMs(start, 'window start');
  const endMs = wholeSecondMs(end, 'window end');
  if (endMs <= startMs) {
    throw new WindowError(
      `window end must be after window start (got start ${start.toISOString()}, end ${end.toISOString()})`,
    );
  }
  return toReconWindow(instantWindow(startMs, endMs, timeZone), timeZone);
}

// ---------------------------------------------------------------------------------------
// Options

function resolveOptions(opts: PeriodOptions): ResolvedOptions {
  // Options come from YAML, so the declared types are not trusted at runtime.
  const period: unknown = opts.period;
  if (!isOneOf(PERIODS, period)) {
    throw new WindowError(`period ${JSON.stringify(period)} is not supported; use one of ${PERIODS.join(', ')}`);
  }
  assertTimeZone(opts.timeZone);

  const weekStartsOn: unknown = opts.weekStartsOn;
  if (weekStartsOn !== undefined) {
    if (!isOneOf(WEEKDAYS, weekStartsOn)) {
      throw new WindowError(
        `weekStartsOn ${JSON.stringify(weekStartsOn)} is not a weekday; use one of ${WEEKDAYS.join(', ')}`,
      );
    }
    if (period !== 'Weekly') {
      throw new WindowError(
        `weekStartsOn applies only to period Weekly (period is ${period}); remove weekStartsOn or use period: Weekly`,
      );
    }
  }

  const anchorDay: unknown = opts.anchorDay;
  if (anchorDay !== undefined) {
    if (typeof anchorDay !== 'number' || !Number.isInteger(anchorDay)) {
      throw new WindowError(`anchorDay ${JSON.stringify(anchorDay)} is not a whole number: use 1..${MAX_ANCHOR_DAY}`);
    }
    if (anchorDay < 1 || anchorDay > MAX_ANCHOR_DAY) {
      // 29..31 would not exist in every month, so the window length would depend on the month.
      throw new WindowError(`anchorDay ${anchorDay} is out of range: use 1..${MAX_ANCHOR_DAY}`);
    }
    if (period !== 'Monthly') {
      throw new WindowError(
        `anchorDay applies only to period Monthly (period is ${period}); remove anchorDay or use period: Monthly`,
      );
    }
  }

  return {
    period,
    timeZone: opts.timeZone,
    zone: zoneOf(opts.timeZone),
    weekStartsOn: weekStartsOn ?? 'Monday',
    anchorDay: anchorDay ?? 1,
  };
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------
// Periods on the local calendar

function periodBounds(d: LocalDate, o: ResolvedOptions): { start: LocalDate; end: LocalDate } {
  switch (o.period) {
    case 'Daily':
      return { start: d, end: addDays(d, 1) };
    case 'Weekly': {
      const back = (weekdayIndex(d) - WEEKDAYS.indexOf(o.weekStartsOn) + 7) % 7;
      const start = addDays(d, -back);
      return { start, end: addDays(start, 7) };
    }
    case 'SemiMonthly':
      return d.day <= 15
        ? { start: { ...d, day: 1 }, end: { ...d, day: 16 } }
        : { start: { ...d, day: 16 }, end: { ...addMonths(d, 1), day: 1 } };
    case 'Monthly': {
      const a = o.anchorDay;
      return d.day >= a
        ? { start: { ...d, day: a }, end: { ...addMonths(d, 1), day: a } }
        : { start: { ...addMonths(d, -1), day: a }, end: { ...d, day: a } };
    }
    case 'Quarterly': {
      const start: LocalDate = { year: d.year, month: Math.floor((d.month - 1) / 3) * 3 + 1, day: 1 };
      return { start, end: addMonths(start, 3) };
    }
  }
}

function containingMs(ms: number, o: ResolvedOptions): InstantWindow {
  const w = windowForBounds(periodBounds(localDateOf(ms, o.timeZone), o), o);
  // A fall-back that crosses midnight (00:30 -> 23:30) can give an instant after the
  // start of day D the local date D-1; such an instant belongs to the next period.
  return ms >= w.endMs ? windowForBounds(periodBounds(parseKnownDate(w.endDate), o), o) : w;
}

function windowForBounds(b: { start: LocalDate; end: LocalDate }, o: ResolvedOptions): InstantWindow {
  return {
    startMs: startOfLocalDay(b.start, o.zone),
    endMs: startOfLocalDay(b.end, o.zone),
    // Nominal calendar dates, which is what `dt=` style partitions are named after.
    startDate: formatDate(b.start),
    endDate: formatDate(b.end),
  };
}

function instantWindow(startMs: number, endMs: number, timeZone: string): InstantWindow {
  return {
    startMs,
    endMs,
    startDate: formatDate(localDateOf(startMs, timeZone)),
    endDate: formatDate(localDateOf(endMs, timeZone)),
  };
}

function toReconWindow(w: InstantWindow, timeZone: string): ReconWindow {
  return {
    start: formatInstant(w.startMs, timeZone),
    end: formatInstant(w.endMs, timeZone),
    startDate: w.startDate,
    endDate: w.endDate,
  };
}

// ---------------------------------------------------------------------------------------
// Local time <-> instants

/**
 * All instants at which the zone's clock reads `localMs` (a wall time encoded as if it
 * were UTC): none in a DST gap, two in a fall-back overlap. Luxon resolves overlaps using
 * the offset in force *now*, which would make a window depend on when the code runs.
 */
function instantsForLocal(localMs: number, zone: Zone): number[] {
  const candidates = new Set<number>();
  // Any offset (|offset| <= 15 h) that could apply to this wall time is in force
  // somewhere within a day of it.
  for (const probe of [-MS_PER_DAY, -12 * MS_PER_HOUR, 0, 12 * MS_PER_HOUR, MS_PER_DAY]) {
    candidates.add(zone.offset(localMs + probe));
  }
  const instants = new Set<number>();
  for (const offset of candidates) {
    const t = localMs - offset * MS_PER_MINUTE;
    if (zone.offset(t) === offset) instants.add(t);
  }
  return [...instants].sort((a, b) => a - b);
}

/** The first instant of a local day; where midnight is skipped, the end of the gap. */
function startOfLocalDay(d: LocalDate, zone: Zone): number {
  const localMs = utcMs(d.year, d.month, d.day);
  const instants = instantsForLocal(localMs, zone);
  if (instants[0] !== undefined) return instants[0];
  // In a gap the offset before is smaller than the one after, so the transition lies
  // between the two readings of the wall time; find it to the millisecond.
  const before = zone.offset(localMs - MS_PER_DAY);
  const after = zone.offset(localMs + MS_PER_DAY);
  let lo = localMs - after * MS_PER_MINUTE;
  let hi = localMs - before * MS_PER_MINUTE;
  const offsetLo = zone.offset(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === offsetLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

function localDateOf(ms: number, timeZone: string): LocalDate {
  if (timeZone === UTC) {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  }
  const dt = DateTime.fromMillis(ms, { zone: timeZone });
  return { year: dt.year, month: dt.month, day: dt.day };
}

function formatInstant(ms: number, timeZone: string): string {
  // Years 0..9999 print as luxon prints them (the ISO text without milliseconds).
  const year = new Date(ms).getUTCFullYear();
  if (timeZone === UTC && year >= 0 && year <= 9999) return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
  // ZZ always prints a numeric offset; toISO() would print Z for UTC.
  return DateTime.fromMillis(ms, { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

function instantMs(instant: Date, what: string): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new WindowError(`${what} is not a valid Date`);
  return ms;
}

function wholeSecondMs(instant: Date, what: string): number {
  const ms = instantMs(instant, what);
  if (ms % 1000 !== 0) {
    throw new WindowError(
      `${what} ${instant.toISOString()} has fractional seconds; window boundaries are whole seconds`,
    );
  }
  return ms;
}

// ---------------------------------------------------------------------------------------
// Parsing

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

function parseLocalDate(input: string, label: string): LocalDate {
  const m = typeof input === 'string' ? DATE_RE.exec(input) : null;
  const d = m ? validDate(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
  if (!d) {
    throw new WindowError(`${label} ${JSON.stringify(input)} is not a valid date; use YYYY-MM-DD, e.g. 2024-01-31`);
  }
  return d;
}

function parseKnownDate(date: string): LocalDate {
  const [year, month, day] = date.split('-').map(Number);
  return { year: year ?? 0, month: month ?? 1, day: day ?? 1 };
}

function parseIsoInstant(input: string, label: string, zone: Zone, timeZone: string): number {
  const invalid = (): WindowError =>
    new WindowError(
      `${label} ${JSON.stringify(input)} is not a valid date or date-time; use YYYY-MM-DD or ISO-8601 such as 2024-01-31T00:00:00+09:00`,
    );
  const m = typeof input === 'string' ? ISO_RE.exec(input) : null;
  if (!m) throw invalid();
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const date = validDate(Number(y), Number(mo), Number(d));
  if (!date) throw invalid();
  if (h === undefined || mi === undefined) {
    // A bare date means the start of that day, exactly as a Daily window would start it.
    return startOfLocalDay(date, zone);
  }
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) throw invalid();
  if (frac !== undefined && /[1-9]/.test(frac)) {
    throw new WindowError(
      `${label} ${JSON.stringify(input)} has fractional seconds; window boundaries are whole seconds`,
    );
  }
  const localMs = utcMs(date.year, date.month, date.day, hour, minute, second);
  if (z !== undefined) return localMs;
  if (sign !== undefined && oh !== undefined && om !== undefined) {
    if (Number(oh) > 18 || Number(om) > 59) throw invalid();
    const offsetMin = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
    return localMs - offsetMin * MS_PER_MINUTE;
  }
  // No offset: a wall time in the job's zone, which must name exactly one instant.
  const instants = instantsForLocal(localMs, zone);
  if (instants.length === 0) {
    throw new WindowError(
      `${label} ${JSON.stringify(input)} does not exist in ${timeZone} (clocks skip it for daylight saving); add an explicit UTC offset`,
    );
  }
  if (instants.length > 1) {
    const examples = instants.map((t) => formatInstant(t, timeZone)).join(' or ');
    throw new WindowError(
      `${label} ${JSON.stringify(input)} is ambiguous in ${timeZone} (the clock shows it twice); add an explicit UTC offset, e.g. ${examples}`,
    );
  }
  return instants[0] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic on plain dates (proleptic Gregorian)

function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validDate(year: number, month: number, day: number): LocalDate | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

function addDays(d: LocalDate, n: number): LocalDate {
  const t = new Date(utcMs(d.year, d.month, d.day) + n * MS_PER_DAY);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** Shifts the month only; callers set a day that exists in every month. */
function addMonths(d: LocalDate, n: number): LocalDate {
  const index = d.year * 12 + (d.month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1, day: d.day };
}

function weekdayIndex(d: LocalDate): number {
  // getUTCDay counts from Sunday; WEEKDAYS counts from Monday.
  return (new Date(utcMs(d.year, d.month, d.day)).getUTCDay() + 6) % 7;
}

function formatDate(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/**
 * The shape of an IANA time zone name (Area/Location, UTC, Etc/GMT+5, EST5EDT), in the
 * common subset of RE2 and JavaScript: what the CRD's CEL can check before any code runs.
 * Every name the time zone database has fits it; whether the name exists is assertTimeZone's.
 */
export const TIME_ZONE_SHAPE = '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$';
