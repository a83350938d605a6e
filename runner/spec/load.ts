// Turns manifest text into a validated ReconJob, with messages written for the person
// who typed the YAML: each names the field by its path and says how to fix it.
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { reconJobSchema, type ReconJob } from './schema.ts';

export class SpecError extends Error {
  constructor(
    readonly problems: string[],
    readonly source: string,
  ) {
    // One problem, one line; several, one line each under the heading.
    super(problems.length === 1 ? `${source}: invalid ReconJob: ${problems[0]}` : `${source}: invalid ReconJob:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SpecError';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number too large to hold (it reads as infinity)';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  int: 'a whole number',
};

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The field names a strict object at `path` accepts, for "did you mean" hints. */
function knownKeys(path: ReadonlyArray<PropertyKey>): string[] {
  let schema: z.ZodType = reconJobSchema;
  for (const part of path) {
    const def = unwrap(schema);
    if (typeof part === 'number') {
      if (def._zod.def.type !== 'array') return [];
      schema = (def as unknown as z.ZodArray<z.ZodType>).element;
    } else {
      if (def._zod.def.type !== 'object') return [];
      const child = (def as unknown as z.ZodObject).shape[String(part)];
      if (!child) return [];
      schema = child as z.ZodType;
    }
  }
  const def = unwrap(schema);
  return def._zod.def.type === 'object' ? Object.keys((def as unknown as z.ZodObject).shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if ((def.type === 'optional' || def.type === 'nullable' || def.type === 'default') && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(issue.path);
      return issue.keys
        .map((k) => {
          const field = formatPath([...issue.path, k]);
          const best = known.map((c) => ({ c, d: editDistance(k.toLowerCase(), c.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
          const hint = best && best.d <= Math.max(2, Math.floor(k.length / 3)) ? `; did you mean "${best.c}"?` : known.length ? `; allowed fields here: ${known.join(', ')}` : '';
          return `${field}: unknown field${hint}`;
        })
        .join('\n  - ');
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v)).join(', ');
      return `${where}: ${describeValue(value)} is not allowed; use one of: ${allowed}`;
    }
    case 'invalid_type': {
      if (value === undefined) return `${where}: is required`;
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      return `${where}: expected ${expected}, got ${describeValue(value)}`;
    }
    case 'too_small': {
      if (issue.origin === 'array') return `${where}: ${issue.message.startsWith('Too small') ? `needs at least ${String(issue.minimum)} item(s)` : issue.message}`;
      if (issue.origin === 'string') return `${where}: must not be empty`;
      return `${where}: ${describeValue(value)} is too small; the minimum is ${String(issue.minimum)}`;
    }
    case 'too_big': {
      if (issue.origin === 'string') return `${where}: is too long; at most ${String(issue.maximum)} characters`;
      return `${where}: ${describeValue(value)} is too large; the maximum is ${String(issue.maximum)}`;
    }
    default:
      return `${where}: ${issue.message}`;
  }
}

/** Parses a manifest (one YAML document with kind ReconJob, or several with exactly one). */
export function parseReconJob(text: string, source: string): ReconJob {
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { prettyErrors: true });
  } catch (err) {
    throw new SpecError([`YAML syntax: ${err instanceof RangeError ? 'the document is nested too deeply' : (err as Error).message.split('\n')[0]}`], source);
  }
  const values: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      throw new SpecError(
        doc.errors.map((e) => `YAML syntax: ${/call stack/i.test(e.message) ? `the document is nested too deeply (${e.message.split('\n')[0]!.replace(/^.*? at line/, 'at line')})` : e.message.split('\n')[0]}`),
        source,
      );
    }
    let v: unknown;
    try {
      // The yaml library refuses alias bombs (maxAliasCount) and very deep nesting here.
      v = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      const why = err instanceof RangeError ? 'the document is nested too deeply' : err instanceof Error ? err.message : String(err);
      throw new SpecError([`YAML: ${why}; write the manifest without so many aliases (*name) or levels`], source);
    }
    if (v !== null && v !== undefined) values.push(v);
  }
  const jobs = values.filter((v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'ReconJob');
  if (values.length === 0) throw new SpecError(['the file is empty; it must hold a ReconJob manifest'], source);
  const candidate = jobs.length === 1 ? jobs[0] : values.length === 1 ? values[0] : undefined;
  if (candidate === undefined) {
    throw new SpecError([`expected exactly one document with kind: ReconJob, found ${jobs.length} (of ${values.length} documents)`], source);
  }
  return validateReconJob(candidate, source);
}

export function validateReconJob(input: unknown, source: string): ReconJob {
  const result = reconJobSchema.safeParse(input);
  if (!result.success) {
    throw new SpecError(result.error.issues.map((i) => describeIssue(i, input)), source);
  }
  return result.data;
}
