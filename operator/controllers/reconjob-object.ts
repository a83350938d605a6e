// A ReconJob as the operator's cache holds it: parsed once per object version with the
// spec schema (runner/spec/schema.ts), so every controller reads a typed ReconJob, and an
// invalid one carries the reasons (one line per field, as `kubectl describe` shows them).
import type { KubernetesObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { describeIssue } from '../../runner/spec/load.ts';
import { notifySchema, reconJobSpecSchema, type ReconJobSpec } from '../../runner/spec/schema.ts';
import { assertTimeZone } from '../../runner/window/window.ts';
import type { ReconJobStatus } from '../api/reconjob-status.ts';
import { normalizeCron } from '../desired/schedule.ts';
import { API_VERSION, type StoredReconJob } from '../desired/types.ts';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  deletionTimestamp?: Date | string;
}

/** A ReconJob as the API server sends it: the spec is whatever the user applied. */
export type RawReconJob = KubernetesObject & { spec?: unknown; status?: ReconJobStatus; metadata: ObjectMeta };

export type ParsedSpec = { valid: true; job: StoredReconJob } | { valid: false; problems: string[] };

/** The cache's view of a ReconJob. */
export type ReconJobObject = KubernetesObject & {
  metadata: ObjectMeta;
  status?: ReconJobStatus;
  /** The object as sent (status writes start from it: nothing of ours is added to it). */
  raw: RawReconJob;
  /** The parsed spec, or why it is invalid. */
  parsed: ParsedSpec;
  /**
   * The notification sinks, parsed on their own: a run that is under way when its job's
   * spec turns invalid elsewhere still reports how it ended. Undefined when invalid.
   */
  notify: Notify[] | undefined;
};

const notifyListSchema = z.array(notifySchema);
type Notify = z.infer<typeof notifySchema>;

/** Parses a ReconJob once (CacheSpec.parse): the schema, then what it cannot see (cron syntax, time zone). */
export function parseReconJob(raw: RawReconJob): ReconJobObject {
  const base = { apiVersion: raw.apiVersion, kind: raw.kind, metadata: raw.metadata, ...(raw.status ? { status: raw.status } : {}), raw };
  const parsed = reconJobSpecSchema.safeParse(raw.spec);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => describeIssue({ ...i, path: ['spec', ...i.path] }, { spec: raw.spec }));
    const notify = notifyListSchema.safeParse((raw.spec as { notify?: unknown } | undefined)?.notify);
    return { ...base, parsed: { valid: false, problems }, notify: notify.success ? notify.data : undefined };
  }
  const problems = scheduleProblems(parsed.data);
  if (problems.length) return { ...base, parsed: { valid: false, problems }, notify: parsed.data.notify };
  const job: StoredReconJob = { apiVersion: API_VERSION, kind: 'ReconJob', metadata: { ...raw.metadata }, spec: parsed.data };
  return { ...base, parsed: { valid: true, job }, notify: parsed.data.notify };
}

/** What the schema cannot see: the cron syntax and the time zone name. */
function scheduleProblems(spec: ReconJobSpec): string[] {
  const problems: string[] = [];
  const sched = spec.schedule;
  if (!sched) return problems;
  try {
    normalizeCron(sched.cron);
  } catch (err) {
    problems.push(`spec.${(err as Error).message}`);
  }
  try {
    assertTimeZone(sched.timeZone ?? 'UTC');
  } catch (err) {
    problems.push(`spec.schedule.timeZone: ${(err as Error).message}`);
  }
  return problems;
}
