// Which result files the web may serve for a run. The web reads with its own credentials,
// which reach every team's results, so a run's status (written from a pod's termination
// message, i.e. from whatever ran in the team's namespace) is not enough to say where its
// files are. A file is served only when
//   1. it lies under the run's own output location: the ReconJob's spec.output.uri
//      rendered for this run (job, namespace, run name, window), and
//   2. the summary.json committed at that location names this namespace, this job and
//      this run's window.
// Pure: the routes read the ReconJob, the run and the summary; this decides.
import path from 'node:path';
import { renderText, templateVars } from '../../../runner/template/render.ts';
import { explicitWindow } from '../../../runner/window/window.ts';

export class AccessRefused extends Error {
  constructor(
    readonly status: 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

export interface RunRef {
  namespace: string;
  name: string;
  job: string;
  window: { start: string; end: string };
}

export interface JobRef {
  output?: { uri?: string | undefined } | undefined;
  timeZone?: string | undefined;
}

const isUri = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The run's output location as its runner rendered it, ending in "/" (or a refusal). */
export function runOutputLocation(run: RunRef, job: JobRef | undefined): string {
  if (!job) throw new AccessRefused(404, `ReconJob ${run.job} no longer exists, so where run ${run.name} wrote its results cannot be checked; the web serves no files for it`);
  const template = job.output?.uri;
  if (!template) throw new AccessRefused(404, `ReconJob ${run.job} has no spec.output.uri, so its results are not where the web can read them`);
  let rendered: string;
  try {
    const window = explicitWindow(run.window.start, run.window.end, job.timeZone ?? 'UTC');
    rendered = renderText(template, templateVars({ window, jobName: run.job, jobNamespace: run.namespace, runName: run.name }), 'spec.output.uri');
  } catch (err) {
    throw new AccessRefused(404, `the output location of run ${run.name} cannot be worked out (${(err as Error).message})`);
  }
  if (isUri(rendered) && !/^file:\/\//i.test(rendered)) return rendered.endsWith('/') ? rendered : `${rendered}/`;
  const local = rendered.replace(/^file:\/\//i, '');
  if (!path.isAbsolute(local)) throw new AccessRefused(404, `ReconJob ${run.job} writes its results to a relative path, which the web cannot read`);
  return `${path.resolve(local)}${path.sep}`;
}

/** True when `uri` is a file strictly inside `location` (no "..", no other scheme or bucket). */
export function isUnder(location: string, uri: string): boolean {
  if (isUri(location)) {
    if (!uri.startsWith(location)) return false;
    const rest = uri.slice(location.length);
    return rest.length > 0 && !rest.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  }
  if (isUri(uri) && !/^file:\/\//i.test(uri)) return false;
  const p = path.resolve(uri.replace(/^file:\/\//i, ''));
  return p.startsWith(location) && p.length > location.length;
}

/**
 * Refuses unless the committed summary.json at the run's location names this namespace,
 * this job and this run's window. Summaries without a namespace (written by `raas run`
 * outside a cluster) name no namespace, so they are not served for any.
 */
export function checkCommittedSummary(run: RunRef, summary: Record<string, unknown>, location: string): void {
  const w = summary.window as { start?: unknown; end?: unknown } | undefined;
  const same = (a: unknown, b: string) => typeof a === 'string' && Date.parse(a) === Date.parse(b);
  if (summary.namespace !== run.namespace || summary.job !== run.job) {
    throw new AccessRefused(403, `the results committed at ${location} are not those of job ${run.job} in namespace ${run.namespace}; the web does not serve them for run ${run.name}`);
  }
  if (!w || !same(w.start, run.window.start) || !same(w.end, run.window.end)) {
    throw new AccessRefused(404, `the results committed at ${location} are of another window than run ${run.name}; the run's own results were replaced or never written`);
  }
}

/** The run's files that may be served: each must be under its location (the summary is checked separately). */
export function servableFiles(location: string, uris: readonly string[]): string[] {
  const outside = uris.filter((u) => !isUnder(location, u));
  if (outside.length) throw new AccessRefused(403, `the run's status names files outside its output location ${location}; the web does not serve them`);
  return [...uris];
}
