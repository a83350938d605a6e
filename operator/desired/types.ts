// The parts of ReconJob and ReconRun these pure functions need. The ReconRun zod schema
// lives in operator/api/reconrun.ts; the field names here are the same, so these
// interfaces can be replaced by the inferred types without touching the callers.
import type { Counts } from '../../runner/run/summary.ts';
import type { ReconJob } from '../../runner/spec/schema.ts';
import type { Timestamp } from './k8s-types.ts';

export const API_GROUP = 'raas.dev';
export const API_VERSION = 'raas.dev/v1alpha1';

/** A ReconJob as read from the API server: it has a uid (for owner references) and a namespace. */
export type StoredReconJob = ReconJob & { metadata: { uid: string; namespace: string } };

export const RUN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];
export type RunTrigger = 'Scheduled' | 'Manual' | 'Backfill';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ReconRunSpec {
  jobRef: { name: string };
  window: { start: string; end: string };
  trigger: RunTrigger;
}

export interface ReconRunResults {
  uri: string;
  files?: string[];
  summaryUri?: string;
}

export interface ReconRunStatus {
  phase: RunPhase;
  balanced?: boolean;
  startTime?: string;
  completionTime?: string;
  counts?: Counts;
  mismatchedByColumn?: Record<string, number>;
  diffTotals?: Record<string, string>;
  summaries?: Record<string, string>;
  results?: ReconRunResults;
  jobName?: string;
  message?: string;
  failedStage?: string;
  conditions?: Condition[];
  observedGeneration?: number;
}

export interface ReconRun {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: Timestamp;
    deletionTimestamp?: Timestamp;
    labels?: Record<string, string>;
  };
  spec: ReconRunSpec;
  status?: Partial<ReconRunStatus>;
}
