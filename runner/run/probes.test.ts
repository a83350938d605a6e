// The numeric probe over real DuckDB: many columns answered by one statement, each with its
// own shape, the first column holding a non-number refused by name, NULL-only columns sized
// as the narrowest number, and widths beyond 38 digits refused unless the caller allows them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdb } from '../compare/dialect.ts';
import { Duck } from './duck.ts';
import { probeNumerics } from './probes.ts';

let duck: Duck;
let dir: string;
let statements = 0;
const engine = { dialect: duckdb, rows: (sql: string) => (statements++, duck.rows(sql)) };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-probes-'));
  duck = await Duck.open({ workDir: dir });
  await duck.exec(`CREATE TABLE t AS SELECT * FROM (VALUES
    ('1.50', ' -0012.5 ', NULL, '1e3', 'x', '${'9'.repeat(40)}', '1.${'5'.repeat(40)}'),
    ('20', '3', NULL, '2.5E-2', '7', '1', '2')) v(a, b, nulls, sci, mixed, wide_int, wide_frac)`);
});
afterAll(async () => {
  duck?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('probeNumerics', () => {
  it('answers every column in one statement, each with its own digits and scale', async () => {
    statements = 0;
    const shapes = await probeNumerics(engine, 't', 'left', [{ column: 'a' }, { column: 'b' }, { column: 'nulls' }, { column: 'sci' }, { column: 'a' }], 'ledger');
    expect(statements).toBe(1);
    expect(Object.fromEntries(shapes)).toEqual({
      a: { intDigits: 2, scale: 2 },
      b: { intDigits: 2, scale: 1 },
      nulls: { intDigits: 1, scale: 0 },
      // 1e3 is 1000 (4 digits); 2.5E-2 is 0.025 (scale 3).
      sci: { intDigits: 4, scale: 3 },
    });
  });

  it('refuses the first column, in the order asked, that holds a value that is not a number', async () => {
    await expect(probeNumerics(engine, 't', 'right', [{ column: 'a' }, { column: 'mixed', field: 'spec.compare[1]' }], 'psp')).rejects.toThrow(
      'spec.compare[1]: column "mixed" on the right side (psp) is compared as a number but 1 value(s) are not numbers, e.g. "x"; clean or cast them in spec.right.query',
    );
  });

  it('refuses numbers wider than 38 digits unless the caller decides, and then reports their width', async () => {
    await expect(probeNumerics(engine, 't', 'left', [{ column: 'wide_frac' }], 'ledger')).rejects.toThrow('column "wide_frac" on the left side (ledger) has numbers with 41 digits; at most 38 can be compared exactly');
    const shapes = await probeNumerics(engine, 't', 'left', [{ column: 'wide_int' }, { column: 'wide_frac' }], 'ledger', true);
    expect(shapes.get('wide_int')).toEqual({ intDigits: 40, scale: 0 });
    expect(shapes.get('wide_frac')).toEqual({ intDigits: 1, scale: 40 });
  });
});
