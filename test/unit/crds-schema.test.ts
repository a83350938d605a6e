// crdSchema: the zod -> structural OpenAPI translation, on small schemas, including what it
// must refuse rather than silently drop.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CrdSchemaError, crdSchema, nodeAt } from '../../operator/api/crd.ts';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CrdSchemaError) return err.problems;
    throw err;
  }
  return [];
};

describe('crdSchema', () => {
  it('turns objects, maps, enums and limits into structural nodes', () => {
    const schema = z
      .strictObject({
        name: z.string().min(1).max(63).regex(/^[a-z]+$/).describe('Name.'),
        n: z.number().int().min(0).optional().describe('A count.'),
        ratio: z.number().positive().describe('A ratio.'),
        mode: z.enum(['A', 'B']).optional().describe('Mode.'),
        fixed: z.literal('x').describe('Fixed.'),
        tags: z.array(z.string()).min(1).max(4).describe('Tags.'),
        labels: z.record(z.string(), z.string()).describe('Labels.'),
        anything: z.record(z.string(), z.unknown()).describe('Free-form.'),
        loose: z.looseObject({ a: z.string().describe('A.') }).describe('Loose.'),
        note: z.string().nullable().describe('Note.'),
        when: z.iso.datetime({ offset: true }).describe('When.'),
      })
      .describe('Root.');
    const out = crdSchema(schema, { root: 'spec' });
    expect(out).toMatchObject({ type: 'object', description: 'Root.', required: ['anything', 'fixed', 'labels', 'loose', 'name', 'note', 'ratio', 'tags', 'when'] });
    expect(Object.keys(out.properties!)).toEqual([...Object.keys(out.properties!)].sort());
    expect(out.properties!.name).toEqual({ description: 'Name.', type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z]+$' });
    // zod's safe-integer bounds on .int() are not limits anyone wrote.
    expect(out.properties!.n).toEqual({ description: 'A count.', type: 'integer', minimum: 0 });
    expect(out.properties!.ratio).toEqual({ description: 'A ratio.', type: 'number', minimum: 0, exclusiveMinimum: true });
    expect(out.properties!.mode).toEqual({ description: 'Mode.', type: 'string', enum: ['A', 'B'] });
    expect(out.properties!.fixed).toEqual({ description: 'Fixed.', type: 'string', enum: ['x'] });
    expect(out.properties!.tags).toEqual({ description: 'Tags.', type: 'array', minItems: 1, maxItems: 4, items: { type: 'string' } });
    expect(out.properties!.labels).toEqual({ description: 'Labels.', type: 'object', additionalProperties: { type: 'string' } });
    expect(out.properties!.anything).toEqual({ description: 'Free-form.', type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(out.properties!.loose).toMatchObject({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true });
    expect(out.properties!.note).toEqual({ description: 'Note.', type: 'string', nullable: true });
    expect(out.properties!.when).toMatchObject({ type: 'string', format: 'date-time' });
    expect(JSON.stringify(out)).not.toMatch(/"additionalProperties":false|\$schema|propertyNames|"const"/);
  });

  it('keeps x-kubernetes extensions from .meta() and attaches rules by path', () => {
    const schema = z
      .strictObject({
        items: z
          .array(z.strictObject({ k: z.string().describe('Key.') }))
          .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'] })
          .describe('Items.'),
      })
      .describe('Root.');
    const rule = { rule: 'self.k != ""', message: 'items[].k must not be empty' };
    const out = crdSchema(schema, { root: 'spec', validations: { '.items[]': [rule] } });
    expect(out.properties!.items).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'] });
    expect(nodeAt(out, '.items[]')?.['x-kubernetes-validations']).toEqual([rule]);
    expect(problemsOf(() => crdSchema(schema, { root: 'spec', validations: { '.nope[]': [rule] } }))).toEqual([
      'spec.nope[]: validations given for a path the schema does not have',
    ]);
  });

  it('lists every property without a description', () => {
    const schema = z.strictObject({ a: z.string(), b: z.strictObject({ c: z.number() }).describe('B.'), d: z.string().describe('D.') });
    expect(problemsOf(() => crdSchema(schema, { root: 'spec' }))).toEqual([
      'spec.a: no description; add .describe() (kubectl explain shows it)',
      'spec.b.c: no description; add .describe() (kubectl explain shows it)',
    ]);
  });

  it('refuses defaults, unions, lookarounds and formats Kubernetes reads differently', () => {
    const schema = z.strictObject({
      d: z.string().default('x').describe('D.'),
      u: z.union([z.string(), z.number()]).describe('U.'),
      p: z.string().regex(/^(?!x)a$/).describe('P.'),
      t: z.iso.duration().describe('T.'),
    });
    const problems = problemsOf(() => crdSchema(schema, { root: 'spec' }));
    expect(problems).toEqual([
      expect.stringMatching(/^spec\.d: has a default/),
      expect.stringMatching(/^spec\.p: pattern .* lookarounds/),
      expect.stringMatching(/^spec\.t: format "duration" has no Kubernetes equivalent/),
      // zod's ISO-duration regex itself uses lookaheads.
      expect.stringMatching(/^spec\.t: pattern .* lookarounds/),
      expect.stringMatching(/^spec\.u: anyOf .* is not structural/),
    ]);
  });

  it('refuses types JSON cannot hold instead of emitting an untyped node', () => {
    expect(() => crdSchema(z.strictObject({ at: z.date().describe('At.') }), { root: 'spec' })).toThrow(/Date cannot be represented/);
  });
});
