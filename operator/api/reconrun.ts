// The ReconRun API (docs/design.md, The API): one execution of a ReconJob for one window. Users create
// ReconRuns for manual runs and backfills; the operator creates them for scheduled runs and
// is the only writer of status. Pure: zod only; the CRD is generated from these (npm run gen).
//
// Cross-field rules are written twice on purpose: a superRefine for zod (the operator's own
// parsing, the CLI) and the same rule as CEL in `.meta()` for the API server. The CRD tests
// evaluate the CEL against the same objects as zod so the two cannot drift apart.
import { z } from 'zod';
import { metadataSchema, NOTIFY_EVENTS } from '../../runner/spec/schema.ts';
import { countsSchema } from '../../runner/run/termination-report.ts';
import { conditionsSchema, observedGenerationSchema, timestampSchema } from './common.ts';

export const TRIGGERS = ['Scheduled', 'Manual', 'Backfill'] as const;
export const RUN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;

const nonNegativeInt = z.number().int().min(0);
const count = (what: string) => nonNegativeInt.describe(what);

export const runWindowSchema = z
  .strictObject({
    start: timestampSchema.describe('Start of the window, inclusive: ISO-8601 with an offset, e.g. 2024-05-01T00:00:00+09:00.'),
    end: timestampSchema.describe('End of the window, exclusive: ISO-8601 with an offset; must be after start.'),
  })
  .superRefine((w, ctx) => {
    if (!(Date.parse(w.end) > Date.parse(w.start))) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `must be after start (${w.start}); the window is [start, end)` });
    }
  })
  .meta({
    'x-kubernetes-validations': [
      {
        // In Kubernetes CEL a string with format date-time is already a timestamp, so the
        // rule compares them directly (timestamp(self.end) is a type error on a real server).
        rule: 'self.end > self.start',
        message: 'window.end must be after window.start (the window is [start, end)); set end to a later time than start',
        fieldPath: '.end',
        reason: 'FieldValueInvalid',
      },
    ],
  })
  .describe('The period a run covers: [start, end).');

export const reconRunSpecSchema = z
  .strictObject({
    jobRef: z
      .strictObject({
        name: metadataSchema.shape.name.describe('Name of the ReconJob, in the same namespace.'),
      })
      .describe('The ReconJob this run executes.'),
    window: runWindowSchema,
    trigger: z
      .enum(TRIGGERS)
      .describe('Why the run exists: Scheduled (created by the operator from the schedule), Manual, or Backfill.'),
  })
  .describe('Which job to run, for which window, and why.');

// The same counts as summary.json and the runner's termination report (one schema,
// runner/run/termination-report.ts), so the status is a copy, not a translation.
export const runCountsSchema = countsSchema.describe('Row and key counts, as in summary.json.');

export const runResultsSchema = z
  .object({
    uri: z.string().min(1).describe('Directory or s3:// prefix holding the result files and summary.json.'),
    files: z.array(z.string().min(1)).optional().describe('Result files written under uri.'),
    summaryUri: z.string().min(1).optional().describe('Location of summary.json; results are complete only when it exists.'),
  })
  .describe('Where the results of the run are.');

export const notificationRecordSchema = z
  .object({
    sink: z.string().min(1).describe('The sink the event is for, e.g. kafka:recon-events or webhook:<secret name>.'),
    event: z.enum(NOTIFY_EVENTS).describe('The event: Started, Succeeded, Failed, Balanced or Unbalanced.'),
    id: z.string().min(1).describe('Event id (the CloudEvents id); receivers use it to drop duplicates.'),
    delivered: z.boolean().describe('Whether the sink accepted the event.'),
    attempts: count('Delivery attempts so far.'),
    lastError: z.string().optional().describe('Why the last attempt failed; absent once delivered.'),
    time: timestampSchema.optional().describe('When the last attempt was made.'),
  })
  .describe('Delivery record of one event to one sink.');

export const reconRunStatusSchema = z
  .object({
    phase: z.enum(RUN_PHASES).optional().describe('Pending, Running, Succeeded (the compare completed, balanced or not) or Failed.'),
    balanced: z.boolean().optional().describe('Whether every count is within the job\'s expect limits. Set when phase is Succeeded.'),
    startTime: timestampSchema.optional().describe('When the runner started.'),
    completionTime: timestampSchema.optional().describe('When the run finished, successfully or not.'),
    counts: runCountsSchema.optional(),
    mismatchedByColumn: z
      .record(z.string(), nonNegativeInt)
      .optional()
      .describe('Mismatched keys per compared column.'),
    diffTotals: z
      .record(z.string(), z.string())
      .optional()
      .describe('Sum of (right - left) per numeric compared column, as exact decimal strings.'),
    summaries: z
      .record(z.string(), z.string())
      .optional()
      .describe('Values of the job\'s summaries as strings; a summary whose SQL returned NULL is left out.'),
    results: runResultsSchema.optional(),
    jobName: z.string().min(1).optional().describe('Name of the Kubernetes Job running the runner.'),
    message: z.string().optional().describe('Human-readable outcome; for a failed run, what went wrong.'),
    failedStage: z
      .string()
      .min(1)
      .optional()
      .describe('Stage that failed: validate, render, stage, load, query, keys, compare, summaries, write, upload, catalog, or pod when the runner pod itself failed.'),
    conditions: conditionsSchema.optional(),
    observedGeneration: observedGenerationSchema.optional(),
    notifications: z
      .array(notificationRecordSchema)
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['sink', 'event'] })
      .optional()
      .describe('Notification delivery, one record per sink and event.'),
  })
  .describe('What happened: written by the operator only.');

export const reconRunSchema = z.looseObject({
  apiVersion: z.literal('raas.dev/v1alpha1', { error: 'must be raas.dev/v1alpha1' }),
  kind: z.literal('ReconRun', { error: 'must be ReconRun' }),
  metadata: metadataSchema,
  spec: reconRunSpecSchema,
  status: reconRunStatusSchema.optional(),
});

export type Trigger = (typeof TRIGGERS)[number];
export type RunPhase = (typeof RUN_PHASES)[number];
export type RunWindow = z.infer<typeof runWindowSchema>;
export type RunCounts = z.infer<typeof runCountsSchema>;
export type RunResults = z.infer<typeof runResultsSchema>;
export type NotificationRecord = z.infer<typeof notificationRecordSchema>;
export type ReconRunSpec = z.infer<typeof reconRunSpecSchema>;
export type ReconRunStatus = z.infer<typeof reconRunStatusSchema>;
export type ReconRun = z.infer<typeof reconRunSchema>;
