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

export function classifyType(duckType: string): TypeClass {
  const t = duckType.toUpperCase().trim();
  if (t in INTEGER_DIGITS) return 'integer';
  if (/^DECIMAL\(\d+,\s*\d+\)$/.test(t)) return 'decimal';
  if (t === 'FLOAT' || t === 'DOUBLE' || t === 'REAL') return 'float';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(')) return 'text';
  if (t === 'DATE') return 'date';
  if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return 'timestamptz';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'BOOLEAN') return 'boolean';
  return 'other';
}

/** Integer digits and scale a column's declared type can hold; undefined when only the data can tell. */
export function numericShape(duckType: string): { intDigits: number; scale: number } | undefined {
  const t = duckType.toUpperCase().trim();
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
export function decideCoercion(leftType: string, rightType: string, wantsNumeric: boolean): Coercion {
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
      if ([leftType, rightType].some((t) => t.toUpperCase().trim() === 'TIMESTAMP_NS')) {
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
  if (leftType.toUpperCase() === rightType.toUpperCase()) return { kind: 'same', type: leftType };
  return { kind: 'text' };
}
