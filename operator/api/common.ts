// Shapes both kinds' status share, following Kubernetes' own conventions (metav1.Condition,
// RFC 3339 times) so that `kubectl wait --for=condition=Ready` and Argo CD read them as usual.
// Pure: zod only, no I/O; the CRDs are generated from these (npm run gen).
import { z } from 'zod';

/** An RFC 3339 time with an offset, e.g. 2024-05-01T00:00:00+09:00 or 2024-05-01T00:00:00Z. */
export const timestampSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 time with an offset, e.g. 2024-05-01T00:00:00+09:00 or 2024-05-01T00:00:00Z',
});

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

const nonNegativeInt = z.number().int().min(0);

// metav1.Condition, field for field (including its length limits and patterns), so tools
// that understand standard conditions understand ours.
export const conditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
      .describe('Condition type in CamelCase, e.g. Ready.'),
    status: z.enum(CONDITION_STATUSES).describe('True, False or Unknown.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Machine-readable reason for the last transition, in CamelCase, e.g. InvalidSpec.'),
    message: z.string().max(32768).describe('Human-readable details of the last transition; may be empty.'),
    lastTransitionTime: timestampSchema.describe('When status last changed.'),
    observedGeneration: nonNegativeInt.optional().describe('The metadata.generation this condition was computed from.'),
  })
  .describe('A standard Kubernetes condition (metav1.Condition).');

// One entry per type, merged by type under server-side apply, as for built-in kinds.
export const conditionsSchema = z
  .array(conditionSchema)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('Current state as standard conditions; Ready is the summary.');

export const observedGenerationSchema = nonNegativeInt.describe('The metadata.generation the controller last acted on.');

export type Condition = z.infer<typeof conditionSchema>;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];
