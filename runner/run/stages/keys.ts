// Keys: key the rows (coerced key and compare columns), count rows and NULL keys, and prove
// the keys unique, in the compare join itself where the mode allows (build-sql.ts,
// reconGroupedSql), else by a key-only join; only when that proof fails are duplicates
// found and counted.
import {
  duplicateKeysSql,
  duplicateStatsSql,
  groupedProofSql,
  keyedViewSql,
  keyProfileSql,
  keyStatsSql,
  reconGroupedSql,
} from '../../compare/build-sql.ts';
import type { ComparePlan } from '../../compare/plan.ts';
import type { Engine } from '../../engine/engine.ts';
import { numberOf, type RunContext } from '../context.ts';
import type { Loaded } from './load.ts';

export interface KeyCounts {
  leftRows: number;
  rightRows: number;
  nullLeft: number;
  nullRight: number;
  dupKeysLeft: number;
  dupRowsLeft: number;
  dupKeysRight: number;
  dupRowsRight: number;
  /** Set when the grouped compare join proved the keys unique: its plain matches (recon_grouped holds the rest). */
  plainMatches?: number;
  /** Time the grouped compare join took (it is the join's time, not the key checks'). */
  groupedMs: number;
}

export async function checkKeys(ctx: RunContext, engine: Engine, plan: ComparePlan, loaded: Loaded): Promise<KeyCounts> {
  const d = engine.dialect;
  return ctx.step('keys', undefined, async () => {
    await engine.run(keyedViewSql(plan, 'left', loaded.relation.left, d));
    await engine.run(keyedViewSql(plan, 'right', loaded.relation.right, d));
    const ls = await engine.one(keyStatsSql(plan, 'left', d));
    const rs = await engine.one(keyStatsSql(plan, 'right', d));
    const nonNullLeft = numberOf(ls.row_count) - numberOf(ls.null_keys);
    const nonNullRight = numberOf(rs.row_count) - numberOf(rs.null_keys);
    let unique: boolean | undefined;
    let plainMatches: number | undefined;
    let groupedMs = 0;
    if (ctx.mode !== 'Full') {
      // The compare join proves the keys unique in the same pass instead of a second,
      // key-only join. Full mode keeps every key, so grouping would be one group per key:
      // it keeps the key-only proof.
      const t0 = performance.now();
      try {
        await engine.run(reconGroupedSql(plan, d));
        groupedMs = performance.now() - t0;
        const g = await engine.one(groupedProofSql(plan, d));
        const plain = numberOf(g.plain);
        unique = numberOf(g.max_n) <= 1 && plain + numberOf(g.gl) === nonNullLeft && plain + numberOf(g.gr) === nonNullRight;
        if (unique) plainMatches = plain;
        else await engine.run(d.dropTable('recon_grouped'));
      } catch (err) {
        // One group per differing key: when most keys differ, the grouping's state may not
        // fit memoryLimit where the two-pass path (which spills) does. Take that path.
        if (!/out of memory/i.test(engine.message(err))) throw err;
        ctx.progress(`keys     one-pass check exceeded the memory limit (many differing keys); checking keys in a second pass`);
        await engine.run(d.dropTable('recon_grouped'));
        groupedMs = 0;
      }
    }
    if (unique === undefined) {
      const p = await engine.one(keyProfileSql(plan, d));
      unique = numberOf(p.lp) === nonNullLeft && numberOf(p.rp) === nonNullRight && numberOf(p.lo) === numberOf(p.lod) && numberOf(p.ro) === numberOf(p.rod);
    }
    let ld: Record<string, unknown> = { dup_keys: 0, dup_rows: 0 };
    let rd: Record<string, unknown> = { dup_keys: 0, dup_rows: 0 };
    if (!unique) {
      await engine.run(duplicateKeysSql(plan, 'left', d));
      await engine.run(duplicateKeysSql(plan, 'right', d));
      ld = await engine.one(duplicateStatsSql('left'));
      rd = await engine.one(duplicateStatsSql('right'));
    }
    const counts: KeyCounts = {
      leftRows: numberOf(ls.row_count),
      rightRows: numberOf(rs.row_count),
      nullLeft: numberOf(ls.null_keys),
      nullRight: numberOf(rs.null_keys),
      dupKeysLeft: numberOf(ld.dup_keys),
      dupRowsLeft: numberOf(ld.dup_rows),
      dupKeysRight: numberOf(rd.dup_keys),
      dupRowsRight: numberOf(rd.dup_rows),
      groupedMs,
      ...(plainMatches !== undefined ? { plainMatches } : {}),
    };
    ctx.progress(
      `keys     left ${counts.leftRows} row(s), ${counts.nullLeft} null key(s), ${counts.dupKeysLeft} duplicated key(s); ` +
        `right ${counts.rightRows} row(s), ${counts.nullRight} null key(s), ${counts.dupKeysRight} duplicated key(s)`,
    );
    return counts;
  });
}
