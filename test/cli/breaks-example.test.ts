// examples/breaks run for real with the CLI, day by day: money at stake per currency, a
// timing difference resolved late on day 2, breaks ageing to day 3, and the refusals that
// keep the ledger honest (a gap, a window that is not one period).
import { cp, mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, runCli } from '../support/run-cli.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/breaks/', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-breaks-'));
  await cp(EXAMPLE, dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifest = () => join(dir, 'reconjob.yaml');
const runDay = (day: string, extra: string[] = []) => runCli(['run', '-f', manifest(), '--date', day, '--json', ...extra], { timeoutMs: 120_000 });
const summaryOf = async (day: string) => JSON.parse(await readFile(join(dir, 'out', day, 'summary.json'), 'utf8')) as Record<string, never>;

async function rowsOf(file: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet('${file.replaceAll("'", "''")}') ORDER BY order_id`);
    return r.getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('examples/breaks, three days in order', { timeout: 240_000 }, () => {
  it('day 1: four new breaks, money at stake per currency, never summed across currencies', async () => {
    const r = await runDay('2024-03-01');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('first window of the job');
    const s = await summaryOf('2024-03-01');
    expect(s.counts).toMatchObject({ matched: 2, mismatched: 1, leftOnly: 2, rightOnly: 1, matchedLate: 0 });
    expect(s.atStake).toEqual({
      EUR: { leftOnly: '75.50', rightOnly: '42.00', mismatched: '0.50' },
      USD: { leftOnly: '250.00', rightOnly: '0.00', mismatched: '0.00' },
    });
    expect(s.atStakeByAge).toEqual({ EUR: { '0-1': '118.00', '2-7': '0.00', '8-30': '0.00', '>30': '0.00' }, USD: { '0-1': '250.00', '2-7': '0.00', '8-30': '0.00', '>30': '0.00' } });
    expect(s.breaks).toEqual({ open: 4, new: 4, persisting: 0, resolved: 0, closed: 0, oldestOpenSince: '2024-03-01T00:00:00+00:00', oldestAgeDays: 0 });
    const rows = await rowsOf(join(dir, 'out', '2024-03-01', 'result.parquet'));
    expect(rows.map((x) => [x.order_id, x.recon_status, x.recon_break_state])).toEqual([
      ['A-1002', 'left_only', 'new'],
      ['A-1003', 'left_only', 'new'],
      ['A-1005', 'mismatch', 'new'],
      ['X-9001', 'right_only', 'new'],
    ]);
    const open = await rowsOf(join(dir, 'out', '2024-03-01', 'open-items.parquet'));
    expect(open.map((x) => x.order_id)).toEqual(['A-1002', 'A-1003', 'A-1005', 'X-9001']);
  });

  it('day 2: the late settlement is matched_late and resolves the day-1 break; the others persist with their ids', async () => {
    const r = await runDay('2024-03-02');
    expect(r.code, r.stderr).toBe(0);
    const s = await summaryOf('2024-03-02');
    // A-1002 settled today: not a right-only break today, nor open any more from day 1.
    expect(s.counts).toMatchObject({ matched: 2, leftOnly: 0, rightOnly: 0, matchedLate: 1 });
    expect(s.balanced).toBe(true);
    expect(s.breaks).toMatchObject({ open: 3, new: 0, persisting: 3, resolved: 1, oldestAgeDays: 1 });
    expect(s.atStake).toEqual({ EUR: { leftOnly: '75.50', rightOnly: '42.00', mismatched: '0.50' } });
    const day1 = await rowsOf(join(dir, 'out', '2024-03-01', 'result.parquet'));
    const rows = await rowsOf(join(dir, 'out', '2024-03-02', 'result.parquet'));
    const late = rows.find((x) => x.order_id === 'A-1002')!;
    expect(late).toMatchObject({ recon_status: 'matched_late', recon_break_state: 'resolved', recon_origin_window: '2024-03-01T00:00:00+00:00', amount_left: '250.00', amount_right: '250.00' });
    // The same break keeps its id across windows, so a page can attach assignments to it.
    expect(late.recon_break_id).toBe(day1.find((x) => x.order_id === 'A-1002')!.recon_break_id);
    expect(rows.find((x) => x.order_id === 'A-1003')).toMatchObject({ recon_status: 'left_only', recon_break_state: 'persisting', recon_age_days: 1, recon_age_periods: 1 });
    const open = await rowsOf(join(dir, 'out', '2024-03-02', 'open-items.parquet'));
    expect(open.map((x) => x.order_id)).toEqual(['A-1003', 'A-1005', 'X-9001']);
  });

  it('day 3: the unresolved breaks age to two days; raas run prints the money and the ledger', async () => {
    const r = await runCli(['run', '-f', manifest(), '--date', '2024-03-03'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('at stake      EUR 118.00  (left only 75.50, right only 42.00, mismatched 0.50)');
    expect(r.stdout).toContain('breaks        open 3 (new 0, persisting 3), resolved 0; oldest open since 2024-03-01T00:00:00+00:00 (2 day(s))');
    const s = await summaryOf('2024-03-03');
    expect(s.breaks).toMatchObject({ open: 3, persisting: 3, oldestAgeDays: 2 });
    expect(s.atStakeByAge).toEqual({ EUR: { '0-1': '0.00', '2-7': '118.00', '8-30': '0.00', '>30': '0.00' } });
    const rows = await rowsOf(join(dir, 'out', '2024-03-03', 'result.parquet'));
    expect(rows.map((x) => [x.order_id, x.recon_age_days, x.recon_age_periods, x.recon_first_seen])).toEqual([
      ['A-1003', 2, 2, '2024-03-01T00:00:00+00:00'],
      ['A-1005', 2, 2, '2024-03-01T00:00:00+00:00'],
      ['X-9001', 2, 2, '2024-03-01T00:00:00+00:00'],
    ]);
  });

  it('a gap fails the run with one line naming the missing window, never a silent fresh start', async () => {
    const r = await runDay('2024-03-05');
    expect(r.code).toBe(2);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0], lines[0]).toMatch(/^raas: carry failed: spec.carryForward: the previous window 2024-03-04 .* has no committed results at .*2024-03-04.*, but 2024-03-03 has; run 2024-03-04 first/);
  });

  it('refuses a window that is not one period, and a location shared by consecutive windows', async () => {
    const two = await runCli(['run', '-f', manifest(), '--start', '2024-03-04T00:00:00Z', '--end', '2024-03-06T00:00:00Z'], { timeoutMs: 60_000 });
    expect(two.code).toBe(2);
    expect(errorLines(two.stderr).join('\n')).toMatch(/is not one Daily period in UTC/);
    const shared = await runDay('2024-03-04', ['--out', join(dir, 'one-folder')]);
    expect(shared.code).toBe(2);
    expect(errorLines(shared.stderr).join('\n')).toMatch(/both write to .*one-folder; each window needs a location of its own/);
  });
});
