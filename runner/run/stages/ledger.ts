// Ledger: after the compare, this window's breaks become the break ledger (ids, states,
// ages, money at stake), the previous window's open items are matched late against them
// (spec.carryForward), and the result table is built from the ledger. The SQL is in
// compare/ledger-sql.ts; the shaping of totals in breaks/money.ts. Counts of this window's
// keys move from leftOnly/rightOnly to matchedLate here and nowhere else.
import { CarryError } from '../../breaks/carry.ts';
import { ledgerFigures } from '../../breaks/ledger-stats.ts';
import { moneyAtStake, type BreakKind, type MoneyRow } from '../../breaks/money.ts';
import { numericShape } from '../../compare/column-types.ts';
import {
  closuresTableSql,
  lateCountsSql,
  ledgerCarriedSql,
  ledgerLateSql,
  ledgerNowSql,
  ledgerSql,
  ledgerStatsSql,
  moneyAtStakeSql,
  moneyViewSql,
  openItemsViewSql,
  requiredCarriedColumns,
  resultWithLedgerViewSql,
  type LedgerContext,
  type MoneyColumns,
} from '../../compare/ledger-sql.ts';
import { findColumn, type Column, type ComparePlan, type Side } from '../../compare/plan.ts';
import type { Engine } from '../../engine/engine.ts';
import type { AgeBucket } from '../termination-report.ts';
import { numberOf, type RunContext } from '../context.ts';
import { probeNumeric } from '../probes.ts';
import type { AtStake, AtStakeByAge, BreakLedger } from '../summary.ts';
import type { CarryState } from './carry.ts';
import type { Loaded } from './load.ts';

export interface Ledgered {
  /** This window's keys that resolved a carried item, by the side they are on. */
  late: Record<Side, number>;
  breaks: BreakLedger;
  atStake?: AtStake;
  atStakeByAge?: AtStakeByAge;
  openItems: number;
}

/** The amount and currency columns on each side, and one DECIMAL wide enough for both sides' amounts. */
async function moneyColumns(ctx: RunContext, engine: Engine, loaded: Loaded, columns: Record<Side, Column[]>): Promise<MoneyColumns | undefined> {
  const a = ctx.spec.amount;
  if (!a) return undefined;
  const find = (side: Side, name: string, field: string) => findColumn(columns[side], name, side, ctx.names[side], field);
  const amount = { left: find('left', a.column, 'spec.amount.column'), right: find('right', a.right ?? a.column, a.right ? 'spec.amount.right' : 'spec.amount.column') };
  let currency: Record<Side, string> | undefined;
  if (a.currency) {
    const right = a.currencyRight ?? a.currency;
    currency = { left: find('left', a.currency, 'spec.amount.currency').name, right: find('right', right, a.currencyRight ? 'spec.amount.currencyRight' : 'spec.amount.currency').name };
  }
  let scale = 0;
  let intDigits = 1;
  for (const side of ['left', 'right'] as const) {
    const col = amount[side];
    const shape = numericShape(col.type) ?? (await probeNumeric(engine, loaded.relation[side], side, col.name, ctx.names[side], 'spec.amount'));
    scale = Math.max(scale, shape.scale);
    intDigits = Math.max(intDigits, shape.intDigits);
  }
  // Sums of many amounts need room above the widest value: DECIMAL(38, scale) keeps every
  // digit after the point and fails loudly (never rounds) should a total not fit.
  if (intDigits + scale > 38 || scale > 30) {
    throw new CarryError(`spec.amount: the money columns hold numbers with ${intDigits} digit(s) before and ${scale} after the point; money at stake is totalled in at most 38 digits with at most 30 after the point; round the column in the side's query`);
  }
  return { amount: { left: amount.left.name, right: amount.right.name }, ...(currency ? { currency } : {}), type: `DECIMAL(38,${scale})` };
}

export async function buildLedger(ctx: RunContext, engine: Engine, plan: ComparePlan, loaded: Loaded, columns: Record<Side, Column[]>, carry: CarryState): Promise<Ledgered> {
  const d = engine.dialect;
  const money = await ctx.step('ledger', 'spec.amount', () => moneyColumns(ctx, engine, loaded, columns));
  return ctx.step('ledger', undefined, async () => {
    const types = new Map((await engine.describe('recon')).map((c) => [c.name, engine.dialect.canonicalType(c.type)] as const));
    const lctx: LedgerContext = {
      namespace: ctx.opts.job.metadata.namespace ?? 'default',
      job: ctx.opts.job.metadata.name,
      windowStart: ctx.opts.window.start,
      windowStartDate: ctx.opts.window.startDate,
      periods: ctx.spec.carryForward?.periods ?? 0,
      carried: carry.openItemsFile !== undefined,
      ...(money ? { money } : {}),
      types,
    };
    if (money) for (const side of ['left', 'right'] as const) await engine.run(moneyViewSql(plan, side, loaded.relation[side], money, d));
    await engine.run(ledgerNowSql(plan, lctx, d));
    await engine.run(closuresTableSql(carry.closures, d));
    if (lctx.carried) {
      const described = await engine.describe('carried_raw');
      lctx.carriedTypes = new Map(described.map((c) => [c.name, engine.dialect.canonicalType(c.type)] as const));
      const have = new Set(described.map((c) => c.name));
      const missing = requiredCarriedColumns(plan, money !== undefined).filter((c) => !have.has(c));
      if (missing.length) {
        throw new CarryError(
          `spec.carryForward: the open items of ${carry.from?.startDate ?? 'the previous window'} lack column(s) ${missing.join(', ')} (the job's keys, compared columns or spec.amount changed since); ` +
            'rerun the earlier windows with the current spec, or start the ledger afresh at a new output location',
        );
      }
      await engine.run(ledgerCarriedSql(plan, lctx, d));
      await engine.run(ledgerLateSql(plan, lctx, d));
    }
    await engine.run(ledgerSql(plan, lctx, d));
    const late = lctx.carried ? await engine.one(lateCountsSql()) : { late_left: 0, late_right: 0 };
    const { breaks, openItems } = ledgerFigures(await engine.rows(ledgerStatsSql()));
    let shaped: { atStake: AtStake; atStakeByAge: AtStakeByAge } | undefined;
    if (money) {
      const rows: MoneyRow[] = (await engine.rows(moneyAtStakeSql(d))).map((r) => ({
        currency: r.currency === null || r.currency === undefined ? null : String(r.currency),
        kind: String(r.kind) as BreakKind,
        bucket: String(r.bucket) as AgeBucket,
        amount: String(r.amount),
      }));
      shaped = moneyAtStake(rows, Number(/,(\d+)\)$/.exec(money.type)?.[1] ?? 0));
    }
    await engine.run(resultWithLedgerViewSql(plan, ctx.mode, money !== undefined, d));
    await engine.run(openItemsViewSql(plan, money !== undefined, d));
    const lateLeft = numberOf(late.late_left);
    const lateRight = numberOf(late.late_right);
    ctx.progress(
      `ledger   breaks open ${breaks.open} (new ${breaks.new}, persisting ${breaks.persisting}), resolved ${breaks.resolved}` +
        `${breaks.closed ? `, closed ${breaks.closed}` : ''}${lctx.carried ? `; matched late ${lateLeft + lateRight}` : ''}`,
    );
    return { late: { left: lateLeft, right: lateRight }, breaks, ...(shaped ?? {}), openItems };
  });
}
