// Pure shaping of the API's lists: query parameters to filters (a bad one names itself),
// Kubernetes objects to API items, filtering, stable ordering and keyset paging with an
// opaque continue token. No I/O here; routes.ts feeds it the watch cache's objects.
import { DateTime } from 'luxon';
import { RUN_PHASES, type ReconRunStatus } from '../../api/reconrun.ts';
import { failureText } from './labels.ts';

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

/** What the watch cache holds for a ReconRun (the fields the API reads). */
export interface RunObject {
  metadata: { name: string; namespace: string; creationTimestamp?: string; uid?: string };
  spec: { jobRef: { name: string }; window: { start: string; end: string }; trigger: string };
  status?: Partial<ReconRunStatus>;
}

export interface JobObject {
  metadata: { name: string; namespace: string; creationTimestamp?: string; uid?: string };
  spec: Record<string, unknown> & { schedule?: { cron?: string; timeZone?: string; suspend?: boolean }; output?: { uri?: string; format?: string } };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>; lastScheduleTime?: string; nextScheduleTime?: string; lastRun?: Record<string, unknown> };
}

export interface RunItem {
  namespace: string;
  name: string;
  job: string;
  window: { start: string; end: string };
  trigger: string;
  phase: string;
  balanced?: boolean;
  createdAt?: string;
  startTime?: string;
  completionTime?: string;
  message?: string;
  failedStage?: string;
  counts?: NonNullable<ReconRunStatus['counts']>;
  mismatchedByColumn?: Record<string, number>;
  diffTotals?: Record<string, string>;
  summaries?: Record<string, string>;
  files?: string[];
  /** A failed run's message as a sentence (labels.ts failureText). */
  failure?: string;
  /** Unreconciled money per currency (exact decimal strings), from the run's status. */
  atStake?: Record<string, AtStake>;
  atStakeByAge?: Record<string, Record<string, string>>;
  breaks?: BreakCounts;
  /** Set on a run whose window has a newer committed (Succeeded) run: that run counts, not this one. */
  supersededBy?: string;
}

export interface AtStake {
  leftOnly: string;
  rightOnly: string;
  mismatched: string;
}

export interface BreakCounts {
  open: number;
  new: number;
  persisting: number;
  resolved: number;
  closed?: number;
  oldestOpenSince?: string;
  oldestAgeDays?: number;
}

export type Badge = 'balanced' | 'unbalanced' | 'failed' | 'running' | 'overdue' | 'pending' | 'invalid';

export interface JobItem {
  namespace: string;
  name: string;
  badge: Badge;
  timeZone: string;
  schedule?: { cron?: string; suspend?: boolean; period?: string };
  ready?: { status: string; reason?: string; message?: string };
  lastScheduleTime?: string;
  nextScheduleTime?: string;
  outputUri?: string;
  lastRun?: RunItem;
}

export interface RunFilter {
  job?: string;
  phase?: string;
  balanced?: boolean;
  from?: string;
  to?: string;
}

export interface Page {
  limit: number;
  after?: string[];
}

type Query = URLSearchParams;

function single(q: Query, name: string): string | undefined {
  const all = q.getAll(name);
  if (all.length > 1) throw new ParamError(name, `${name} is given ${all.length} times; give it once`);
  return all[0];
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A Kubernetes object or namespace name from a path or query; anything else is a 400. */
export function objectName(param: string, value: string | undefined): string {
  if (value === undefined || !DNS_NAME.test(value)) throw new ParamError(param, `${param} must be a Kubernetes name (lowercase letters, digits, '-' and '.', at most 253 characters)`);
  return value;
}

function instant(param: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // A date means its midnight UTC; a time must carry its offset so "from" is one instant.
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  // luxon refuses impossible dates (2024-02-30) that Date.parse silently rolls over.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) || !DateTime.fromISO(text, { setZone: true }).isValid) {
    throw new ParamError(param, `${param} must be a date (YYYY-MM-DD) or an ISO-8601 time with an offset, e.g. 2024-01-01T00:00:00Z`);
  }
  return new Date(text).toISOString();
}

export function parseLimit(q: Query, max = MAX_LIMIT, dflt = DEFAULT_LIMIT): number {
  const v = single(q, 'limit');
  if (v === undefined) return dflt;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1 || Number(v) > max) throw new ParamError('limit', `limit must be an integer from 1 to ${max}`);
  return Number(v);
}

/** The continue token: the sort key of the last item returned, opaque to callers. */
export function encodeContinue(key: readonly string[]): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key })).toString('base64url');
}

export function decodeContinue(token: string | undefined, keyLength: number): string[] | undefined {
  if (token === undefined) return undefined;
  const bad = () => new ParamError('continue', 'continue is not a token this server returned; start again without it');
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const k = (parsed as { v?: unknown; k?: unknown } | null)?.k;
  if ((parsed as { v?: unknown }).v !== 1 || !Array.isArray(k) || k.length !== keyLength || !k.every((x) => typeof x === 'string')) throw bad();
  return k as string[];
}

export function parseRunQuery(q: Query): { filter: RunFilter; page: Page } {
  const known = new Set(['job', 'phase', 'balanced', 'from', 'to', 'limit', 'continue']);
  for (const name of q.keys()) if (!known.has(name)) throw new ParamError(name, `unknown parameter ${name}; the run list takes ${[...known].join(', ')}`);
  const filter: RunFilter = {};
  const job = single(q, 'job');
  if (job !== undefined) filter.job = objectName('job', job);
  const phase = single(q, 'phase');
  if (phase !== undefined) {
    if (!(RUN_PHASES as readonly string[]).includes(phase)) throw new ParamError('phase', `phase must be one of ${RUN_PHASES.join(', ')}`);
    filter.phase = phase;
  }
  const balanced = single(q, 'balanced');
  if (balanced !== undefined) {
    if (balanced !== 'true' && balanced !== 'false') throw new ParamError('balanced', 'balanced must be true or false');
    filter.balanced = balanced === 'true';
  }
  const from = instant('from', single(q, 'from'));
  const to = instant('to', single(q, 'to'));
  if (from) filter.from = from;
  if (to) filter.to = to;
  if (from && to && from >= to) throw new ParamError('to', 'to must be after from');
  const after = decodeContinue(single(q, 'continue'), 3);
  return { filter, page: { limit: parseLimit(q), ...(after ? { after } : {}) } };
}

export function runItem(o: RunObject): RunItem {
  const s = o.status ?? {};
  const item: RunItem = {
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    job: o.spec.jobRef.name,
    window: { start: o.spec.window.start, end: o.spec.window.end },
    trigger: o.spec.trigger,
    phase: s.phase ?? 'Pending',
  };
  if (s.balanced !== undefined) item.balanced = s.balanced;
  if (o.metadata.creationTimestamp) item.createdAt = o.metadata.creationTimestamp;
  if (s.startTime) item.startTime = s.startTime;
  if (s.completionTime) item.completionTime = s.completionTime;
  if (s.message) item.message = s.message;
  if (s.failedStage) item.failedStage = s.failedStage;
  if (s.counts) item.counts = s.counts;
  if (s.mismatchedByColumn) item.mismatchedByColumn = s.mismatchedByColumn;
  if (s.diffTotals) item.diffTotals = s.diffTotals;
  if (s.summaries) item.summaries = s.summaries;
  if (item.phase === 'Failed') {
    const f = failureText(s.failedStage, s.message);
    if (f) item.failure = f;
  }
  // Fields a newer runner writes; read loosely so an older status still lists.
  const loose = s as Record<string, unknown>;
  const atStake = decimalRecord(loose.atStake);
  if (atStake) item.atStake = Object.fromEntries(Object.entries(atStake).map(([c, a]) => [c, { leftOnly: a.leftOnly ?? '0', rightOnly: a.rightOnly ?? '0', mismatched: a.mismatched ?? '0' }]));
  const byAge = decimalRecord(loose.atStakeByAge);
  if (byAge) item.atStakeByAge = byAge;
  const b = loose.breaks as Partial<BreakCounts> | undefined;
  if (b && typeof b === 'object' && typeof b.open === 'number') {
    item.breaks = {
      open: b.open,
      new: b.new ?? 0,
      persisting: b.persisting ?? 0,
      resolved: b.resolved ?? 0,
      ...(typeof b.closed === 'number' ? { closed: b.closed } : {}),
      ...(typeof b.oldestOpenSince === 'string' ? { oldestOpenSince: b.oldestOpenSince } : {}),
      ...(typeof b.oldestAgeDays === 'number' ? { oldestAgeDays: b.oldestAgeDays } : {}),
    };
  }
  const files = [...(s.results?.files ?? []), ...(s.results?.summaryUri ? [s.results.summaryUri] : [])].map(fileName);
  if (files.length) item.files = files;
  return item;
}

/** `{ EUR: { leftOnly: "1.00", … } }` with only decimal-string leaves kept; undefined when empty. */
function decimalRecord(v: unknown): Record<string, Record<string, string>> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, Record<string, string>> = {};
  for (const [cur, inner] of Object.entries(v as Record<string, unknown>)) {
    if (!inner || typeof inner !== 'object') continue;
    const kept: Record<string, string> = {};
    for (const [k, x] of Object.entries(inner as Record<string, unknown>)) if (typeof x === 'string' && DECIMAL_TEXT.test(x)) kept[k] = x;
    if (Object.keys(kept).length) out[cur] = kept;
  }
  return Object.keys(out).length ? out : undefined;
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** A decimal string as an integer count of 10^-18 units: exact, for ordering money without floats. */
export function scaledDecimal(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return 0n;
  const frac = (m[3] ?? '').slice(0, 18).padEnd(18, '0');
  const v = BigInt(m[2]!) * 10n ** 18n + BigInt(frac);
  return m[1] ? -v : v;
}

/** The largest amount at stake in any one currency: money is never added across currencies. */
export function largestAtStake(atStake: Record<string, AtStake> | undefined): bigint {
  let max = 0n;
  for (const a of Object.values(atStake ?? {})) {
    const abs = (t: string | undefined) => {
      const v = scaledDecimal(t ?? '0');
      return v < 0n ? -v : v;
    };
    const total = abs(a.leftOnly) + abs(a.rightOnly) + abs(a.mismatched);
    if (total > max) max = total;
  }
  return max;
}

/**
 * Marks runs that do not count: for each job and window, the newest Succeeded run (by
 * completion) is the one whose results stand; older ones of that window say which run
 * replaced them, so a rerun and a backfill of the same day are never both read as current.
 */
export function markSuperseded(runs: readonly RunItem[]): RunItem[] {
  const counting = new Map<string, RunItem>();
  const key = (r: RunItem) => `${r.namespace}/${r.job}/${r.window.start}/${r.window.end}`;
  for (const r of runs) {
    if (r.phase !== 'Succeeded') continue;
    const cur = counting.get(key(r));
    const t = (x: RunItem) => x.completionTime ?? x.createdAt ?? '';
    if (!cur || t(r) > t(cur) || (t(r) === t(cur) && r.name > cur.name)) counting.set(key(r), r);
  }
  return runs.map((r) => {
    const c = counting.get(key(r));
    return c && c !== r && c.name !== r.name ? { ...r, supersededBy: c.name } : r;
  });
}

/** The last path segment of a result URI: the name the files endpoint serves it under. */
export function fileName(uri: string): string {
  return uri.replace(/\/+$/, '').split('/').pop() ?? uri;
}

const epoch = (t: string) => {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
};

/** Newest window first; then namespace and name, so the order is total and paging stable. */
export function runSortKey(r: RunItem): string[] {
  // Inverted, zero-padded epoch: ascending string order = newest first.
  return [String(9_999_999_999_999 - epoch(r.window.start)).padStart(13, '0'), r.namespace, r.name];
}

function keyLess(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return true;
    if (a[i]! > b[i]!) return false;
  }
  return false;
}

export function matches(r: RunItem, f: RunFilter): boolean {
  if (f.job !== undefined && r.job !== f.job) return false;
  if (f.phase !== undefined && r.phase !== f.phase) return false;
  if (f.balanced !== undefined && r.balanced !== f.balanced) return false;
  const start = epoch(r.window.start);
  if (f.from !== undefined && start < epoch(f.from)) return false;
  if (f.to !== undefined && start >= epoch(f.to)) return false;
  return true;
}

export interface PageOf<T> {
  items: T[];
  metadata: { continue?: string; remainingItemCount?: number };
}

export interface KeyedRun {
  key: string[];
  item: RunItem;
}

/** Runs with their sort keys, in page order: computed once per cache version by the routes. */
export function sortRuns(runs: Iterable<RunItem>): KeyedRun[] {
  const keyed = [...runs].map((item) => ({ key: runSortKey(item), item }));
  return keyed.sort((a, b) => (keyLess(a.key, b.key) ? -1 : keyLess(b.key, a.key) ? 1 : 0));
}

/** Filter, order and cut one page; `continue` is set when more items follow. */
export function pageRuns(runs: Iterable<RunItem> | { sorted: readonly KeyedRun[] }, filter: RunFilter, page: Page): PageOf<RunItem> {
  const sorted = 'sorted' in runs ? runs.sorted : sortRuns(runs);
  const keyed: KeyedRun[] = [];
  for (const k of sorted) {
    if (page.after && !keyLess(page.after, k.key)) continue;
    if (matches(k.item, filter)) keyed.push(k);
  }
  const items = keyed.slice(0, page.limit);
  const rest = keyed.length - items.length;
  return {
    items: items.map((x) => x.item),
    metadata: rest > 0 ? { continue: encodeContinue(items[items.length - 1]!.key), remainingItemCount: rest } : {},
  };
}

/** How long after its scheduled time a run may still be missing before the job is overdue. */
export const OVERDUE_GRACE_MS = 15 * 60_000;

/**
 * The badge a finance user reads first. Failed and running come from the newest run;
 * overdue means the next scheduled time is well past and no newer run was recorded.
 */
export function jobBadge(job: JobObject, newest: RunItem | undefined, now: number): Badge {
  const ready = job.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && ready.reason !== 'Suspended') return 'invalid';
  if (newest && (newest.phase === 'Running' || newest.phase === 'Pending')) return 'running';
  const next = job.status?.nextScheduleTime;
  if (!job.spec.schedule?.suspend && next && epoch(next) + OVERDUE_GRACE_MS < now) return 'overdue';
  if (!newest) return 'pending';
  if (newest.phase === 'Failed') return 'failed';
  return newest.balanced ? 'balanced' : 'unbalanced';
}

export function jobItem(job: JobObject, runsOfJob: readonly RunItem[], now: number): JobItem {
  // The newest run by window, then by creation: a rerun of an old window is not "newest".
  const newest = [...runsOfJob].sort((a, b) => epoch(b.window.start) - epoch(a.window.start) || (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))[0];
  const ready = job.status?.conditions?.find((c) => c.type === 'Ready');
  const item: JobItem = {
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    badge: jobBadge(job, newest, now),
    timeZone: job.spec.schedule?.timeZone ?? 'UTC',
  };
  const sch = job.spec.schedule as { cron?: string; suspend?: boolean; period?: string } | undefined;
  if (sch) item.schedule = { ...(sch.cron ? { cron: sch.cron } : {}), ...(sch.suspend !== undefined ? { suspend: sch.suspend } : {}), ...(sch.period ? { period: sch.period } : {}) };
  if (ready) item.ready = { status: ready.status, ...(ready.reason ? { reason: ready.reason } : {}), ...(ready.message ? { message: ready.message } : {}) };
  if (job.status?.lastScheduleTime) item.lastScheduleTime = job.status.lastScheduleTime;
  if (job.status?.nextScheduleTime) item.nextScheduleTime = job.status.nextScheduleTime;
  if (job.spec.output?.uri) item.outputUri = job.spec.output.uri;
  if (newest) item.lastRun = newest;
  return item;
}

const ATTENTION: Record<Badge, number> = { failed: 0, invalid: 0, overdue: 1, unbalanced: 2, running: 3, pending: 4, balanced: 5 };

/**
 * What needs attention first: failed and invalid jobs (they carry their reason), overdue,
 * then unbalanced by the largest money at stake in one currency, then by the oldest open
 * break; running, pending and balanced jobs last. Ties by namespace and name.
 */
export function attentionCompare(a: JobItem, b: JobItem): number {
  const r = ATTENTION[a.badge] - ATTENTION[b.badge];
  if (r) return r;
  const ma = largestAtStake(a.lastRun?.atStake);
  const mb = largestAtStake(b.lastRun?.atStake);
  if (ma !== mb) return ma > mb ? -1 : 1;
  const oa = a.lastRun?.breaks?.oldestOpenSince ?? '\uffff';
  const ob = b.lastRun?.breaks?.oldestOpenSince ?? '\uffff';
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

/**
 * Jobs by attention (default) or by name. The continue token names the last job returned;
 * the next page starts after it in the current order.
 */
export function pageJobs(jobs: readonly JobItem[], page: Page & { sort?: 'attention' | 'name' }): PageOf<JobItem> {
  const byName = (a: JobItem, b: JobItem) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
  const sorted = [...jobs].sort(page.sort === 'name' ? byName : attentionCompare);
  const after = page.after;
  let rest = sorted;
  if (after) {
    const at = sorted.findIndex((j) => j.namespace === after[0] && j.name === after[1]);
    if (at === -1) throw new ParamError('continue', 'the job this page continued from is gone; start again without continue');
    rest = sorted.slice(at + 1);
  }
  const items = rest.slice(0, page.limit);
  const remaining = rest.length - items.length;
  const last = items[items.length - 1];
  return { items, metadata: remaining > 0 && last ? { continue: encodeContinue([last.namespace, last.name]), remainingItemCount: remaining } : {} };
}

export function parseJobQuery(q: Query): Page & { sort: 'attention' | 'name' } {
  for (const name of q.keys()) if (name !== 'limit' && name !== 'continue' && name !== 'sort') throw new ParamError(name, `unknown parameter ${name}; the job list takes sort, limit, continue`);
  const sort = single(q, 'sort') ?? 'attention';
  if (sort !== 'attention' && sort !== 'name') throw new ParamError('sort', 'sort must be attention or name');
  const after = decodeContinue(single(q, 'continue'), 2);
  return { limit: parseLimit(q), sort, ...(after ? { after } : {}) };
}
