import { describe, expect, it } from 'vitest';
import type { ReconJobSpec } from '../spec/schema.ts';
import { castNeedsProbe, decideCoercion, normalizeType } from './column-types.ts';
import { finalizePlan, PlanError, probeKey, resolveColumns, type Column } from './plan.ts';
import { decimalTypeFor, keyedViewSql, modeFilter, numericProbesSql, reconTableSql, publicColumns } from './build-sql.ts';
import { numberToDecimalText, quoteIdent, quoteLiteral } from './sql-text.ts';
import { readerSql, rowsViewSql } from './source-sql.ts';

const names = { left: 'ledger', right: 'bank' };
const spec = (s: Partial<ReconJobSpec>): ReconJobSpec => ({ left: { uri: 'l' }, right: { uri: 'r' }, keys: [{ column: 'id' }], ...s });
const cols = (...pairs: Array<[string, string]>): Column[] => pairs.map(([name, type]) => ({ name, type }));

describe('decideCoercion', () => {
  it.each([
    ['BIGINT', 'DECIMAL(18,2)', false, 'numeric'],
    ['VARCHAR', 'DECIMAL(18,2)', false, 'numeric'],
    ['DOUBLE', 'INTEGER', false, 'numeric'],
    ['VARCHAR', 'VARCHAR', false, 'same'],
    ['VARCHAR', 'VARCHAR', true, 'numeric'],
    ['TIMESTAMP WITH TIME ZONE', 'VARCHAR', false, 'cast:TIMESTAMPTZ'],
    ['TIMESTAMP', 'VARCHAR', false, 'cast:TIMESTAMPTZ'],
    ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', false, 'cast:TIMESTAMPTZ'],
    ['DATE', 'TIMESTAMP', false, 'cast:TIMESTAMP'],
    ['TIMESTAMP_NS', 'TIMESTAMP', false, 'cast:TIMESTAMP_NS'],
    ['TIMESTAMP_MS', 'TIMESTAMP_NS', false, 'cast:TIMESTAMP_NS'],
    ['TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE', false, 'cast:TIMESTAMP_NS'],
    ['VARCHAR', 'TIMESTAMP_NS', false, 'cast:TIMESTAMP_NS'],
    ['TIMESTAMP_NS', 'TIMESTAMP_NS', false, 'same'],
    ['DATE', 'VARCHAR', false, 'cast:DATE'],
    ['BOOLEAN', 'VARCHAR', false, 'cast:BOOLEAN'],
    ['UUID', 'UUID', false, 'same'],
    ['UUID', 'BLOB', false, 'text'],
  ])('%s vs %s (numeric wanted: %s) -> %s', (l, r, wants, expected) => {
    const c = decideCoercion(l, r, wants);
    expect(c.kind === 'cast' ? `cast:${c.type}` : c.kind).toBe(expected);
  });
});

describe('resolveColumns and finalizePlan', () => {
  it('maps right names, asks the data only about text and float sides, and sizes the DECIMAL', () => {
    const resolved = resolveColumns(
      spec({ keys: [{ column: 'id', right: 'ref' }], compare: [{ column: 'amount', right: 'amt', tolerance: { absolute: 0.01 } }] }),
      cols(['id', 'BIGINT'], ['amount', 'DECIMAL(12,2)']),
      cols(['ref', 'INTEGER'], ['amt', 'VARCHAR']),
      names,
    );
    expect(resolved.probes).toEqual([{ side: 'right', column: 'amt', field: 'spec.compare[0]' }]);
    const plan = finalizePlan(resolved, new Map([[probeKey('right', 'amt'), { intDigits: 14, scale: 4 }]]));
    expect(plan.compares[0]!.decimal).toEqual({ type: 'DECIMAL(18,4)', diffType: 'DECIMAL(19,4)', scale: 4 });
    expect(plan.keys[0]!.decimal).toEqual({ type: 'DECIMAL(19,0)', diffType: 'DECIMAL(20,0)', scale: 0 });
  });

  it('without compare, takes every common non-key column in left order', () => {
    const r = resolveColumns(spec({ keys: [{ column: 'id', right: 'ref' }] }), cols(['id', 'INTEGER'], ['b', 'VARCHAR'], ['a', 'VARCHAR'], ['x', 'VARCHAR']), cols(['ref', 'INTEGER'], ['a', 'VARCHAR'], ['b', 'VARCHAR'], ['id', 'VARCHAR']), names);
    expect(r.compares.map((c) => c.name)).toEqual(['b', 'a']);
  });

  it.each([
    [spec({ keys: [{ column: 'IDD' }] }), /spec\.keys\[0\]\.column: column "IDD" not found on the left side \(ledger\); available columns: id, v/],
    [spec({ keys: [{ column: 'id', right: 'nope' }] }), /spec\.keys\[0\]\.right: column "nope" not found on the right side \(bank\)/],
    [spec({ compare: [{ column: 'v', tolerance: { absolute: 1 }, normalize: ['trim'] }] }), /spec\.compare\[0\]: tolerance and normalize cannot be combined/],
    [spec({ compare: [{ column: 'v' }, { column: 'v' }] }), /spec\.compare\[1\]: result column "v_left" would also be produced by spec\.compare\[0\]/],
  ])('rejects %#', (s, message) => {
    expect(() => resolveColumns(s, cols(['id', 'INTEGER'], ['v', 'INTEGER']), cols(['id', 'INTEGER'], ['v', 'INTEGER']), names)).toThrow(message);
    expect(() => resolveColumns(s, cols(['id', 'INTEGER'], ['v', 'INTEGER']), cols(['id', 'INTEGER'], ['v', 'INTEGER']), names)).toThrow(PlanError);
  });

  it('asks the data about generous declared widths (sum() says DECIMAL(38,2)) instead of refusing them', () => {
    const r = resolveColumns(spec({ compare: [{ column: 'v' }] }), cols(['id', 'HUGEINT'], ['v', 'DECIMAL(38,2)']), cols(['id', 'HUGEINT'], ['v', 'DECIMAL(38,2)']), names);
    expect(r.probes.map((p) => `${p.side}.${p.column}`)).toEqual(['left.v', 'right.v']);
    const plan = finalizePlan(r, new Map([[probeKey('left', 'v'), { intDigits: 5, scale: 2 }], [probeKey('right', 'v'), { intDigits: 7, scale: 2 }]]));
    expect(plan.compares[0]!.decimal!.type).toBe('DECIMAL(9,2)');
    expect(plan.keys[0]!.decimal).toBeUndefined();
  });

  it('refuses numbers that need more than 37 digits together, never rounding them', () => {
    const r = resolveColumns(spec({ compare: [{ column: 'v' }] }), cols(['id', 'INTEGER'], ['v', 'DOUBLE']), cols(['id', 'INTEGER'], ['v', 'VARCHAR']), names);
    expect(() => finalizePlan(r, new Map([[probeKey('left', 'v'), { intDigits: 30, scale: 0 }], [probeKey('right', 'v'), { intDigits: 1, scale: 10 }]]))).toThrow(
      /spec\.compare\[0\]: "v" holds numbers with up to 30 digit\(s\) before and 10 after the point .* at most 37 digits/,
    );
  });
});

describe('SQL text', () => {
  it('quotes identifiers and literals, never splicing', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(quoteLiteral("O'Brien")).toBe("'O''Brien'");
  });
  it.each([
    [0.01, '0.01'],
    [1e-7, '0.0000001'],
    [1.5e-10, '0.00000000015'],
    [2e21, '2000000000000000000000'],
    [100, '100'],
  ])('numberToDecimalText(%s) = %s', (n, text) => {
    expect(numberToDecimalText(n)).toBe(text);
  });
  it('decimalTypeFor holds a literal exactly', () => {
    expect(decimalTypeFor('0.01')).toBe('DECIMAL(3,2)');
    expect(decimalTypeFor('123.4')).toBe('DECIMAL(4,1)');
    expect(decimalTypeFor('5')).toBe('DECIMAL(1,0)');
  });
});

describe('buildCompareSql fragments', () => {
  const resolved = resolveColumns(
    spec({ keys: [{ column: 'id' }], compare: [{ column: 'amount', tolerance: { absolute: 0.01, relative: 0.001 } }, { column: 'na"me', normalize: ['trim', 'lower'] }] }),
    cols(['id', 'BIGINT'], ['amount', 'DECIMAL(10,2)'], ['na"me', 'VARCHAR']),
    cols(['id', 'BIGINT'], ['amount', 'DECIMAL(10,2)'], ['na"me', 'VARCHAR']),
    names,
  );
  const plan = finalizePlan(resolved, new Map());

  it('keyed views coerce, normalise and keep originals for normalised columns', () => {
    expect(keyedViewSql(plan, 'left', 'left_rows')).toBe(
      'CREATE OR REPLACE TEMP VIEW left_keyed AS SELECT "id" AS k0, "amount" AS v0, lower(trim(CAST("na""me" AS VARCHAR))) AS v1, "na""me" AS o1, true AS __raas_present FROM "left_rows"',
    );
  });

  it('tolerance is |right - left| <= absolute + relative * |left| in DECIMAL, NULL = NULL', () => {
    const sql = reconTableSql(plan, { mode: 'AllDiffs', excludeDuplicates: false });
    expect(sql).toContain(
      "coalesce((l.v0 IS NULL AND r.v0 IS NULL) OR abs(CAST(r.v0 AS DECIMAL(11,2)) - CAST(l.v0 AS DECIMAL(11,2))) <= CAST('0.01' AS DECIMAL(3,2)) + CAST('0.001' AS DECIMAL(4,3)) * abs(l.v0), false) AS __raas_eq0",
    );
    expect(sql).toContain('(l.v1 IS NOT DISTINCT FROM r.v1) AS __raas_eq1');
    expect(sql).toContain(`WHERE recon_status <> 'match' OR "amount_diff" <> 0`);
    expect(sql).not.toContain('ANTI JOIN');
    expect(reconTableSql(plan, { mode: 'Full', excludeDuplicates: true })).toContain('ANTI JOIN dup_keys');
    expect(reconTableSql(plan, { mode: 'Full', excludeDuplicates: true })).not.toContain("WHERE recon_status <> 'match'");
  });

  it('result columns follow the contract', () => {
    expect(publicColumns(plan)).toEqual(['id', 'recon_status', 'recon_mismatched', 'amount_left', 'amount_right', 'amount_diff', 'na"me_left', 'na"me_right']);
  });

  it('mode filters', () => {
    expect(modeFilter('Full')).toBe('true');
    expect(modeFilter('LeftDiffs')).toContain("'left', 'both'");
    expect(modeFilter('RightDiffs')).toContain("'right', 'both'");
  });

  it('user queries run under a CTE named source; reader options are literals', () => {
    expect(rowsViewSql('left', 'SELECT 1 FROM source;;\n')).toBe('CREATE OR REPLACE TEMP VIEW left_rows AS WITH source AS (SELECT * FROM left_input) SELECT * FROM (\nSELECT 1 FROM source\n)');
    expect(readerSql({ uri: 'x', csv: { delimiter: "'" } }, 'csv', ["/tmp/it's.csv"], ['amount'])).toBe(
      `read_csv(['/tmp/it''s.csv'], delim = '''', header = true, quote = '"', escape = '"', types = {'amount': 'VARCHAR'})`,
    );
    expect(numericProbesSql('left_rows', ['a'])).toContain('FROM "left_rows"');
    // Every column in one scan, each answering under its own index.
    const many = numericProbesSql('left_rows', ['a', 'b"c']);
    expect(many.match(/FROM "left_rows"/g)).toHaveLength(1);
    expect(many).toContain('trim(CAST("b""c" AS VARCHAR)) AS v1');
    expect(many).toContain('UNPIVOT (v FOR col IN (v0, v1)) GROUP BY col');
    expect(() => numericProbesSql('left_rows', [])).toThrow(/at least one column/);
  });
});

describe('planning reads types, not data', () => {
  it.each([
    ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ'],
    ['timestamp  with time zone', 'TIMESTAMPTZ'],
    ['NUMERIC(18, 2)', 'DECIMAL(18,2)'],
    ['int', 'INTEGER'],
    ['string', 'VARCHAR'],
    ['DECIMAL(10,0)', 'DECIMAL(10,0)'],
  ])('normalizeType(%s) = %s', (raw, canonical) => {
    expect(normalizeType(raw)).toBe(canonical);
  });

  it('a TIMESTAMPTZ on both sides is compared as it is and never probed', () => {
    const resolved = resolveColumns(spec({}), cols(['id', 'BIGINT'], ['at', 'TIMESTAMP WITH TIME ZONE']), cols(['id', 'BIGINT'], ['at', 'TIMESTAMP WITH TIME ZONE']), names);
    const plan = finalizePlan(resolved, new Map());
    expect(plan.compares[0]!.coercion).toEqual({ kind: 'same', type: 'TIMESTAMPTZ' });
    expect(keyedViewSql(plan, 'left', 'left_rows')).toBe('CREATE OR REPLACE TEMP VIEW left_keyed AS SELECT "id" AS k0, "at" AS v0, true AS __raas_present FROM "left_rows"');
  });

  it('integers on both sides join without a cast and show as the DECIMAL in the result', () => {
    const plan = finalizePlan(resolveColumns(spec({}), cols(['id', 'INTEGER'], ['n', 'INTEGER']), cols(['id', 'BIGINT'], ['n', 'BIGINT']), names), new Map());
    expect(plan.compares[0]!.decimal).toEqual({ type: 'DECIMAL(19,0)', diffType: 'DECIMAL(20,0)', scale: 0, integers: true });
    // Keys of two integer types still meet as the DECIMAL (the result's key column shows it).
    expect(keyedViewSql(plan, 'left', 'left_rows')).toBe('CREATE OR REPLACE TEMP VIEW left_keyed AS SELECT CAST("id" AS DECIMAL(19,0)) AS k0, "n" AS v0, true AS __raas_present FROM "left_rows"');
    expect(reconTableSql(plan, { mode: 'AllDiffs', excludeDuplicates: false })).toContain('CAST(l.v0 AS DECIMAL(19,0)) AS "n_left"');
  });

  it.each([
    ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ', false],
    ['DATE', 'TIMESTAMP', false],
    ['TIMESTAMP', 'TIMESTAMPTZ', false],
    ['TIMESTAMP', 'TIMESTAMP_NS', true],
    ['VARCHAR', 'TIMESTAMPTZ', true],
    ['VARCHAR', 'BOOLEAN', true],
    ['BOOLEAN', 'BOOLEAN', false],
  ])('castNeedsProbe(%s -> %s) = %s', (from, to, probe) => {
    expect(castNeedsProbe(from, to)).toBe(probe);
  });
});
