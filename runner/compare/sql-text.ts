// The only two ways text enters generated SQL: as a quoted identifier or as a quoted
// literal. Everything in runner/compare builds on these, so no user value is ever spliced.
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Exact decimal text for a JS number taken from YAML. JS prints the shortest text that
 * round-trips, which is what the user typed for any value with up to 15 significant
 * digits; exponent forms (1e-7) are expanded so DuckDB reads them as DECIMAL.
 */
export function numberToDecimalText(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const text = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, intPart, frac = '', expText] = m;
  const exp = Number(expText);
  const digits = `${intPart}${frac}`;
  const pointAt = intPart!.length + exp;
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/** Digits after the decimal point in a plain decimal text. */
export function decimalScale(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
