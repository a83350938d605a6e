// The generated CRDs: committed files match the generator, the schemas are structural,
// the printer columns and names are as designed, and every CEL rule agrees with zod's
// superRefine on the same objects (evaluated with @marcbachmann/cel-js; Kubernetes runs
// cel-go, but these rules use only core CEL: has, all, exists_one, timestamp).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { evaluate } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { reconJobSpecSchema } from '../../runner/spec/schema.ts';
import type { JSONSchemaProps } from '../../operator/api/crd.ts';
import { allCrds, reconJobCrd, reconRunCrd, renderCrdFiles, type CustomResourceDefinition } from '../../operator/api/crds.ts';
import { reconJobStatusSchema } from '../../operator/api/reconjob-status.ts';
import { reconRunSpecSchema, reconRunStatusSchema } from '../../operator/api/reconrun.ts';
import { normalizeCron } from '../../runner/window/cron.ts';
import { assertTimeZone } from '../../runner/window/window.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaOf = (c: CustomResourceDefinition): JSONSchemaProps => c.spec.versions[0]!.schema.openAPIV3Schema;

describe('generated files', () => {
  it.each(renderCrdFiles())('$path is what npm run gen writes now', async ({ path, text }) => {
    const onDisk = await readFile(`${root}/${path}`, 'utf8').catch(() => '<missing>');
    expect(onDisk, `${path} is out of date with the zod schemas: run npm run gen`).toBe(text);
  });

  it('reads back as the same object with YAML 1.1, as kubectl and helm parse it', () => {
    for (const { path, text } of renderCrdFiles()) {
      const crd = allCrds().find((c) => path.endsWith(`_${c.spec.names.plural}.yaml`));
      expect(YAML.parse(text, { version: '1.1' }), path).toEqual(crd);
    }
  });
});

// Every node of the schema with its path, for the structural checks.
function* nodes(node: JSONSchemaProps, path: string): Generator<[string, JSONSchemaProps, boolean]> {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    yield [`${path}.${name}`, child, true];
    yield* nodes(child, `${path}.${name}`);
  }
  if (node.items) {
    yield [`${path}[]`, node.items, false];
    yield* nodes(node.items, `${path}[]`);
  }
  if (node.additionalProperties) {
    yield [`${path}{}`, node.additionalProperties, false];
    yield* nodes(node.additionalProperties, `${path}{}`);
  }
}

describe.each([reconJobCrd(), reconRunCrd()])('$spec.names.kind CRD', (crd) => {
  const schema = schemaOf(crd);

  it('is structural, with a description on every property and no defaults', () => {
    const problems: string[] = [];
    for (const [path, node, isProperty] of nodes(schema, '')) {
      const raw = node as Record<string, unknown>;
      if (path === '.metadata') {
        // The API server owns metadata's schema: anything but the type is rejected.
        if (JSON.stringify(node) !== '{"type":"object"}') problems.push(`${path}: must be exactly {type: object}`);
        continue;
      }
      if (!node.type && !node['x-kubernetes-preserve-unknown-fields'] && !node['x-kubernetes-int-or-string']) problems.push(`${path}: no type`);
      if (isProperty && !node.description) problems.push(`${path}: no description`);
      for (const key of ['default', '$ref', '$schema', '$defs', 'anyOf', 'oneOf', 'allOf', 'not', 'const', 'propertyNames', 'uniqueItems']) {
        if (key in raw) problems.push(`${path}: has ${key}`);
      }
      if ('additionalProperties' in raw && typeof raw.additionalProperties !== 'object') problems.push(`${path}: additionalProperties is not a schema`);
      if (node.properties && node.additionalProperties) problems.push(`${path}: both properties and additionalProperties`);
      if (node.type === 'array' && !node.items) problems.push(`${path}: array without items`);
      if (node.required?.some((r) => !node.properties?.[r])) problems.push(`${path}: requires a field it does not declare`);
      for (const r of node['x-kubernetes-validations'] ?? []) {
        if (!r.message) problems.push(`${path}: rule ${r.rule} has no message`);
        // The API server reports FieldValueDuplicate without the message.
        if ((r.reason as string | undefined) === 'FieldValueDuplicate') problems.push(`${path}: rule ${r.rule} uses reason FieldValueDuplicate`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('is one namespaced v1alpha1 version, served and stored, with a status subresource', () => {
    expect(crd.spec.group).toBe('raas.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.categories).toEqual(['raas']);
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.raas.dev`);
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect(Object.keys(schema.properties ?? {})).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });
});

describe('names and printer columns', () => {
  const defaultColumns = (c: CustomResourceDefinition) =>
    c.spec.versions[0]!.additionalPrinterColumns.filter((col) => !col.priority).map((col) => [col.name, col.type, col.jsonPath]);

  it('ReconRun reads like a report in kubectl get rr', () => {
    const c = reconRunCrd();
    expect(c.spec.names).toMatchObject({ kind: 'ReconRun', plural: 'reconruns', singular: 'reconrun', shortNames: ['rr'] });
    expect(defaultColumns(c)).toEqual([
      ['JOB', 'string', '.spec.jobRef.name'],
      ['WINDOW', 'string', '.spec.window.start'],
      ['PHASE', 'string', '.status.phase'],
      ['BALANCED', 'boolean', '.status.balanced'],
      ['MATCHED', 'integer', '.status.counts.matched'],
      ['MISMATCHED', 'integer', '.status.counts.mismatched'],
      ['LEFT-ONLY', 'integer', '.status.counts.leftOnly'],
      ['RIGHT-ONLY', 'integer', '.status.counts.rightOnly'],
      ['AT STAKE', 'string', '.status.moneyAtStake'],
      ['AGE', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  it('ReconJob shows its schedule and last run in kubectl get rj', () => {
    const c = reconJobCrd();
    expect(c.spec.names).toMatchObject({ kind: 'ReconJob', plural: 'reconjobs', singular: 'reconjob', shortNames: ['rj'] });
    expect(defaultColumns(c)).toEqual([
      ['SCHEDULE', 'string', '.spec.schedule.cron'],
      ['SUSPENDED', 'boolean', '.spec.schedule.suspend'],
      ['LAST RUN', 'string', '.status.lastRun.name'],
      ['LAST RESULT', 'string', '.status.lastRun.phase'],
      ['AGE', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  it('printer columns point at fields the schema has', () => {
    for (const c of allCrds()) {
      for (const col of c.spec.versions[0]!.additionalPrinterColumns) {
        if (col.jsonPath.startsWith('.metadata.')) continue;
        let node: JSONSchemaProps | undefined = schemaOf(c);
        for (const step of col.jsonPath.replace(/\[\?.*?\]/g, '').split('.').slice(1)) node = (node?.items ?? node)?.properties?.[step];
        expect(node, `${c.spec.names.kind} ${col.name} ${col.jsonPath}`).toBeDefined();
      }
    }
  });
});

// --- CEL ---------------------------------------------------------------------------------

interface Failure {
  path: string;
  message: string;
}
type RuleKey = string;

/**
 * Values as Kubernetes CEL sees them: a string whose schema says `format: date-time` is a
 * timestamp (so `self.end > self.start` compares instants, and `timestamp(self.end)` would
 * be a type error on a real API server).
 */
// Kubernetes escapes property names that are CEL keywords: `as` is `self.__as__` in a rule.
const CEL_RESERVED = new Set(['as', 'break', 'const', 'continue', 'else', 'false', 'for', 'function', 'if', 'import', 'in', 'let', 'loop', 'package', 'namespace', 'null', 'return', 'true', 'var', 'void', 'while']);
const celKey = (k: string) => (CEL_RESERVED.has(k) ? `__${k}__` : k);

function celTyped(schema: JSONSchemaProps | undefined, value: unknown): unknown {
  if (!schema) return value;
  if (typeof value === 'string' && schema.format === 'date-time') return new Date(value);
  if (Array.isArray(value)) return value.map((v) => celTyped(schema.items, v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [celKey(k), celTyped(schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined), v)]));
  }
  return value;
}

/** Runs every x-kubernetes-validations rule where the object has a value, as the API server does. */
function celFailures(schema: JSONSchemaProps, value: unknown, path: string, seen: Map<RuleKey, Set<boolean>>): Failure[] {
  const failures: Failure[] = [];
  for (const r of schema['x-kubernetes-validations'] ?? []) {
    const ok = evaluate(r.rule, { self: celTyped(schema, value) }) === true;
    const key = `${path.replace(/\[\d+\]/g, '[]')}: ${r.rule}`;
    seen.set(key, (seen.get(key) ?? new Set()).add(ok));
    if (!ok) failures.push({ path, message: r.message });
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => failures.push(...celFailures(schema.items!, v, `${path}[${i}]`, seen)));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const own = schema.properties?.[k];
      const child = own ?? schema.additionalProperties;
      // Map values share one schema node, named {} as in nodes(), so their rules count once.
      if (child) failures.push(...celFailures(child, v, own ? `${path}.${k}` : `${path}{}`, seen));
    }
  }
  return failures;
}

const rulesIn = (schema: JSONSchemaProps): RuleKey[] => {
  const out: RuleKey[] = (schema['x-kubernetes-validations'] ?? []).map((r) => `: ${r.rule}`);
  for (const [path, node] of nodes(schema, '')) for (const r of node['x-kubernetes-validations'] ?? []) out.push(`${path}: ${r.rule}`);
  return out;
};

const source = { uri: 'data/left.csv' };
const jobSpec = { left: source, right: { uri: 'data/right.csv' }, keys: [{ column: 'id' }] };
const window = { start: '2024-05-01T00:00:00+09:00', end: '2024-05-02T00:00:00+09:00' };
const lastRun = { name: 'r1', phase: 'Succeeded', window };

// Each case: an object, and whether zod accepts it. The CEL verdict must be the same, and a
// rejected object must be rejected with a message naming `field`.
const jobCases: { name: string; spec: object; status?: object; valid: boolean; field?: string }[] = [
  { name: 'minimal job', spec: jobSpec, valid: true },
  { name: 'compare without aggregate', spec: { ...jobSpec, compare: [{ column: 'amount' }] }, valid: true },
  { name: 'aggregate with count and sum', spec: { ...jobSpec, aggregate: { measures: [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'amount', as: 'amount' }] } }, valid: true },
  { name: 'aggregate with compare', spec: { ...jobSpec, compare: [], aggregate: { measures: [{ fn: 'count', as: 'n' }] } }, valid: false, field: 'spec.compare' },
  { name: 'sum without column', spec: { ...jobSpec, aggregate: { measures: [{ fn: 'count', as: 'n' }, { fn: 'sum', as: 'total' }] } }, valid: false, field: 'measures[].column' },
  { name: 'amount with both currencies', spec: { ...jobSpec, amount: { column: 'amount', right: 'settled', currency: 'ccy', currencyRight: 'currency' } }, valid: true },
  { name: 'amount with currencyRight only', spec: { ...jobSpec, amount: { column: 'amount', currencyRight: 'currency' } }, valid: false, field: 'spec.amount.currency' },
  { name: 'carryForward on a row-by-row job', spec: { ...jobSpec, carryForward: { periods: 2 }, output: { uri: 'out/{{ window.startDate }}/' } }, valid: true },
  { name: 'carryForward with aggregate', spec: { ...jobSpec, carryForward: { periods: 1 }, aggregate: { measures: [{ fn: 'count', as: 'n' }] } }, valid: false, field: 'spec.carryForward' },
  { name: 'notify with kafka and on', spec: { ...jobSpec, notify: [{ kafka: { topic: 't' }, on: ['Failed'] }] }, valid: true },
  { name: 'notify with webhook and events', spec: { ...jobSpec, notify: [{ webhook: { secretRef: { name: 'hook' } }, events: ['Succeeded'] }] }, valid: true },
  { name: 'notify naming two sinks', spec: { ...jobSpec, notify: [{ kafka: { topic: 't' }, webhook: { secretRef: { name: 'hook' } }, on: ['Failed'] }] }, valid: false, field: 'notify[] must name exactly one sink' },
  { name: 'notify naming no sink', spec: { ...jobSpec, notify: [{ on: ['Failed'] }] }, valid: false, field: 'notify[] must name exactly one sink' },
  { name: 'notify with on and events', spec: { ...jobSpec, notify: [{ kafka: { topic: 't' }, on: ['Failed'], events: ['Failed'] }] }, valid: false, field: 'exactly one list of events' },
  { name: 'notify without events', spec: { ...jobSpec, notify: [{ kafka: { topic: 't' } }] }, valid: false, field: 'exactly one list of events' },
  { name: 'csv options with format csv', spec: { ...jobSpec, left: { ...source, format: 'csv', csv: { delimiter: ';' } } }, valid: true },
  { name: 'csv options without format', spec: { ...jobSpec, right: { uri: 'x.csv.gz', csv: { header: false } } }, valid: true },
  { name: 'csv options with parquet on the left', spec: { ...jobSpec, left: { ...source, format: 'parquet', csv: {} } }, valid: false, field: 'spec.left.csv' },
  { name: 'csv options with json on the right', spec: { ...jobSpec, right: { uri: 'r.json', format: 'json', csv: {} } }, valid: false, field: 'spec.right.csv' },
  { name: 'named inputs of any scheme', spec: { ...jobSpec, left: { inputs: { orders: { uri: 's3://b/o.parquet' }, refunds: { uri: 'sftp://u@h/r.csv', csv: { delimiter: ';' } }, fx: { uri: 'postgres://$DB', query: 'SELECT 1' } }, query: 'SELECT * FROM orders' } }, valid: true },
  { name: 'uri and inputs', spec: { ...jobSpec, left: { uri: 'a.csv', inputs: { a: { uri: 'a.csv' } } } }, valid: false, field: 'spec.left' },
  { name: 'neither uri nor inputs', spec: { ...jobSpec, right: { name: 'r' } }, valid: false, field: 'spec.right' },
  { name: 'format beside inputs', spec: { ...jobSpec, left: { inputs: { a: { uri: 'a.csv' } }, format: 'csv' } }, valid: false, field: 'spec.left.format' },
  { name: 'no inputs at all', spec: { ...jobSpec, left: { inputs: {} } }, valid: false, field: 'spec.left.inputs' },
  { name: 'seventeen inputs', spec: { ...jobSpec, left: { inputs: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`i${i}`, { uri: `${i}.csv` }])) } }, valid: false, field: 'spec.left.inputs' },
  { name: 'left database uri without a query', spec: { ...jobSpec, left: { uri: 'postgres://$DB' } }, valid: false, field: 'spec.left.query' },
  { name: 'right with inputs', spec: { ...jobSpec, right: { inputs: { s: { uri: 'ftps://h/s.csv', format: 'csv', csv: {} } } } }, valid: true },
  { name: 'right csv beside inputs', spec: { ...jobSpec, right: { inputs: { s: { uri: 's.csv' } }, csv: {} } }, valid: false, field: 'spec.right.format, csv' },
  { name: 'right with no inputs', spec: { ...jobSpec, right: { inputs: {} } }, valid: false, field: 'spec.right.inputs' },
  { name: 'right database input without a query', spec: { ...jobSpec, right: { inputs: { s: { uri: 'mysql://$DB' } } } }, valid: false, field: 'spec.right.inputs.<name>.query' },
  { name: 'right input csv options with json', spec: { ...jobSpec, right: { inputs: { s: { uri: 's.json', format: 'json', csv: {} } } } }, valid: false, field: 'spec.right.inputs.<name>.csv' },
  { name: 'catalog by Secret', spec: { ...jobSpec, output: { catalog: { postgres: { secretRef: { name: 'recon-db' } }, table: 'recon_runs', rows: 'recon_rows' } } }, valid: true },
  { name: 'catalog by variable', spec: { ...jobSpec, output: { catalog: { urlEnv: 'RECON_DB' } } }, valid: true },
  { name: 'catalog with both', spec: { ...jobSpec, output: { catalog: { urlEnv: 'RECON_DB', postgres: { secretRef: { name: 'recon-db' } } } } }, valid: false, field: 'spec.output.catalog' },
  { name: 'catalog with neither', spec: { ...jobSpec, output: { catalog: { table: 't' } } }, valid: false, field: 'spec.output.catalog' },
  { name: 'database uri with a query', spec: { ...jobSpec, right: { uri: 'mysql://$DB', query: 'SELECT 1 AS id' } }, valid: true },
  { name: 'database uri without a query', spec: { ...jobSpec, right: { uri: 'postgres://$DB' } }, valid: false, field: 'spec.right.query' },
  { name: 'database input without a query', spec: { ...jobSpec, left: { inputs: { a: { uri: 'postgresql://$DB' } } } }, valid: false, field: 'spec.left.inputs.<name>.query' },
  { name: 'file input with a query', spec: { ...jobSpec, left: { inputs: { a: { uri: 'a.csv', query: 'SELECT 1' } } } }, valid: false, field: 'spec.left.inputs.<name>.query' },
  { name: 'input csv options with parquet', spec: { ...jobSpec, left: { inputs: { a: { uri: 'a.parquet', format: 'parquet', csv: {} } } } }, valid: false, field: 'spec.left.inputs.<name>.csv' },
  {
    name: 'unique summary names',
    spec: { ...jobSpec, summaries: [{ name: 'a', sql: 'SELECT 1' }, { name: 'b', sql: 'SELECT 2' }] },
    valid: true,
  },
  {
    name: 'duplicate summary names',
    spec: { ...jobSpec, summaries: [{ name: 'a', sql: 'SELECT 1' }, { name: 'b', sql: 'SELECT 2' }, { name: 'a', sql: 'SELECT 3' }] },
    valid: false,
    field: 'summaries[].name',
  },
  {
    name: 'summary names differing only in case',
    spec: { ...jobSpec, summaries: [{ name: 'total', sql: 'SELECT 1' }, { name: 'TOTAL', sql: 'SELECT 2' }] },
    valid: false,
    field: 'summaries[].name',
  },
  {
    name: 'measure named like a key',
    spec: { ...jobSpec, aggregate: { measures: [{ fn: 'count', as: 'ID' }] } },
    valid: false,
    field: 'measures[].as must differ from every key column',
  },
  {
    name: 'measure named like a right key',
    spec: { ...jobSpec, keys: [{ column: 'id', right: 'ref' }], aggregate: { measures: [{ fn: 'count', as: 'Ref' }] } },
    valid: false,
    field: 'measures[].as must differ from every key column',
  },
  {
    name: 'two measures with one name',
    spec: { ...jobSpec, aggregate: { measures: [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'amount', as: 'N' }] } },
    valid: false,
    field: 'measures[].as must be unique',
  },
  { name: 'status with a last run', spec: jobSpec, status: { lastRun }, valid: true },
  { name: 'status with an empty last-run window', spec: jobSpec, status: { lastRun: { ...lastRun, window: { start: window.start, end: window.start } } }, valid: false, field: 'window.end' },
];

const runCases: { name: string; window: { start: string; end: string }; valid: boolean }[] = [
  { name: 'one day', window, valid: true },
  // Later in time but earlier as text: only a timestamp comparison gets this right.
  { name: 'end in another offset', window: { start: '2024-05-01T00:00:00+09:00', end: '2024-04-30T15:00:01Z' }, valid: true },
  { name: 'empty window', window: { start: '2024-05-01T00:00:00+09:00', end: '2024-04-30T15:00:00Z' }, valid: false },
  { name: 'end before start', window: { start: '2024-05-02T00:00:00Z', end: '2024-05-01T00:00:00Z' }, valid: false },
];

// The schedule's shape rules answer before the runner's own checks (normalizeCron,
// assertTimeZone) run: they must accept everything those accept, and refuse what they
// refuse except the cases only code can tell (operatorOnly: the operator's Ready=False says them).
const scheduleCases: { name: string; schedule: { cron: string; timeZone?: string }; runnerOk: boolean; operatorOnly?: boolean; field?: string }[] = [
  { name: 'daily at two', schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo' }, runnerOk: true },
  { name: 'names, ranges, steps, lists, ? and spacing', schedule: { cron: ' */15  0-23/2 1,15 JAN-dec Mon-FRI ', timeZone: 'America/Argentina/Buenos_Aires' }, runnerOk: true },
  { name: 'a descriptor', schedule: { cron: '@Daily', timeZone: 'Etc/GMT+5' }, runnerOk: true },
  { name: 'leading zeros and a tab', schedule: { cron: '005\t02 * * *', timeZone: 'EST5EDT' }, runnerOk: true },
  { name: 'hour 25', schedule: { cron: '0 25 * * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'minute 60', schedule: { cron: '60 * * * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'day of month 0', schedule: { cron: '0 0 0 * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'month 13', schedule: { cron: '0 0 * 13 *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'day of week 7', schedule: { cron: '0 0 * * 7' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'a step of 0', schedule: { cron: '*/0 * * * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'six fields', schedule: { cron: '0 0 2 * * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'four fields', schedule: { cron: '0 2 * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'a time zone in the cron', schedule: { cron: 'CRON_TZ=Asia/Tokyo 0 2 * * *' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: '@every', schedule: { cron: '@every 1h' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'a month name in the day-of-week field', schedule: { cron: '0 2 * * jan' }, runnerOk: false, field: 'spec.schedule.cron' },
  { name: 'a range that runs backwards', schedule: { cron: '0 0 5-1 * *' }, runnerOk: false, operatorOnly: true },
  { name: 'a zone with a trailing space', schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo ' }, runnerOk: false, field: 'spec.schedule.timeZone' },
  { name: 'an offset for a zone', schedule: { cron: '0 2 * * *', timeZone: '+09:00' }, runnerOk: false, field: 'spec.schedule.timeZone' },
  { name: 'a zone with a quote', schedule: { cron: '0 2 * * *', timeZone: "UTC'" }, runnerOk: false, field: 'spec.schedule.timeZone' },
  { name: 'a well-formed zone that does not exist', schedule: { cron: '0 2 * * *', timeZone: 'Mars/Olympus' }, runnerOk: false, operatorOnly: true },
];

const runnerAccepts = (schedule: { cron: string; timeZone?: string }): boolean => {
  try {
    normalizeCron(schedule.cron);
    assertTimeZone(schedule.timeZone ?? 'UTC');
    return true;
  } catch {
    return false;
  }
};

describe('CEL rules agree with zod', () => {
  const job = reconJobCrd();
  const run = reconRunCrd();
  const seen = new Map<RuleKey, Set<boolean>>();

  it('the cross-field rules of the spec are present', () => {
    expect(rulesIn(schemaOf(job))).toEqual(
      expect.arrayContaining([
        '.spec: !(has(self.aggregate) && has(self.compare))',
        ".spec.left: !has(self.csv) || !has(self.format) || self.format == 'csv'",
        ".spec.right: !has(self.csv) || !has(self.format) || self.format == 'csv'",
        ".spec.aggregate.measures[]: self.fn == 'count' || has(self.column)",
        '.spec.summaries: self.all(s, self.exists_one(t, t.name.lowerAscii() == s.name.lowerAscii()))',
        '.spec.aggregate.measures: self.all(m, self.exists_one(n, n.__as__.lowerAscii() == m.__as__.lowerAscii()))',
      ]),
    );
    expect(rulesIn(schemaOf(run))).toContain('.spec.window: self.end > self.start');
  });

  it.each(jobCases)('ReconJob: $name', ({ spec, status, valid, field }) => {
    const zodOk = reconJobSpecSchema.safeParse(spec).success && reconJobStatusSchema.safeParse(status ?? {}).success;
    expect(zodOk, 'zod verdict').toBe(valid);
    const object = { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'j' }, spec, ...(status ? { status } : {}) };
    const failures = celFailures(schemaOf(job), object, '', seen);
    expect(failures.length === 0, JSON.stringify(failures)).toBe(valid);
    if (field) for (const f of failures) expect(f.message).toContain(field);
  });

  it.each(runCases)('ReconRun: $name', ({ window: w, valid }) => {
    const spec = { jobRef: { name: 'j' }, window: w, trigger: 'Manual' };
    const status = { phase: 'Pending' };
    expect(reconRunSpecSchema.safeParse(spec).success && reconRunStatusSchema.safeParse(status).success, 'zod verdict').toBe(valid);
    const failures = celFailures(schemaOf(run), { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconRun', metadata: { name: 'r' }, spec, status }, '', seen);
    expect(failures.length === 0, JSON.stringify(failures)).toBe(valid);
    for (const f of failures) expect(f.message).toContain('window.end');
  });

  it.each(scheduleCases)('ReconJob schedule: $name', ({ schedule, runnerOk, operatorOnly, field }) => {
    expect(reconJobSpecSchema.safeParse({ ...jobSpec, schedule }).success, 'zod verdict').toBe(true);
    expect(runnerAccepts(schedule), "the runner's verdict").toBe(runnerOk);
    const object = { apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'j' }, spec: { ...jobSpec, schedule } };
    const failures = celFailures(schemaOf(job), object, '', seen);
    expect(failures.length === 0, JSON.stringify(failures)).toBe(runnerOk || operatorOnly === true);
    if (field) for (const f of failures) expect(f.message).toContain(field);
  });

  it('the cron rule accepts every cron the runner accepts, and refuses the others but a range that runs backwards', () => {
    const [rule] = schemaOf(job).properties!.spec!.properties!.schedule!.properties!.cron!['x-kubernetes-validations']!;
    const tokens = ['*', '?', '0', '00', '5', '7', '12', '13', '23', '24', '31', '32', '59', '60', 'jan', 'DEC', 'mon', 'Sun', '*/5', '1-5', '5-1', '1-5/0', '2/3', '1,2', 'mon-fri', 'x', '-1', '1-', '*/', '1.5'];
    const cron = fc.oneof(
      fc.array(fc.constantFrom(...tokens), { minLength: 4, maxLength: 6 }).map((t) => t.join(' ')),
      fc.array(fc.constantFrom(...tokens, ',', ' ', '\t', '@', 'daily', 'TZ='), { maxLength: 8 }).map((t) => t.join('')),
    );
    fc.assert(
      fc.property(cron, (c) => {
        let ok = true;
        try {
          normalizeCron(c);
        } catch {
          ok = false;
        }
        const cel = evaluate(rule!.rule, { self: c }) === true;
        if (ok) expect(cel, c).toBe(true);
        else if (!/(^|[\s,])[a-z0-9]+-[a-z0-9]+/i.test(c)) expect(cel, c).toBe(false);
      }),
      { numRuns: 3000, seed: 20261214 },
    );
  });

  it('the time zone rule accepts every zone the time zone database has', () => {
    const [rule] = schemaOf(job).properties!.spec!.properties!.schedule!.properties!.timeZone!['x-kubernetes-validations']!;
    const refused = Intl.supportedValuesOf('timeZone').filter((z) => evaluate(rule!.rule, { self: z }) !== true);
    expect(refused).toEqual([]);
  });

  it('every rule was seen both passing and failing', () => {
    const all = [...rulesIn(schemaOf(job)), ...rulesIn(schemaOf(run))];
    const untested = all.filter((r) => seen.get(r)?.size !== 2);
    expect(untested, 'add a valid and an invalid case for these rules').toEqual([]);
  });
});
