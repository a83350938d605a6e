// The ReconJob and ReconRun types the pure functions use, inferred from the zod schemas
// (runner/spec/schema.ts for the ReconJob, operator/api/ for the ReconRun and both
// statuses). Only the object metadata the API server fills in (uid, generation,
// timestamps) is declared here: no schema of ours describes it, and it is read, never
// validated.
import type { ReconJob } from '../../runner/spec/schema.ts';
import type { Condition } from '../api/common.ts';
import type { ReconRunSpec, ReconRunStatus, RunPhase, RunResults, Trigger } from '../api/reconrun.ts';
import type { Timestamp } from './k8s-types.ts';

export { RUN_PHASES } from '../api/reconrun.ts';
export type { Condition, ReconRunSpec, ReconRunStatus, RunPhase };
export type RunTrigger = Trigger;
export type ReconRunResults = RunResults;

export const API_GROUP = 'raas.dev';
export const API_VERSION = 'raas.dev/v1alpha1';

/** What the API server adds to an object's metadata (V1ObjectMeta's fields that we read). */
export interface StoredMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: Timestamp;
  deletionTimestamp?: Timestamp;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A ReconJob as read from the API server: it has a uid (for owner references) and a namespace. */
export type StoredReconJob = ReconJob & { metadata: { uid: string; namespace: string; generation?: number; creationTimestamp?: Timestamp } };

/** A ReconRun as read from the API server (spec and status as the schemas infer them). */
export interface ReconRun {
  apiVersion?: string;
  kind?: string;
  metadata: StoredMetadata;
  spec: ReconRunSpec;
  status?: ReconRunStatus;
}
