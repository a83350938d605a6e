// `raas backfill|rerun|runs|results` (also `kubectl recon ...`): the user-facing commands
// that talk to the Kubernetes API. Deterministic run names make a repeated backfill a
// no-op; a rerun always creates a new run for its window.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { outcomeLines } from '../../runner/cli/format-summary.ts';
import { reconJobSpecSchema, type ReconJob } from '../../runner/spec/schema.ts';
import type { ReconRunStatus } from '../api/reconrun.ts';
import { childLabels, controllerRef } from '../desired/meta.ts';
import { backfillRunName, shortHash } from '../desired/names.ts';
import { backfillWindows } from '../desired/schedule.ts';
import { API_GROUP, API_VERSION } from '../desired/types.ts';
import type { Kube} from '../kube/client.ts';
import { isConflict, isNotFound, VERSION } from '../kube/client.ts';
import { schemeOf } from '../../runner/stage/schemes.ts';

export class CommandError extends Error {}

interface StoredJob extends ReconJob {
  metadata: ReconJob['metadata'] & { uid: string; namespace: string };
}

interface RunItem {
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec: { jobRef: { name: string }; window: { start: string; end: string }; trigger: string };
  status?: Partial<ReconRunStatus>;
}

async function readJob(kube: Kube, namespace: string, name: string): Promise<StoredJob> {
  try {
    const obj = (await kube.custom.getNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace, plural: 'reconjobs', name })) as StoredJob;
    const parsed = reconJobSpecSchema.safeParse(obj.spec);
    if (!parsed.success) throw new CommandError(`ReconJob ${namespace}/${name} has an invalid spec; fix it first (kubectl describe rj ${name} -n ${namespace} shows why)`);
    return { ...obj, spec: parsed.data };
  } catch (err) {
    if (isNotFound(err)) throw new CommandError(`ReconJob "${name}" not found in namespace "${namespace}"; list them with: kubectl get rj -n ${namespace}`);
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
    throw new CommandError((err as Error).message);
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
    throw new CommandError((err as Error).message);
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

async function listRuns(kube: Kube, namespace: string, job: string): Promise<RunItem[]> {
  const res = (await kube.custom.listNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace, plural: 'reconruns', labelSelector: `raas.dev/job=${childLabels(job)['raas.dev/job']}` })) as { items: RunItem[] };
  return res.items.filter((r) => r.spec.jobRef.name === job).sort((a, b) => a.spec.window.start.localeCompare(b.spec.window.start) || a.metadata.name.localeCompare(b.metadata.name));
}

export async function runs(kube: Kube, opts: { namespace: string; job: string }, out: (line: string) => void): Promise<number> {
  const items = await listRuns(kube, opts.namespace, opts.job);
  if (!items.length) {
    out(`no ReconRuns for ReconJob "${opts.job}" in namespace "${opts.namespace}"`);
    return 0;
  }
  const rows = [['NAME', 'WINDOW', 'TRIGGER', 'PHASE', 'BALANCED', 'MATCHED', 'MISMATCHED', 'LEFT-ONLY', 'RIGHT-ONLY']];
  for (const r of items) {
    const c = r.status?.counts;
    rows.push([
      r.metadata.name,
      `${r.spec.window.start}..${r.spec.window.end}`,
      r.spec.trigger,
      r.status?.phase ?? 'Pending',
      r.status?.balanced === undefined ? '' : String(r.status.balanced),
      c ? String(c.matched) : '',
      c ? String(c.mismatched) : '',
      c ? String(c.leftOnly) : '',
      c ? String(c.rightOnly) : '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  return items.length;
}

export async function results(kube: Kube, opts: { namespace: string; run: string; download?: string }, out: (line: string) => void): Promise<void> {
  let run: RunItem;
  try {
    run = (await kube.custom.getNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace: opts.namespace, plural: 'reconruns', name: opts.run })) as RunItem;
  } catch (err) {
    if (isNotFound(err)) throw new CommandError(`ReconRun "${opts.run}" not found in namespace "${opts.namespace}"; list a job's runs with: kubectl recon runs <job> -n ${opts.namespace}`);
    throw err;
  }
  const s = run.status ?? {};
  out(`${run.metadata.name}  job ${run.spec.jobRef.name}  ${run.spec.window.start} .. ${run.spec.window.end}`);
  out(`  phase         ${s.phase ?? 'Pending'}${s.balanced === undefined ? '' : s.balanced ? '  BALANCED' : '  UNBALANCED'}`);
  if (s.message) out(`  message       ${s.message}`);
  if (s.counts) for (const line of outcomeLines({ ...s, counts: s.counts })) out(line);
  if (s.results) {
    out(`  results       ${(s.results.files ?? []).join(', ') || s.results.uri}`);
    if (s.results.summaryUri) out(`  summary       ${s.results.summaryUri}`);
  }
  if (opts.download) {
    if (!s.results?.summaryUri) throw new CommandError(`ReconRun "${opts.run}" has no results to download (phase ${s.phase ?? 'Pending'})`);
    await mkdir(opts.download, { recursive: true });
    for (const uri of [...(s.results.files ?? []), s.results.summaryUri]) {
      const dest = join(opts.download, basename(uri));
      await download(uri, dest);
      out(`  downloaded    ${dest}`);
    }
  }
}

async function download(uri: string, dest: string): Promise<void> {
  if (schemeOf(uri) === 's3') {
    // Loaded on first use: the operator process imports this module and never downloads,
    // so it need not carry the AWS SDK.
    const [{ GetObjectCommand }, { createS3Client, parseS3Uri }] = await Promise.all([import('@aws-sdk/client-s3'), import('../../runner/stage/s3-client.ts')]);
    const { bucket, key } = parseS3Uri(uri);
    const s3 = createS3Client(process.env);
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await writeFile(dest, await res.Body!.transformToByteArray());
    } catch (err) {
      throw new CommandError(`could not download ${uri}: ${(err as Error).message}; downloads use the standard AWS_* variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)`);
    } finally {
      s3.destroy();
    }
    return;
  }
  const scheme = schemeOf(uri);
  if (scheme !== 'file') {
    // Remote drops (sftp://, ftp://) need the job's credentials, which live in its Secrets.
    throw new CommandError(`cannot download ${uri}: only s3:// and local results can be downloaded here; fetch ${scheme ?? 'these'} results with a client that has the job's credentials`);
  }
  await copyFile(uri.replace(/^file:\/\//, ''), dest);
}
