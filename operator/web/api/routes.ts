// The /api/v1 routes: gather inputs (credential, reviews, cached objects), call the pure
// decisions (authz.ts, listing.ts) and write JSON or problem+json. Paths are shaped like
// the Kubernetes API's so people can guess them.
import { KubeConfig } from '@kubernetes/client-node';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ActionError, backfill, rerunWindows } from '../../actions/runs.ts';
import { Kube } from '../../kube/client.ts';
import { canCreate, canRead, canWork, forbiddenDetail, visibleNamespaces, type Review, type User, type Verb } from './authz.ts';
import { nextBreakToken, parseBreakQuery, type BreakSource, type ResultColumn } from './break-query.ts';
import { breakId, parseBreakAction } from './breaks.ts';
import type { BreakStore } from './break-store.ts';
import { breakItems, breaksCsv, MAX_EXPORT_ROWS } from './export.ts';
import { columnLabel, columnsWithDifferences, duplicateSideLabel, sidesOf, statusLabel, type Sides } from './labels.ts';
import { DUPLICATE_COLUMNS } from '../../../runner/breaks/columns.ts';
import {
  decodeContinue,
  encodeContinue,
  fileName,
  jobItem,
  markSuperseded,
  objectName,
  pageJobs,
  pageRuns,
  ParamError,
  parseJobQuery,
  parseLimit,
  parseRunQuery,
  runItem,
  sortRuns,
  type JobObject,
  type KeyedRun,
  type RunItem,
  type RunObject,
} from './listing.ts';
import { HttpProblem } from './problem.ts';
import { AccessRefused, checkCommittedSummary, runOutputLocation, servableFiles } from './result-access.ts';
import { RECON_STATUSES, ResultError, type ReconStatus, type Results } from './results.ts';
import type { Reviewer } from './reviews.ts';
import type { Store } from './store.ts';

export interface Caller {
  token: string;
  user: User;
}

export interface ApiContext {
  store: Store;
  reviewer: Reviewer;
  results: Results;
  /** The cluster the web server talks to; reruns are created with the caller's own token on it. */
  kubeConfig: KubeConfig;
  now?: () => number;
  /** How many summary.json files a history reads at most. Default 400. */
  maxHistory?: number;
  /** The results catalog's break tables; absent, breaks are read-only and `readOnly` says why. */
  breaks?: BreakStore;
  readOnly?: string;
}

/** Why breaks cannot be worked on this server, for the page to show. */
export const NO_CATALOG = 'this web server has no results catalog (RAAS_WEB_CATALOG_URL is not set), so breaks can be read but not assigned, commented on or closed';

type Json = Record<string, unknown>;

export interface ApiResponse {
  status: number;
  body?: unknown;
  stream?: { body: NodeJS.ReadableStream; contentType: string; fileName: string; size?: number };
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

// Every run as an API item, in page order, rebuilt only when the watch cache changed: a
// page of a 10,000-run list is then a scan, not a sort.
const sortedCache = new WeakMap<Store, { version: number; sorted: KeyedRun[] }>();
function sortedRuns(store: Store): KeyedRun[] {
  const v = store.version();
  const hit = sortedCache.get(store);
  if (hit && hit.version === v) return hit.sorted;
  const sorted = sortRuns(markSuperseded(store.runs().map(runItem)));
  sortedCache.set(store, { version: v, sorted });
  return sorted;
}

async function reviewsFor(ctx: ApiContext, caller: Caller, namespaces: string[], verb: Verb): Promise<Review[]> {
  const out: Review[] = [];
  // A few at a time, so a cluster with hundreds of namespaces does not flood the API server.
  for (let i = 0; i < namespaces.length; i += 16) {
    out.push(...(await Promise.all(namespaces.slice(i, i + 16).map((ns) => ctx.reviewer.review(caller.token, caller.user, ns, verb)))));
  }
  return out;
}

async function requireVerb(ctx: ApiContext, caller: Caller, namespace: string, verb: Verb): Promise<void> {
  const r = await ctx.reviewer.review(caller.token, caller.user, namespace, verb);
  const decide = verb === 'create' ? canCreate : verb === 'get' ? canRead : verb === 'work' ? canWork : (rs: Review[], ns: string) => visibleNamespaces(rs, [ns]).length === 1;
  if (!decide([r], namespace)) throw new HttpProblem(403, forbiddenDetail(verb));
}

function runsByJob(runs: readonly RunObject[]): Map<string, RunItem[]> {
  const m = new Map<string, RunItem[]>();
  for (const r of runs) {
    const k = `${r.metadata.namespace}/${r.spec.jobRef.name}`;
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(runItem(r));
  }
  return m;
}

function segment(param: string, raw: string): string {
  let v: string;
  try {
    v = decodeURIComponent(raw);
  } catch {
    throw new ParamError(param, `${param} is not valid percent-encoding`);
  }
  return v;
}

function contentTypeOf(name: string): string {
  if (/\.csv$/i.test(name)) return 'text/csv; charset=utf-8';
  if (/\.gz$/i.test(name)) return 'application/gzip';
  if (/\.parquet$/i.test(name)) return 'application/vnd.apache.parquet';
  if (/\.json$/i.test(name)) return 'application/json';
  return 'application/octet-stream';
}

/** The listing root of a job's output: its URI up to the first per-window template. */
export function outputPrefix(job: JobObject): string | undefined {
  const uri = job.spec.output?.uri;
  if (!uri) return undefined;
  const rendered = uri.replace(/\{\{\s*job\.name\s*\}\}/g, job.metadata.name).replace(/\{\{\s*job\.namespace\s*\}\}/g, job.metadata.namespace);
  const cut = rendered.indexOf('{{');
  const head = cut === -1 ? rendered : rendered.slice(0, cut);
  return head.slice(0, head.lastIndexOf('/') + 1) || undefined;
}

export interface HistoryPoint {
  window: { start: string; end: string };
  source: 'run' | 'summary';
  run?: string;
  phase: string;
  balanced?: boolean;
  counts?: RunItem['counts'];
  diffTotals?: Record<string, string>;
}

/**
 * Runs first; a summary.json adds the windows whose ReconRuns were pruned. Oldest first.
 * Only summaries that name this job and this namespace count: an output prefix is
 * user-written and could point at another team's results.
 */
export function mergeHistory(job: { namespace: string; name: string }, runs: readonly RunItem[], summaries: ReadonlyArray<{ summary: Json }>): HistoryPoint[] {
  const byWindow = new Map<string, HistoryPoint>();
  const newestRun = [...runs].sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  for (const s of summaries) {
    if (s.summary.job !== job.name || s.summary.namespace !== job.namespace) continue;
    const w = s.summary.window as { start?: unknown; end?: unknown } | undefined;
    if (typeof w?.start !== 'string' || typeof w.end !== 'string') continue;
    const p: HistoryPoint = { window: { start: w.start, end: w.end }, source: 'summary', phase: 'Succeeded' };
    if (typeof s.summary.run === 'string') p.run = s.summary.run;
    if (typeof s.summary.balanced === 'boolean') p.balanced = s.summary.balanced;
    if (s.summary.counts && typeof s.summary.counts === 'object') p.counts = s.summary.counts as RunItem['counts'];
    if (s.summary.diffTotals && typeof s.summary.diffTotals === 'object') p.diffTotals = s.summary.diffTotals as Record<string, string>;
    byWindow.set(w.start, p);
  }
  for (const r of newestRun) {
    const p: HistoryPoint = { window: r.window, source: 'run', run: r.name, phase: r.phase };
    if (r.balanced !== undefined) p.balanced = r.balanced;
    if (r.counts) p.counts = r.counts;
    if (r.diffTotals) p.diffTotals = r.diffTotals;
    // A run without results yet does not hide the summary an older run of the window left.
    if (r.phase === 'Succeeded' || r.phase === 'Failed' || !byWindow.has(r.window.start)) byWindow.set(r.window.start, p);
  }
  return [...byWindow.values()].sort((a, b) => Date.parse(a.window.start) - Date.parse(b.window.start));
}

function userKube(ctx: ApiContext, token: string): Kube {
  const cluster = ctx.kubeConfig.getCurrentCluster();
  if (!cluster) throw new HttpProblem(500, 'the web server has no cluster in its kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [cluster], users: [{ name: 'caller', token }], contexts: [{ name: 'caller', cluster: cluster.name, user: 'caller' }], currentContext: 'caller' });
  return new Kube(kc);
}

function bodyString(body: Json, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new ParamError(name, `${name} must be a date, YYYY-MM-DD`);
  return v;
}

async function readBody(req: IncomingMessage): Promise<Json> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpProblem(415, 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new HttpProblem(413, 'the body is larger than 64 KiB');
    chunks.push(c as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch {
    throw new HttpProblem(400, 'the body is not a JSON object', 'body');
  }
}

/** Runs a user action (rerun/backfill) with the caller's own credentials; the API server decides too. */
async function act(ctx: ApiContext, caller: Caller, fn: (kube: Kube) => Promise<{ created: string[]; existing: string[] }>): Promise<ApiResponse> {
  try {
    const r = await fn(userKube(ctx, caller.token));
    return ok(r, r.created.length ? 201 : 200);
  } catch (err) {
    if (err instanceof ActionError) throw new HttpProblem(400, err.message);
    const code = (err as { code?: unknown }).code;
    if (code === 403) throw new HttpProblem(403, forbiddenDetail('create'));
    if (code === 409) throw new HttpProblem(409, 'a run with that name exists already; try again in a second');
    throw err;
  }
}

function parseRowQuery(q: URLSearchParams): { statuses?: ReconStatus[]; column?: string; limit: number; offset: number } {
  const known = new Set(['status', 'column', 'limit', 'continue']);
  for (const name of q.keys()) if (!known.has(name)) throw new ParamError(name, `unknown parameter ${name}; rows take status, column, limit, continue`);
  const statuses = q.getAll('status').flatMap((s) => s.split(',')).filter(Boolean);
  for (const s of statuses) if (!(RECON_STATUSES as readonly string[]).includes(s)) throw new ParamError('status', `status must be one or more of ${RECON_STATUSES.join(', ')}`);
  const columns = q.getAll('column');
  if (columns.length > 1) throw new ParamError('column', 'column is given more than once; give it once');
  const column = columns[0];
  if (column !== undefined && (column.length === 0 || column.length > 256)) throw new ParamError('column', 'column must be a compared column name');
  const limit = parseLimit(q, 1000, 100);
  const fp = `${[...statuses].sort().join(',')}|${column ?? ''}`;
  const after = decodeContinue(q.get('continue') ?? undefined, 2);
  let offset = 0;
  if (after) {
    if (after[1] !== fp || !/^\d{1,12}$/.test(after[0]!)) throw new ParamError('continue', 'continue belongs to another filter; start again without it');
    offset = Number(after[0]);
  }
  return { ...(statuses.length ? { statuses: statuses as ReconStatus[] } : {}), ...(column !== undefined ? { column } : {}), limit, offset };
}

/** The state table the job's runs read closures from (spec.output.catalog.breaks, default raas_breaks). */
function breaksTable(job: JobObject | undefined): string | undefined {
  const t = (job?.spec.output as { catalog?: { breaks?: unknown } } | undefined)?.catalog?.breaks;
  return typeof t === 'string' ? t : undefined;
}

/** What the job says about its result files, for the break list: key columns and money column. */
function breakSource(job: JobObject | undefined): (columns: ResultColumn[]) => BreakSource {
  const spec = (job?.spec ?? {}) as { keys?: Array<{ column?: unknown }>; amount?: { column?: unknown; currency?: unknown } };
  const keys = (spec.keys ?? []).map((k) => k.column).filter((k): k is string => typeof k === 'string');
  const amount = typeof spec.amount?.column === 'string' ? { column: spec.amount.column, ...(typeof spec.amount.currency === 'string' ? { currency: spec.amount.currency } : {}) } : undefined;
  return (columns) => ({ columns, keys, ...(amount ? { amount } : {}) });
}

/** Result columns with their labels; compared columns without a single difference are flagged so the page can hide them. */
function labelled(columns: ResultColumn[], sides: Sides, run: RunItem, amountColumn: string | undefined) {
  const differing = new Set(columnsWithDifferences(run.mismatchedByColumn).map(([c]) => c));
  const compared = new Set(Object.keys(run.mismatchedByColumn ?? {}));
  // The duplicate columns say nothing on a run without duplicated keys.
  const noDuplicates = (run.counts?.duplicateKeysLeft ?? 0) + (run.counts?.duplicateKeysRight ?? 0) === 0;
  return columns.map((c) => {
    const base = /^(.+)_(left|right|diff)$/.exec(c.name)?.[1];
    const quiet = (base !== undefined && compared.has(base) && !differing.has(base) && base !== amountColumn) || (noDuplicates && (DUPLICATE_COLUMNS as readonly string[]).includes(c.name));
    return { name: c.name, type: c.type, label: columnLabel(c.name, sides), ...(quiet ? { noDifferences: true } : {}) };
  });
}

function statusLabels(sides: Sides): Record<string, string> {
  return Object.fromEntries(['match', 'mismatch', 'left_only', 'right_only', 'duplicate', 'matched_late'].map((st) => [st, statusLabel(st, sides)]));
}

async function workInfo(ctx: ApiContext, caller: Caller, ns: string): Promise<{ enabled: boolean; allowed: boolean; reason?: string }> {
  if (!ctx.breaks) return { enabled: false, allowed: false, reason: ctx.readOnly ?? NO_CATALOG };
  const allowed = canWork([await ctx.reviewer.review(caller.token, caller.user, ns, 'work')], ns);
  return allowed ? { enabled: true, allowed } : { enabled: true, allowed, reason: 'you may read these breaks; working them takes update on reconruns/breaks in this namespace' };
}

const rowFingerprint = (q: { statuses?: string[]; column?: string }) => `${[...(q.statuses ?? [])].sort().join(',')}|${q.column ?? ''}`;

/**
 * A run's committed results: its status says where its files are, but a status is only as
 * good as the pod that wrote it, so files are read only from the run's own output location,
 * and only when the summary committed there names this namespace, job and window
 * (result-access.ts). The summary comes last in `files`.
 */
async function committedResults(ctx: ApiContext, run: RunObject, noResults: () => HttpProblem): Promise<{ summary: Json; files: string[] }> {
  const results = run.status?.results;
  if (!results?.summaryUri) throw noResults();
  const ns = run.metadata.namespace;
  const job = ctx.store.job(ns, run.spec.jobRef.name);
  const ref = { namespace: ns, name: run.metadata.name, job: run.spec.jobRef.name, window: run.spec.window };
  try {
    const location = runOutputLocation(ref, job && { output: job.spec.output, timeZone: job.spec.schedule?.timeZone });
    const files = servableFiles(location, [...(results.files ?? []), results.summaryUri]);
    const summary = await ctx.results.readJson(`${location}summary.json`);
    checkCommittedSummary(ref, summary, location);
    return { summary, files };
  } catch (err) {
    if (err instanceof AccessRefused) throw new HttpProblem(err.status, err.message);
    throw err;
  }
}

/** POST …/reconruns/{run}/breaks/{id}: assign, comment, close or reopen, as the signed-in user. */
async function breakAction(ctx: ApiContext, caller: Caller, ns: string, name: string, rawId: string, req: IncomingMessage): Promise<ApiResponse> {
  // Rights before anything else, so a caller without them learns nothing about the run.
  await requireVerb(ctx, caller, ns, 'work');
  await requireVerb(ctx, caller, ns, 'get');
  const run = ctx.store.run(ns, name);
  if (!run) throw new HttpProblem(404, `ReconRun ${name} not found in namespace ${ns}`);
  const id = breakId(rawId);
  if (!ctx.breaks) throw new HttpProblem(409, `${ctx.readOnly ?? NO_CATALOG}.`);
  const action = parseBreakAction(await readBody(req));
  const { files } = await committedResults(ctx, run, () => new HttpProblem(404, `ReconRun ${name} has no results (phase ${run.status?.phase ?? 'Pending'})`));
  const job = ctx.store.job(ns, run.spec.jobRef.name);
  const fingerprint = await ctx.results.breakFingerprint(files.slice(0, -1), breakSource(job), id);
  if (fingerprint === undefined) throw new HttpProblem(404, `break ${id} is not in run ${name}`);
  const table = breaksTable(job);
  const r = await ctx.breaks.record({ namespace: ns, job: run.spec.jobRef.name, breakId: id, run: name, actor: caller.user.username, fingerprint, action, ...(table ? { table } : {}) });
  if (r.conflict) throw new HttpProblem(409, r.conflict);
  return ok({ kind: 'ReconBreakEvent', event: r.event, work: r.work }, 201);
}

/** Dispatches one /api/v1 request; throws HttpProblem/ParamError/ResultError for the caller to render. */
export async function handleApi(ctx: ApiContext, caller: Caller, method: string, parts: string[], query: URLSearchParams, req: IncomingMessage): Promise<ApiResponse> {
  const now = (ctx.now ?? Date.now)();
  const allRuns = () => ctx.store.runs();
  const get = method === 'GET' || method === 'HEAD';
  const onlyGet = () => {
    if (!get) throw new HttpProblem(405, `${method} is not allowed here; use GET`, undefined, { allow: 'GET' });
  };

  // /api/v1/whoami is served by the server (it needs the session's CSRF token).
  if (parts.length === 1 && (parts[0] === 'reconjobs' || parts[0] === 'reconruns')) {
    onlyGet();
    const visible = visibleNamespaces(await reviewsFor(ctx, caller, ctx.store.namespaces(), 'list'), ctx.store.namespaces());
    const allowed = new Set(visible);
    if (parts[0] === 'reconruns') {
      const { filter, page } = parseRunQuery(query);
      const sorted = sortedRuns(ctx.store).filter((k) => allowed.has(k.item.namespace));
      return ok({ kind: 'ReconRunList', ...pageRuns({ sorted }, filter, page) });
    }
    const page = parseJobQuery(query);
    const byJob = runsByJob(allRuns().filter((r) => allowed.has(r.metadata.namespace)));
    const jobs = ctx.store.jobs().filter((j) => allowed.has(j.metadata.namespace)).map((j) => jobItem(j, byJob.get(`${j.metadata.namespace}/${j.metadata.name}`) ?? [], now));
    return ok({ kind: 'ReconJobList', ...pageJobs(jobs, page) });
  }

  if (parts[0] !== 'namespaces' || parts.length < 3) throw new HttpProblem(404, 'no such API path; see /api/openapi.json');
  const ns = objectName('namespace', segment('namespace', parts[1]!));
  const kind = parts[2];
  if (kind !== 'reconjobs' && kind !== 'reconruns') throw new HttpProblem(404, 'no such API path; see /api/openapi.json');

  if (parts.length === 3) {
    onlyGet();
    await requireVerb(ctx, caller, ns, 'list');
    const runs = allRuns().filter((r) => r.metadata.namespace === ns);
    if (kind === 'reconruns') {
      const { filter, page } = parseRunQuery(query);
      return ok({ kind: 'ReconRunList', ...pageRuns({ sorted: sortedRuns(ctx.store).filter((k) => k.item.namespace === ns) }, filter, page) });
    }
    const page = parseJobQuery(query);
    const byJob = runsByJob(runs);
    const jobs = ctx.store.jobs().filter((j) => j.metadata.namespace === ns).map((j) => jobItem(j, byJob.get(`${ns}/${j.metadata.name}`) ?? [], now));
    return ok({ kind: 'ReconJobList', ...pageJobs(jobs, page) });
  }

  const name = objectName('name', segment('name', parts[3]!));
  const sub = parts[4];

  if (kind === 'reconjobs') {
    if (sub === 'reruns' || sub === 'backfills') {
      if (parts.length !== 5) throw new HttpProblem(404, 'no such API path; see /api/openapi.json');
      if (method !== 'POST') throw new HttpProblem(405, `${method} is not allowed here; use POST`, undefined, { allow: 'POST' });
      await requireVerb(ctx, caller, ns, 'create');
      const body = await readBody(req);
      if (!ctx.store.job(ns, name)) {
        await requireVerb(ctx, caller, ns, 'get');
        throw new HttpProblem(404, `ReconJob ${name} not found in namespace ${ns}`);
      }
      if (sub === 'reruns') {
        const date = bodyString(body, 'date');
        const cascade = body['cascade'] ?? false;
        if (typeof cascade !== 'boolean') throw new ParamError('cascade', 'cascade must be true or false');
        return act(ctx, caller, async (kube) => ({ created: await rerunWindows(kube, { namespace: ns, job: name, date, cascade }, () => undefined), existing: [] }));
      }
      const from = bodyString(body, 'from');
      const to = bodyString(body, 'to');
      if (to < from) throw new ParamError('to', 'to must not be before from');
      return act(ctx, caller, (kube) => backfill(kube, { namespace: ns, job: name, from, to }, () => undefined));
    }
    onlyGet();
    await requireVerb(ctx, caller, ns, 'get');
    const job = ctx.store.job(ns, name);
    if (!job) throw new HttpProblem(404, `ReconJob ${name} not found in namespace ${ns}`);
    const runs = runsByJob(allRuns().filter((r) => r.metadata.namespace === ns)).get(`${ns}/${name}`) ?? [];
    if (parts.length === 4) return ok({ kind: 'ReconJob', ...jobItem(job, runs, now), spec: job.spec });
    if (sub === 'history' && parts.length === 5) {
      const prefix = outputPrefix(job);
      const summaries = prefix ? await ctx.results.summaries(prefix, ctx.maxHistory ?? 400).catch(() => []) : [];
      return ok({ kind: 'ReconJobHistory', namespace: ns, job: name, timeZone: job.spec.schedule?.timeZone ?? 'UTC', items: mergeHistory({ namespace: ns, name }, runs, summaries) });
    }
    throw new HttpProblem(404, 'no such API path; see /api/openapi.json');
  }

  if (sub === 'breaks' && parts.length === 6 && method === 'POST') return breakAction(ctx, caller, ns, name, segment('breakId', parts[5]!), req);
  onlyGet();
  await requireVerb(ctx, caller, ns, 'get');
  const run = ctx.store.run(ns, name);
  if (!run) throw new HttpProblem(404, `ReconRun ${name} not found in namespace ${ns}`);
  const item = sortedRuns(ctx.store).find((k) => k.item.namespace === ns && k.item.name === name)?.item ?? runItem(run);
  const job = ctx.store.job(ns, run.spec.jobRef.name);
  const sides = sidesOf(job?.spec);
  const amountColumn = (job?.spec as { amount?: { column?: string } } | undefined)?.amount?.column;
  if (parts.length === 4) {
    return ok({
      kind: 'ReconRun',
      ...item,
      timeZone: job?.spec.schedule?.timeZone ?? 'UTC',
      sides,
      ...(amountColumn ? { amountColumn } : {}),
      columnsWithDifferences: columnsWithDifferences(item.mismatchedByColumn).map(([column, n]) => ({ column, label: column, count: n })),
      statusLabels: statusLabels(sides),
      work: await workInfo(ctx, caller, ns),
    });
  }
  const results = run.status?.results;
  const noResults = () => new HttpProblem(404, `ReconRun ${name} has no results (phase ${item.phase})`);
  // A run's status says where its files are, but a status is only as good as the pod that
  // wrote it: files are served only from the run's own output location, and only when the
  // summary committed there names this namespace, job and window (result-access.ts).
  const committed = () => committedResults(ctx, run, noResults);
  if (sub === 'summary' && parts.length === 5) {
    return ok((await committed()).summary);
  }
  if (sub === 'rows' && parts.length === 5) {
    const q = parseRowQuery(query);
    const { files } = await committed();
    const page = await ctx.results.rows(files.slice(0, -1), q);
    const next = q.offset + page.rows.length;
    return ok({
      kind: 'ReconRowList',
      columns: labelled(page.columns, sides, item, amountColumn),
      statusLabels: statusLabels(sides),
      duplicateSideLabels: Object.fromEntries(['left', 'right', 'both'].map((v) => [v, duplicateSideLabel(v, sides)])),
      items: page.rows,
      metadata: { total: page.total, ...(next < page.total ? { continue: encodeContinue([String(next), rowFingerprint(q)]) } : {}) },
    });
  }
  if (sub === 'breaks' && parts.length === 5) {
    const q = parseBreakQuery(query);
    const { files } = await committed();
    let work: Awaited<ReturnType<BreakStore['work']>> = [];
    let info = await workInfo(ctx, caller, ns);
    if (ctx.breaks) {
      try {
        work = await ctx.breaks.work(ns, run.spec.jobRef.name, breaksTable(job));
      } catch (err) {
        // The list still shows what the result files say; the page says why owners and closures are missing.
        info = { enabled: false, allowed: false, reason: `${(err as Error).message}; owners, comments and closures are not shown` };
      }
    }
    const page = await ctx.results.breaks(files.slice(0, -1), breakSource(job), work, q.format === 'csv' ? { ...q, limit: MAX_EXPORT_ROWS + 1 } : q);
    if (q.format === 'csv') {
      if (page.total > MAX_EXPORT_ROWS) throw new ParamError('format', `the filter matches ${page.total} breaks; an export holds at most ${MAX_EXPORT_ROWS}, narrow the filter`);
      const file = `${run.spec.jobRef.name}-${item.window.start.slice(0, 10)}-breaks.csv`;
      const body = breaksCsv(breakItems(page.rows, page.columns, sides), labelled(page.columns, sides, item, amountColumn), sides);
      return { status: 200, stream: { body: Readable.from([body]), contentType: 'text/csv; charset=utf-8', fileName: file, size: body.length } };
    }
    const token = nextBreakToken(q, page.rows.length, page.total);
    return ok({
      kind: 'ReconBreakList',
      sides,
      columns: labelled(page.columns, sides, item, amountColumn),
      statusLabels: statusLabels(sides),
      work: info,
      items: breakItems(page.rows, page.columns, sides),
      metadata: { total: page.total, ...(token ? { continue: token } : {}) },
    });
  }
  if (sub === 'breaks' && parts.length === 6) {
    const id = breakId(segment('breakId', parts[5]!));
    if (!ctx.breaks) throw new HttpProblem(409, `${ctx.readOnly ?? NO_CATALOG}.`);
    const events = await ctx.breaks.events(ns, run.spec.jobRef.name, id);
    return ok({ kind: 'ReconBreak', id, job: run.spec.jobRef.name, events });
  }
  if (sub === 'files' && parts.length === 6) {
    const file = segment('file', parts[5]!);
    const uris = results?.summaryUri ? (await committed()).files : [];
    const uri = uris.find((u) => fileName(u) === file);
    if (!uri) throw new HttpProblem(404, `${JSON.stringify(file.slice(0, 100))} is not one of the run's files${uris.length ? `: ${uris.map(fileName).join(', ')}` : ''}`);
    const { body, size } = await ctx.results.open(uri);
    return { status: 200, stream: { body, contentType: contentTypeOf(file), fileName: file, ...(size !== undefined ? { size } : {}) } };
  }
  throw new HttpProblem(404, 'no such API path; see /api/openapi.json');
}

export { ParamError, ResultError };
