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
  // Present with spec.carryForward (0 when nothing matched late); absent otherwise.
  matchedLate: count(
    'Keys of this window that matched an open item carried forward from an earlier window (spec.carryForward); they are counted here instead of as left-only or right-only, and the earlier break is resolved.',
  ).optional(),
});

/** A decimal amount as text: exact, never a float. */
const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, { error: 'must be a decimal number as text, e.g. "12.50"' });

/**
 * The key money at stake goes under when the job has no currency column, or a row's
 * currency is NULL: ISO 4217's code for "no currency involved".
 */
export const NO_CURRENCY = 'XXX';

/** The age buckets of money at stake, in whole days since a break was first seen. */
export const AGE_BUCKETS = ['0-1', '2-7', '8-30', '>30'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

export const atStakeSchema = z
  .record(
    z.string(),
    z
      .object({
        leftOnly: decimalText.describe('Total amount of the open left-only breaks, left amounts.'),
        rightOnly: decimalText.describe('Total amount of the open right-only breaks, right amounts.'),
        mismatched: decimalText.describe('Sum of |right - left| amounts of the open mismatched breaks.'),
      })
      .describe('Money at stake in one currency, as exact decimal strings.'),
  )
  .describe(
    `Money at stake per currency (spec.amount) over the open breaks after this run, never summed across currencies; ${NO_CURRENCY} when the job or a row has no currency.`,
  );

export const atStakeByAgeSchema = z
  .record(
    z.string(),
    z
      .object({
        '0-1': decimalText.describe('Open breaks first seen 0 or 1 days before this window.'),
        '2-7': decimalText.describe('Open breaks first seen 2 to 7 days before this window.'),
        '8-30': decimalText.describe('Open breaks first seen 8 to 30 days before this window.'),
        '>30': decimalText.describe('Open breaks first seen more than 30 days before this window.'),
      })
      .describe('Money at stake in one currency by the age of its break, exact decimal strings; the buckets add up to the currency\'s leftOnly + rightOnly + mismatched.'),
  )
  .describe('Money at stake per currency by age in days (0-1, 2-7, 8-30, >30).');

export const breaksSchema = z
  .object({
    open: count('Breaks (left-only, right-only and mismatched keys) open after this run: new plus persisting, without closed ones.'),
    new: count('Open breaks first seen in this window.'),
    persisting: count('Open breaks carried from an earlier window and still not matched.'),
    resolved: count('Breaks open after the previous window that this run resolved (matched late).'),
    closed: count('Breaks a person closed (results catalog) that are still closed in this run.').optional(),
    oldestOpenSince: z.string().optional().describe('Window start at which the oldest open break was first seen; absent when nothing is open.'),
    oldestAgeDays: count('Age in whole days of the oldest open break at this window\'s start; 0 when nothing is open.').optional(),
  })
  .describe('The break ledger after this run.');

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
  atStake: atStakeSchema.optional(),
  atStakeByAge: atStakeByAgeSchema.optional(),
  breaks: breaksSchema.optional(),
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
export type AtStake = z.infer<typeof atStakeSchema>;
export type AtStakeByAge = z.infer<typeof atStakeByAgeSchema>;
export type BreakLedger = z.infer<typeof breaksSchema>;
export type SucceededReport = z.infer<typeof succeededReportSchema>;
export type FailedReport = z.infer<typeof failedReportSchema>;
export type TerminationReport = z.infer<typeof terminationReportSchema>;
