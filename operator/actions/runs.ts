// Creating ReconRuns on a user's behalf: a backfill (one run per period, deterministic
// names, so repeating it is a no-op) and a rerun (a new run of one window, named by its
// creation instant; with cascade, also of every later window of a carry-forward job). The
// CLI (`raas backfill|rerun`, `kubectl recon`) and the web API both call these, so a run
// made either way has the same name, labels, owner and order.
import { reconJobSpecSchema, type ReconJob } from '../../runner/spec/schema.ts';
import { CASCADE_AFTER_ANNOTATION } from '../desired/admission.ts';
import { childLabels, controllerRef, JOB_LABEL } from '../desired/meta.ts';
import { backfillRunName, shortHash } from '../desired/names.ts';
import { backfillWindows, ScheduleError } from '../desired/schedule.ts';
import { API_GROUP, API_VERSION } from '../desired/types.ts';
import { planRerun, RerunPlanError, type RunOfJob } from './rerun-plan.ts';
import type { Kube } from '../kube/client.ts';
import { isConflict, isNotFound, VERSION } from '../kube/client.ts';

/** A refusal the caller shows as is: one line naming what is wrong and the fix. */
export class ActionError extends Error {}

interface StoredJob extends ReconJob {
  metadata: ReconJob['metadata'] & { uid: string; namespace: string };
}

async function readJob(kube: Kube, namespace: string, name: string): Promise<StoredJob> {
  try {
    const obj = (await kube.custom.getNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace, plural: 'reconjobs', name })) as StoredJob;
    const parsed = reconJobSpecSchema.safeParse(obj.spec);
    if (!parsed.success) throw new ActionError(`ReconJob ${namespace}/${name} has an invalid spec; fix it first (kubectl describe rj ${name} -n ${namespace} shows why)`);
    return { ...obj, spec: parsed.data };
  } catch (err) {
    if (isNotFound(err)) throw new ActionError(`ReconJob "${name}" not found in namespace "${namespace}"; list them with: kubectl get rj -n ${namespace}`);
    throw err;
  }
}

function runObject(job: StoredJob, name: string, window: { start: string; end: string }, trigger: 'Manual' | 'Backfill') {
  const metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string>; ownerReferences: ReturnType<typeof controllerRef>[] } = {
    name,
    namespace: job.metadata.namespace,
    labels: childLabels(job.metadata.name, name),
    ownerReferences: [controllerRef('ReconJob', job.metadata.name, job.metadata.uid)],
  };
  return {
    apiVersion: API_VERSION,
    kind: 'ReconRun',
    metadata,
    spec: { jobRef: { name: job.metadata.name }, window, trigger },
  };
}

export async function backfill(kube: Kube, opts: { namespace: string; job: string; from: string; to: string; dryRun?: boolean }, out: (line: string) => void): Promise<{ created: string[]; existing: string[] }> {
  const job = await readJob(kube, opts.namespace, opts.job);
  let windows;
  try {
    windows = backfillWindows(job, opts.from, opts.to);
  } catch (err) {
    throw new ActionError((err as Error).message);
  }
  const created: string[] = [];
  const existing: string[] = [];
  for (const w of windows) {
    const name = backfillRunName(job.metadata.name, w);
    if (opts.dryRun) {
      out(`would create reconrun/${name}  ${w.start} .. ${w.end}`);
      created.push(name);
      continue;
    }
    try {
      await kube.createCustom('reconruns', opts.namespace, runObject(job, name, { start: w.start, end: w.end }, 'Backfill'));
      created.push(name);
      out(`reconrun/${name} created  ${w.start} .. ${w.end}`);
    } catch (err) {
      if (!isConflict(err)) throw err;
      existing.push(name);
      out(`reconrun/${name} exists, unchanged`);
    }
  }
  out(`${created.length} created, ${existing.length} already there (at most ${job.spec.maxParallelRuns ?? 2} run at once)`);
  return { created, existing };
}

/** The job's ReconRuns as the rerun plan reads them (window and phase). */
async function runsOfJob(kube: Kube, job: StoredJob): Promise<RunOfJob[]> {
  const selector = `${JOB_LABEL}=${childLabels(job.metadata.name)[JOB_LABEL]}`;
  const res = (await kube.custom.listNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace: job.metadata.namespace, plural: 'reconruns', labelSelector: selector })) as {
    items: { spec?: { jobRef?: { name?: string }; window?: { start: string; end: string } }; status?: { phase?: string } }[];
  };
  return res.items.filter((r) => r.spec?.jobRef?.name === job.metadata.name && r.spec.window).map((r) => ({ window: r.spec!.window!, phase: r.status?.phase }));
}

function rerunName(job: StoredJob, w: { start: string; end: string }, now: Date): string {
  // A rerun is a new run of the same window: the name gets the creation instant.
  const base = backfillRunName(job.metadata.name, w);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'z').toLowerCase();
  const full = `${base}-rerun-${stamp}`.replace(/[^a-z0-9.-]/g, '-');
  return full.length > 253 ? `${full.slice(0, 242)}-${shortHash(full)}` : full;
}

export interface RerunOptions {
  namespace: string;
  job: string;
  date: string;
  cascade?: boolean;
  now?: Date;
}

/** The new run of the period containing `date` (and, with cascade, the later ones); returns its name. */
export async function rerun(kube: Kube, opts: RerunOptions, out: (line: string) => void): Promise<string> {
  return (await rerunWindows(kube, opts, out))[0]!;
}

/**
 * A new run of the period containing `date`. With `cascade` (carry-forward jobs only), also
 * a new run of every later committed window, each waiting for the one before it to
 * commit (CASCADE_AFTER_ANNOTATION); without it, later windows keep what they read from
 * the old run, and the output says so. Returns the names created, earliest window first.
 */
export async function rerunWindows(kube: Kube, opts: RerunOptions, out: (line: string) => void): Promise<string[]> {
  const job = await readJob(kube, opts.namespace, opts.job);
  let plan;
  try {
    plan = planRerun(job, job.spec.carryForward ? await runsOfJob(kube, job) : [], opts.date, opts.cascade ?? false);
  } catch (err) {
    if (err instanceof RerunPlanError || err instanceof ScheduleError) throw new ActionError(err.message);
    throw err;
  }
  const now = opts.now ?? new Date();
  const created: string[] = [];
  for (const w of plan.windows) {
    const name = rerunName(job, w, now);
    const obj = runObject(job, name, { start: w.start, end: w.end }, 'Manual');
    const before = created.at(-1);
    if (before !== undefined) obj.metadata.annotations = { [CASCADE_AFTER_ANNOTATION]: before };
    await kube.createCustom('reconruns', opts.namespace, obj);
    created.push(name);
    out(`reconrun/${name} created  ${w.start} .. ${w.end}${before === undefined ? '' : `  (starts after reconrun/${before} succeeds)`}`);
  }
  const kept = plan.keptLater;
  if (kept.length > 0) {
    const range = kept.length === 1 ? `window ${kept[0]!.startDate} keeps` : `${kept.length} later windows (${kept[0]!.startDate} .. ${kept.at(-1)!.startDate}) keep`;
    out(`note: ${range} the results computed from the old run of ${plan.windows[0]!.startDate}; to recompute them too: kubectl recon rerun ${job.metadata.name} --date ${opts.date} --cascade -n ${opts.namespace}`);
  }
  return created;
}
