// Money at stake (spec.amount): per currency, never across currencies. The engine sums
// per (currency, kind, age bucket) in SQL; these pure functions shape those rows into
// summary.json's atStake and atStakeByAge and the one-line form kubectl shows.
import { AGE_BUCKETS, NO_CURRENCY, type AgeBucket, type AtStake, type AtStakeByAge } from '../run/termination-report.ts';
import { addDecimal, compareDecimal, sumDecimals } from './decimal-text.ts';

export type BreakKind = 'left_only' | 'right_only' | 'mismatch';

/** One total from the engine: open breaks of one kind, currency and age bucket. */
export interface MoneyRow {
  currency: string | null;
  kind: BreakKind;
  bucket: AgeBucket;
  /** Exact decimal text. */
  amount: string;
}

/** Which bucket an age in whole days falls in (negative ages, a clock oddity, count as new). */
export function ageBucket(days: number): AgeBucket {
  if (days <= 1) return '0-1';
  if (days <= 7) return '2-7';
  if (days <= 30) return '8-30';
  return '>30';
}

const currencyKey = (c: string | null): string => (c === null || c.trim() === '' ? NO_CURRENCY : c.trim());

/**
 * atStake and atStakeByAge from the engine's totals; currencies in code order. `scale` is
 * the amounts' decimal places, so a zero reads like the other amounts ("0.00").
 */
export function moneyAtStake(rows: readonly MoneyRow[], scale = 0): { atStake: AtStake; atStakeByAge: AtStakeByAge } {
  const atStake: AtStake = {};
  const byAge: AtStakeByAge = {};
  const zero = scale > 0 ? `0.${'0'.repeat(scale)}` : '0';
  const currencies = [...new Set(rows.map((r) => currencyKey(r.currency)))].sort();
  for (const c of currencies) {
    atStake[c] = { leftOnly: zero, rightOnly: zero, mismatched: zero };
    byAge[c] = { '0-1': zero, '2-7': zero, '8-30': zero, '>30': zero };
  }
  for (const r of rows) {
    const c = currencyKey(r.currency);
    const field = r.kind === 'left_only' ? 'leftOnly' : r.kind === 'right_only' ? 'rightOnly' : 'mismatched';
    atStake[c]![field] = addDecimal(atStake[c]![field], r.amount);
    byAge[c]![r.bucket] = addDecimal(byAge[c]![r.bucket], r.amount);
  }
  return { atStake, atStakeByAge: byAge };
}

/** Everything at stake in one currency: left-only + right-only + mismatched. */
export function totalAtStake(v: AtStake[string]): string {
  return sumDecimals([v.leftOnly, v.rightOnly, v.mismatched]);
}

/** "EUR 42.00, USD 337.55": the currencies with something at stake, for kubectl get and the CLI. */
export function moneyAtStakeLine(atStake: AtStake | undefined): string | undefined {
  if (!atStake) return undefined;
  const parts = Object.keys(atStake)
    .sort()
    .map((c) => [c, totalAtStake(atStake[c]!)] as const)
    .filter(([, total]) => compareDecimal(total, '0') !== 0)
    .map(([c, total]) => `${c} ${total}`);
  return parts.length ? parts.join(', ') : 'none';
}

export { AGE_BUCKETS };
