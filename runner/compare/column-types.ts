// Classifies DuckDB column types and decides the common type two sides are compared in.
// Pure: the decisions here are what makes "12.50" (text) equal 12.5 (decimal) and keeps
// money out of binary floating point.

export type TypeClass = 'integer' | 'decimal' | 'float' | 'text' | 'date' | 'timestamp' | 'timestamptz' | 'boolean' | 'other';

const INTEGER_DIGITS: Record<string, number> = {
  TINYINT: 3,
  SMALLINT: 5,
  INTEGER: 10,
  BIGINT: 19,
  HUGEINT: 39,
  UTINYINT: 3,
  USMALLINT: 5,
  UINTEGER: 10,
  UBIGINT: 20,
  UHUGEINT: 39,
};

/**
 * One spelling per type, so decisions compare names rather than guess at synonyms. DuckDB
 * describes a column as `TIMESTAMP WITH TIME ZONE` while casts say `TIMESTAMPTZ`; without
 * this, a column of the very type the plan wants looked different and was cast and probed
 * cell by cell. Engines describe columns through this (see engine/), so every name the
 * plan sees is canonical.
 */
export function normalizeType(type: string): string {
  const t = type.toUpperCase().trim().replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1');
  const decimal = /^(?:DECIMAL|NUMERIC)\((\d+),(\d+)\)$/.exec(t);
  if (decimal) return `DECIMAL(${Number(decimal[1])},${Number(decimal[2])})`;
  return TYPE_SYNONYMS[t] ?? t;
}

const TYPE_SYNONYMS: Record<string, string> = {
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ',
  'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  DATETIME: 'TIMESTAMP',
  INT: 'INTEGER',
  INT4: 'INTEGER',
  SIGNED: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  FLOAT8: 'DOUBLE',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  BOOL: 'BOOLEAN',
  LOGICAL: 'BOOLEAN',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  CHAR: 'VARCHAR',
  BPCHAR: 'VARCHAR',
  NUMERIC: 'DECIMAL(18,3)',
  DECIMAL: 'DECIMAL(18,3)',
};

export function classifyType(duckType: string): TypeClass {
  const t = normalizeType(duckType);
  if (t in INTEGER_DIGITS) return 'integer';
  if (/^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return 'decimal';
  if (t === 'FLOAT' || t === 'DOUBLE') return 'float';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(')) return 'text';
  if (t === 'DATE') return 'date';
  if (t === 'TIMESTAMPTZ') return 'timestamptz';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'BOOLEAN') return 'boolean';
  return 'other';
}

/** Integer digits and scale a column's declared type can hold; undefined when only the data can tell. */
export function numericShape(duckType: string): { intDigits: number; scale: number } | undefined {
  const t = normalizeType(duckType);
  const ints = INTEGER_DIGITS[t];
  if (ints !== undefined) return { intDigits: ints, scale: 0 };
  const m = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (m) return { intDigits: Number(m[1]) - Number(m[2]), scale: Number(m[2]) };
  return undefined;
}

export const MAX_DECIMAL_PRECISION = 38;

export type Coercion =
  | { kind: 'numeric' }
  | { kind: 'same'; type: string }
  | { kind: 'cast'; type: string }
  | { kind: 'text' };

/**
 * How two column types are compared. `numeric` means both sides become one DECIMAL whose
 * width is settled later (it may need a look at the data); `same` compares as they are;
 * `cast` converts both to `type`; `text` compares their text forms.
 */
export function decideCoercion(leftRaw: string, rightRaw: string, wantsNumeric: boolean): Coercion {
  const leftType = normalizeType(leftRaw);
  const rightType = normalizeType(rightRaw);
  const l = classifyType(leftType);
  const r = classifyType(rightType);
  const numeric = (c: TypeClass) => c === 'integer' || c === 'decimal' || c === 'float';
  if (numeric(l) && numeric(r)) return { kind: 'numeric' };
  if ((numeric(l) && r === 'text') || (l === 'text' && numeric(r))) return { kind: 'numeric' };
  if (l === 'text' && r === 'text') return wantsNumeric ? { kind: 'numeric' } : { kind: 'same', type: 'VARCHAR' };
  const temporal = (c: TypeClass) => c === 'date' || c === 'timestamp' || c === 'timestamptz';
  if (temporal(l) || temporal(r)) {
    const classes = [l, r];
    if (classes.every((c) => temporal(c) || c === 'text')) {
      // The finer precision wins (docs/design.md, Compare semantics): next to nanoseconds, both sides are read as
      // TIMESTAMP_NS (text with an offset and TIMESTAMPTZ become UTC instants, the session zone).
      // One temporal type on both sides compares as it is: no cast, nothing to probe.
      if (leftType === rightType && l !== 'text') return { kind: 'same', type: leftType };
      if ([leftType, rightType].some((t) => t === 'TIMESTAMP_NS')) {
        return l === r && leftType === rightType ? { kind: 'same', type: leftType } : { kind: 'cast', type: 'TIMESTAMP_NS' };
      }
      if (classes.includes('timestamptz')) return { kind: 'cast', type: 'TIMESTAMPTZ' };
      // Text next to a TIMESTAMP may carry an offset; read both as instants so that
      // "2024-01-01T10:00:00+09:00" equals 2024-01-01 01:00:00 (UTC session zone).
      if (classes.includes('timestamp') && classes.includes('text')) return { kind: 'cast', type: 'TIMESTAMPTZ' };
      if (classes.includes('timestamp')) return l === r && leftType === rightType ? { kind: 'same', type: leftType } : { kind: 'cast', type: 'TIMESTAMP' };
      return { kind: 'cast', type: 'DATE' };
    }
  }
  if ((l === 'boolean' && r === 'text') || (l === 'text' && r === 'boolean')) return { kind: 'cast', type: 'BOOLEAN' };
  if (leftType === rightType) return { kind: 'same', type: leftType };
  return { kind: 'text' };
}

/**
 * Whether converting a column of type `from` to `to` can fail for some value, so the data
 * must be asked first (to name a bad value rather than fail mid-compare). The type answers
 * when it already is the target, or when it is a date or timestamp read as a wider
 * timestamp (TIMESTAMP_NS is narrower in range: those are still asked).
 */
export function castNeedsProbe(from: string, to: string): boolean {
  const f = normalizeType(from);
  const t = normalizeType(to);
  if (f === t) return false;
  const widening = ['DATE', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP', 'TIMESTAMPTZ'];
  if ((t === 'TIMESTAMP' || t === 'TIMESTAMPTZ') && widening.includes(f)) return false;
  return true;
}
