// Creating ReconRuns on a user's behalf: a backfill (one run per period, deterministic
// names, so repeating it is a no-op) and a rerun (a new run of one window, named by its
// creation instant). The CLI (`raas backfill|rerun`, `kubectl recon`) and the web API both
// call these, so a run made either way has the same name, labels and owner.
import { reconJobSpecSchema, type ReconJob } from '../../runner/spec/schema.ts';
import { childLabels, controllerRef } from '../desired/meta.ts';
import { backfillRunName, shortHash } from '../desired/names.ts';
import { backfillWindows } from '../desired/schedule.ts';
import { API_GROUP, API_VERSION } from '../desired/types.ts';
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
  return {
    apiVersion: API_VERSION,
    kind: 'ReconRun',
    metadata: { name, namespace: job.metadata.namespace, labels: childLabels(job.metadata.name, name), ownerReferences: [controllerRef('ReconJob', job.metadata.name, job.metadata.uid)] },
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

export async function rerun(kube: Kube, opts: { namespace: string; job: string; date: string; now?: Date }, out: (line: string) => void): Promise<string> {
  const job = await readJob(kube, opts.namespace, opts.job);
  let windows;
  try {
    windows = backfillWindows(job, opts.date, opts.date);
  } catch (err) {
    throw new ActionError((err as Error).message);
  }
  const w = windows[0]!;
  // A rerun is a new run of the same window: the name gets the creation instant.
  const base = backfillRunName(job.metadata.name, w);
  const stamp = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'z').toLowerCase();
  const full = `${base}-rerun-${stamp}`.replace(/[^a-z0-9.-]/g, '-');
  const name = full.length > 253 ? `${full.slice(0, 242)}-${shortHash(full)}` : full;
  await kube.createCustom('reconruns', opts.namespace, runObject(job, name, { start: w.start, end: w.end }, 'Manual'));
  out(`reconrun/${name} created  ${w.start} .. ${w.end}`);
  return name;
}
