// `raas backfill|rerun|runs|results` (also `kubectl recon ...`): the user-facing commands
// that talk to the Kubernetes API. Creating runs (backfill, rerun) lives in
// operator/actions/, shared with the web API; listing and showing them is the CLI's own.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { outcomeLines } from '../../runner/cli/format-summary.ts';
import { schemeOf } from '../../runner/stage/schemes.ts';
import { ActionError as CommandError } from '../actions/runs.ts';
import type { ReconRunStatus } from '../api/reconrun.ts';
import { childLabels } from '../desired/meta.ts';
import { API_GROUP } from '../desired/types.ts';
import type { Kube } from '../kube/client.ts';
import { isNotFound, VERSION } from '../kube/client.ts';

export { CommandError };
export { backfill, rerun } from '../actions/runs.ts';

interface RunItem {
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec: { jobRef: { name: string }; window: { start: string; end: string }; trigger: string };
  status?: Partial<ReconRunStatus>;
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
