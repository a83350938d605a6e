// User SQL spliced into the runner's statements: text that closes the runner's
// parenthesis and opens statements of its own must be refused, whatever hides it
// (comments, strings, dollar quotes, semicolons). Real files, real DuckDB, the real runner.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../support/recon-fixture.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
// A mismatch, a left-only and a right-only key: never balanced when really compared.
const files = { 'l.csv': csv('id,v', '1,a', '2,b', '3,c'), 'r.csv': csv('id,v', '1,a', '2,x', '4,d') };
const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };
const REPLACE_RIGHT = 'CREATE OR REPLACE TEMP VIEW right_input AS SELECT * FROM left_input';

describe('a side query cannot close the runner\'s parenthesis', () => {
  it.each([
    ['the plain trick', `SELECT * FROM source) ; ${REPLACE_RIGHT}; SELECT * FROM (SELECT * FROM source`],
    ['hidden behind a block comment', `SELECT * FROM source) /* ( */ ; ${REPLACE_RIGHT} ; SELECT * FROM (SELECT * FROM source`],
    ['ending in a line comment', `SELECT * FROM source) ; ${REPLACE_RIGHT}; SELECT * FROM (SELECT * FROM source --`],
    ['with a parenthesis in a string', `SELECT *, ')' AS p FROM source) ; ${REPLACE_RIGHT}; SELECT * FROM (SELECT *, '(' AS p FROM source`],
    ['with dollar quoting', `SELECT *, $$)$$ AS p FROM source) ; ${REPLACE_RIGHT}; SELECT * FROM (SELECT *, $t$($t$ AS p FROM source`],
    ['with a quoted identifier', `SELECT * FROM source AS ")") ; ${REPLACE_RIGHT}; SELECT * FROM (SELECT * FROM source`],
  ])('%s: refused naming the field, never balanced', async (_name, query) => {
    await expect(reconcile(files, { ...base, left: { uri: 'l.csv', query } })).rejects.toThrow(/^spec\.left\.query: /);
  });

  it('refuses text that does not parse on its own, with the parser\'s message', async () => {
    await expect(reconcile(files, { ...base, left: { uri: 'l.csv', query: 'SELECT * FROM source WHERE (id > 1' } })).rejects.toThrow(
      /spec\.left\.query: does not parse as one complete SELECT on its own: syntax error/,
    );
  });

  it('named inputs: the same trick is refused', async () => {
    const spec = { ...base, left: { inputs: { a: { uri: 'l.csv' } }, query: `SELECT * FROM a) ; ${REPLACE_RIGHT}; SELECT * FROM (SELECT * FROM a` } };
    await expect(reconcile(files, spec)).rejects.toThrow(/^spec\.left\.query: /);
  });

  it('a summary cannot delete the result rows before they are written', async () => {
    const sql = "SELECT count(*) FROM result_table) ; DELETE FROM recon WHERE recon_status <> 'match'; SELECT * FROM (SELECT 1";
    await expect(reconcile(files, { ...base, summaries: [{ name: 'n', sql }] })).rejects.toThrow(/^spec\.summaries\[0\]\.sql: /);
  });

  it('well-formed queries with comments, strings, dollar quotes and trailing semicolons still run', async () => {
    const query = "SELECT id, v, ')' AS p, $$;($$ AS q FROM source /* ) */ WHERE v <> ';' -- )\n;;";
    const got = await reconcile(files, { ...base, left: { uri: 'l.csv', query }, compare: [{ column: 'v' }] });
    expect(got.summary.counts).toMatchObject({ matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 });
    expect(got.summary.balanced).toBe(false);
  });
});

// Hostile fragments glued together at random: whatever the runner accepts must be
// compared for real (the three differences stay visible), or be refused naming the field.
const FRAGMENTS = ['SELECT * FROM source', ')', '(', ';', ' ', '\n', '--', '/*', '*/', "'", "')'", '"', '$$', '$t$', 'SELECT 1', REPLACE_RIGHT, 'WHERE id > 0', 'UNION ALL', 'FROM', ','];

describe('hostile fragments (property)', () => {
  it('are refused or change nothing about the other side', async () => {
    const arb = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 9 }).map((parts) => `SELECT * FROM source ${parts.join('')}`);
    await fc.assert(
      fc.asyncProperty(arb, async (query) => {
        let got;
        try {
          got = await reconcile(files, { ...base, left: { uri: 'l.csv', query }, compare: [{ column: 'v' }] });
        } catch (err) {
          expect(String((err as Error).message)).toMatch(/^spec\.left\.query[ :]/);
          return;
        }
        expect(got.summary.counts.right).toBe(3);
        expect(got.summary.balanced).toBe(false);
      }),
      { numRuns: Number(process.env.RAAS_FUZZ_RUNS ?? 25), seed: 20261206 },
    );
  }, 300_000);
});
