// The ReconJob status (docs/design.md, The API). The spec is the runner's schema (runner/spec/schema.ts);
// the status is operator-only, so it lives here. Pure: zod only; the CRD is generated
// from it (npm run gen).
import { z } from 'zod';
import { conditionsSchema, observedGenerationSchema, timestampSchema } from './common.ts';
import { RUN_PHASES, runCountsSchema, runWindowSchema } from './reconrun.ts';

export const lastRunSchema = z
  .object({
    name: z.string().min(1).describe('Name of the ReconRun.'),
    phase: z.enum(RUN_PHASES).describe('Its phase: Pending, Running, Succeeded or Failed.'),
    balanced: z.boolean().optional().describe('Whether it was balanced; set once it Succeeded.'),
    window: runWindowSchema,
    completionTime: timestampSchema.optional().describe('When it finished.'),
    counts: runCountsSchema.optional(),
  })
  .describe('The most recently started ReconRun of this job.');

export const reconJobStatusSchema = z
  .object({
    conditions: conditionsSchema.optional(),
    observedGeneration: observedGenerationSchema.optional(),
    lastScheduleTime: timestampSchema.optional().describe('When a run was last scheduled.'),
    nextScheduleTime: timestampSchema.optional().describe('When the next run is scheduled; absent when suspended or unscheduled.'),
    lastRun: lastRunSchema.optional(),
    activeRuns: z.number().int().min(0).optional().describe('ReconRuns of this job that are Pending or Running.'),
  })
  .describe('What the operator observed: written by the operator only.');

export type LastRun = z.infer<typeof lastRunSchema>;
export type ReconJobStatus = z.infer<typeof reconJobStatusSchema>;
