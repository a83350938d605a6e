// Label and field selectors as the API server parses them from list/watch query strings.
import { badRequest, isMap, type JsonMap } from './types.ts';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

export type Selector = (labels: Record<string, string> | undefined) => boolean;

/** Splits on commas outside parentheses: `a in (x,y),b=c` -> [`a in (x,y)`, `b=c`]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function parseRequirement(term: string): Requirement {
  let m = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = (m[3] ?? '').split(',').map((v) => v.trim());
    return { key: m[1] ?? '', op: m[2] === 'in' ? 'in' : 'notin', values };
  }
  m = /^([^\s!=<>(),]+)\s*(==|=|!=)\s*([^\s!=<>(),]*)$/.exec(term);
  if (m) return { key: m[1] ?? '', op: m[2] === '!=' ? 'notin' : 'in', values: [m[3] ?? ''] };
  m = /^!\s*([^\s!=<>(),]+)$/.exec(term);
  if (m) return { key: m[1] ?? '', op: '!exists' };
  m = /^([^\s!=<>(),]+)$/.exec(term);
  if (m) return { key: m[1] ?? '', op: 'exists' };
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function parseLabelSelector(s: string | null | undefined): Selector {
  if (!s) return () => true;
  const reqs = splitTerms(s).map(parseRequirement);
  return (labels) =>
    reqs.every((r) => {
      const has = labels !== undefined && Object.hasOwn(labels, r.key);
      const v = has ? labels[r.key] : undefined;
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case 'in':
          return has && r.values.includes(v ?? '');
        case 'notin':
          return !has || !r.values.includes(v ?? '');
      }
      return false;
    });
}

export type FieldSelector = (obj: JsonMap) => boolean;

function fieldValue(obj: JsonMap, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isMap(cur)) return '';
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : String(cur);
}

/**
 * `metadata.name=x,metadata.namespace!=y`. The real server only accepts a few fields per
 * resource (always metadata.name and metadata.namespace); any dotted path is accepted here.
 */
export function parseFieldSelector(s: string | null | undefined): FieldSelector {
  if (!s) return () => true;
  const reqs = splitTerms(s).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    return { path: m[1] ?? '', neg: m[2] === '!=', value: (m[3] ?? '').trim() };
  });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.neg);
}
