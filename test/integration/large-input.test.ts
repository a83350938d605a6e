// Inputs larger than the memory DuckDB may use still complete (docs/design.md, The runner: memory limit,
// spill directory; the database itself is in memory, ADR 0021), with exact counts.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateReconJob } from '../../runner/spec/load.ts';
import { runRecon } from '../../runner/run/run-recon.ts';
import { explicitWindow } from '../../runner/window/window.ts';
import { duckSql, makeTempDir } from '../support/recon-fixture.ts';

const ROWS = 3_000_000;

describe('larger than the memory limit', () => {
  it(`compares ${ROWS.toLocaleString('en')} x ${ROWS.toLocaleString('en')} rows with memoryLimit 96MB`, async () => {
    const dir = await makeTempDir('raas-large-');
    try {
      const cols = (side: 'l' | 'r') =>
        side === 'l'
          ? `i AS id, CAST(i % 100000 AS DECIMAL(18,2)) / 100 AS amount, CAST(i % 7 AS INTEGER) AS qty, 'status-' || (i % 5) AS status, md5(CAST(i AS VARCHAR)) AS note`
          : `i AS id, CAST(i % 100000 AS DECIMAL(18,2)) / 100 + CASE WHEN i % 1000 = 0 THEN 1 ELSE 0 END AS amount, CAST(i % 7 AS INTEGER) AS qty, 'status-' || (i % 5) AS status, md5(CAST(i AS VARCHAR)) AS note`;
      // Left has ids 0..N-1 except every 100000th; right has 1..N (so id 0 is left-only... and N right-only).
      await duckSql(`COPY (SELECT ${cols('l')} FROM range(0, ${ROWS}) t(i) WHERE i % 100000 <> 1) TO '${join(dir, 'l.parquet')}' (FORMAT parquet)`);
      await duckSql(`COPY (SELECT ${cols('r')} FROM range(1, ${ROWS + 1}) t(i)) TO '${join(dir, 'r.parquet')}' (FORMAT parquet)`);
      const job = validateReconJob(
        {
          apiVersion: 'raas.dev/v1alpha1',
          kind: 'ReconJob',
          metadata: { name: 'large' },
          spec: { left: { uri: 'l.parquet' }, right: { uri: 'r.parquet' }, keys: [{ column: 'id' }], runner: { memoryLimit: '96MB' } },
        },
        'test',
      );
      const summary = await runRecon({
        job,
        window: explicitWindow('2024-01-01', '2024-01-02', 'UTC'),
        runName: 'large-run',
        baseDir: dir,
        outUri: join(dir, 'out'),
        memoryLimit: '96MB',
        threads: 2,
      });
      const skipped = ROWS / 100000; // ids with i % 100000 == 1 missing on the left
      const shared = ROWS - 1 - skipped; // ids 1..N-1 on both sides
      const changed = Math.floor((ROWS - 1) / 1000) - Array.from({ length: skipped }, (_, k) => k * 100000 + 1).filter((i) => i % 1000 === 0).length;
      expect(summary.counts).toEqual({
        left: ROWS - skipped,
        right: ROWS,
        matched: shared - changed,
        mismatched: changed,
        leftOnly: 1,
        rightOnly: 1 + skipped,
        duplicateKeysLeft: 0,
        duplicateKeysRight: 0,
        nullKeysLeft: 0,
        nullKeysRight: 0,
      });
      expect(summary.mismatchedByColumn).toEqual({ amount: changed, qty: 0, status: 0, note: 0 });
      expect(summary.diffTotals.amount).toBe(`${changed}.00`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
