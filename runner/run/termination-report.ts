// The runner's termination report: the compact JSON a runner pod leaves in its
// termination message (RAAS_TERMINATION_LOG -> /dev/termination-log) and the operator
// reads back into the ReconRun status (operator/desired/run-status.ts readReport). One
// schema for both sides: the runner writes it (summary.ts compactSummary/compactFailure,
// checked against it in termination-report.test.ts) and the operator parses it.
//
// The reader must survive other runner versions, so unknown fields are dropped rather
// than refused; what it needs (phase, counts, balanced, stage) is checked strictly,
// because a report that parses is copied into status as the truth about a run.
import { z } from 'zod';

/** Kubernetes keeps at most this many bytes of a termination message. */
export const TERMINATION_MESSAGE_BYTES = 4096;

const nonNegativeInt = z.number().int().min(0);
const count = (what: string) => nonNegativeInt.describe(what);

// The descriptions are the ReconRun CRD's (operator/api/reconrun.ts uses this schema for
// status.counts), so `kubectl explain reconrun.status.counts` reads them.
export const countsSchema = z.object({
  left: count('Rows on the left side (after its query).'),
  right: count('Rows on the right side (after its query).'),
  matched: count('Keys present on both sides with all compared values equal.'),
  mismatched: count('Keys present on both sides with at least one compared value different.'),
  leftOnly: count('Keys only on the left.'),
  rightOnly: count('Keys only on the right.'),
  duplicateKeysLeft: count('Keys that occur more than once on the left.'),
  duplicateKeysRight: count('Keys that occur more than once on the right.'),
  nullKeysLeft: count('Rows on the left with a NULL in a key column.'),
  nullKeysRight: count('Rows on the right with a NULL in a key column.'),
});

export const succeededReportSchema = z.object({
  phase: z.literal('Succeeded'),
  job: z.string().optional(),
  run: z.string().optional(),
  window: z.object({ start: z.string(), end: z.string() }).optional(),
  balanced: z.boolean(),
  counts: countsSchema,
  mismatchedByColumn: z.record(z.string(), nonNegativeInt).optional(),
  diffTotals: z.record(z.string(), z.string()).optional(),
  summaries: z.record(z.string(), z.string().nullable()).optional(),
  results: z.object({ uri: z.string(), summaryUri: z.string().optional(), files: z.array(z.string()).optional() }).optional(),
  // Per-stage milliseconds, with nested per-step detail (summary.ts Timings); not read by the operator.
  timings: z.record(z.string(), z.union([z.number(), z.record(z.string(), z.number())])).optional(),
  /** Detail was dropped to fit TERMINATION_MESSAGE_BYTES; summary.json has all of it. */
  truncated: z.boolean().optional(),
  /** Why a run is unbalanced although its counts are not (e.g. no column compared). */
  warnings: z.array(z.string()).optional(),
});

export const failedReportSchema = z.object({
  phase: z.literal('Failed'),
  stage: z.string().min(1),
  message: z.string(),
  job: z.string().optional(),
  run: z.string().optional(),
});

export const terminationReportSchema = z.discriminatedUnion('phase', [succeededReportSchema, failedReportSchema]);

export type Counts = z.infer<typeof countsSchema>;
export type SucceededReport = z.infer<typeof succeededReportSchema>;
export type FailedReport = z.infer<typeof failedReportSchema>;
export type TerminationReport = z.infer<typeof terminationReportSchema>;
