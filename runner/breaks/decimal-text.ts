// Exact arithmetic on decimal numbers written as text ("12.50", "-0.3"), with BigInt:
// money totals are added and compared here without ever passing through a float.
// Pure; the engine does the heavy sums in SQL, this adds a handful of totals.

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

interface Scaled {
  units: bigint;
  scale: number;
}

function parse(text: string): Scaled {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new RangeError(`"${text}" is not a decimal number`);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] ? -units : units, scale: frac.length };
}

function rescale(v: Scaled, scale: number): bigint {
  return v.units * 10n ** BigInt(scale - v.scale);
}

function format(units: bigint, scale: number): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return neg && units !== 0n ? `-${text}` : text;
}

/** a + b, at the larger of the two scales ("1.5" + "2.25" = "3.75"). */
export function addDecimal(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return format(rescale(x, scale) + rescale(y, scale), scale);
}

/** The sum of several decimals; "0" for none. */
export function sumDecimals(values: readonly string[]): string {
  return values.reduce((acc, v) => addDecimal(acc, v), '0');
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareDecimal(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function isDecimalText(text: string): boolean {
  return DECIMAL.test(text.trim());
}
