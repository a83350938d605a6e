// An independent, deliberately simple reference of the compare semantics (docs/design.md) in plain TypeScript: rows
// in, counts and statuses out, with exact decimals as BigInt. It shares nothing with the
// SQL builder (runner/compare), so a property test comparing the two catches a wrong
// count in either. One key column, numeric and text compare columns.

export type Value = string | null;
export interface RefRow {
  /** The key as written; equal keys compare as text unless the spec declares them numeric. */
  key: string | number | null;
  values: Record<string, Value>;
}
export interface RefColumn {
  /** Left name (the result's name). */
  name: string;
  kind: 'number' | 'text';
  tolerance?: { absolute?: string; relative?: string };
  normalize?: Array<'trim' | 'lower' | 'collapseWhitespace'>;
}
export interface RefResult {
  counts: {
    left: number; right: number; matched: number; mismatched: number; leftOnly: number; rightOnly: number;
    duplicateKeysLeft: number; duplicateKeysRight: number; nullKeysLeft: number; nullKeysRight: number;
  };
  mismatchedByColumn: Record<string, number>;
  /** Exact sums as [scaled BigInt, scale]. */
  diffTotals: Record<string, [bigint, number]>;
  balanced: boolean;
  /** "key:status" of every AllDiffs result row, sorted. */
  rows: string[];
}

export function parseDecimal(text: string): [bigint, number] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[3] ?? '';
  const digits = BigInt(`${m[2] || '0'}${frac}` || '0');
  return [m[1] === '-' ? -digits : digits, frac.length];
}

function scaleTo([v, s]: [bigint, number], scale: number): bigint {
  return v * 10n ** BigInt(scale - s);
}

const abs = (v: bigint) => (v < 0n ? -v : v);

function normalizeText(v: string, steps: RefColumn['normalize']): string {
  let t = v;
  for (const n of steps ?? []) {
    if (n === 'trim') t = t.replace(/^ +| +$/g, '');
    else if (n === 'lower') t = t.toLowerCase();
    else t = t.replace(/\s+/g, ' ');
  }
  return t;
}

function equal(c: RefColumn, l: Value, r: Value): boolean {
  if (l === null || r === null) return l === null && r === null;
  if (c.kind === 'text') return normalizeText(l, c.normalize) === normalizeText(r, c.normalize);
  const a = parseDecimal(l);
  const b = parseDecimal(r);
  const absTol = parseDecimal(c.tolerance?.absolute ?? '0');
  const relTol = parseDecimal(c.tolerance?.relative ?? '0');
  // |b - a| <= absTol + relTol * |a|, all scaled to one common scale.
  const s = Math.max(a[1], b[1], absTol[1]) + relTol[1];
  const diff = abs(scaleTo(b, s) - scaleTo(a, s));
  const limit = scaleTo(absTol, s) + relTol[0] * abs(scaleTo(a, s - relTol[1]));
  return diff <= limit;
}

export function referenceRecon(left: RefRow[], right: RefRow[], columns: RefColumn[], keyType: 'text' | 'numeric' = 'text'): RefResult {
  // Text keys compare as written ("01" is not "1"); numeric keys as exact numbers.
  const keyOf = (k: string | number): string => {
    if (keyType === 'text') return String(k);
    const [v, scale] = parseDecimal(String(k));
    return `${v * 10n ** BigInt(38 - scale)}`;
  };
  const byKey = (rows: RefRow[]) => {
    const m = new Map<string, RefRow[]>();
    for (const r of rows) if (r.key !== null) m.set(keyOf(r.key), [...(m.get(keyOf(r.key)) ?? []), r]);
    return m;
  };
  const L = byKey(left);
  const R = byKey(right);
  const dupL = [...L].filter(([, rs]) => rs.length > 1).map(([k]) => k);
  const dupR = [...R].filter(([, rs]) => rs.length > 1).map(([k]) => k);
  const dup = new Set([...dupL, ...dupR]);
  const counts = {
    left: left.length, right: right.length, matched: 0, mismatched: 0, leftOnly: 0, rightOnly: 0,
    duplicateKeysLeft: dupL.length, duplicateKeysRight: dupR.length,
    nullKeysLeft: left.filter((r) => r.key === null).length, nullKeysRight: right.filter((r) => r.key === null).length,
  };
  const mismatchedByColumn = Object.fromEntries(columns.map((c) => [c.name, 0]));
  const totals: Record<string, [bigint, number]> = {};
  for (const c of columns) if (c.kind === 'number') totals[c.name] = [0n, 0];
  const shown = new Map<string, string>();
  for (const r of [...left, ...right]) if (r.key !== null && !shown.has(keyOf(r.key))) shown.set(keyOf(r.key), String(r.key));
  const rows: string[] = [...dup].map((k) => `${shown.get(k)}:duplicate`);
  const keys = new Set([...L.keys(), ...R.keys()]);
  for (const k of keys) {
    if (dup.has(k)) continue;
    const l = L.get(k)?.[0];
    const r = R.get(k)?.[0];
    if (!r) {
      counts.leftOnly++;
      rows.push(`${shown.get(k)}:left_only`);
      continue;
    }
    if (!l) {
      counts.rightOnly++;
      rows.push(`${shown.get(k)}:right_only`);
      continue;
    }
    const differing = columns.filter((c) => !equal(c, l.values[c.name] ?? null, r.values[c.name] ?? null));
    for (const c of columns) {
      const lv = l.values[c.name] ?? null;
      const rv = r.values[c.name] ?? null;
      if (c.kind === 'number' && lv !== null && rv !== null) {
        const a = parseDecimal(lv);
        const b = parseDecimal(rv);
        const t = totals[c.name]!;
        const s = Math.max(a[1], b[1], t[1]);
        totals[c.name] = [scaleTo(t, s) + scaleTo(b, s) - scaleTo(a, s), s];
      }
    }
    if (differing.length === 0) counts.matched++;
    else {
      counts.mismatched++;
      rows.push(`${shown.get(k)}:mismatch`);
      for (const c of differing) mismatchedByColumn[c.name]!++;
    }
  }
  const balanced =
    columns.length > 0 &&
    counts.mismatched + counts.leftOnly + counts.rightOnly + counts.duplicateKeysLeft + counts.duplicateKeysRight + counts.nullKeysLeft + counts.nullKeysRight === 0;
  return { counts, mismatchedByColumn, diffTotals: totals, balanced, rows: rows.sort() };
}
