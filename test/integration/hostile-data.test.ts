// Inputs whose answer used to depend on how DuckDB guessed or renamed things: column
// names that differ only in case, CSV dates sniffed per file, key types taken from the
// rest of the file, and CSV empty fields against empty text. Real files, real DuckDB.
import { describe, expect, it } from 'vitest';
import { parquetOf, reconcile, statuses } from '../support/recon-fixture.ts';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const base = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }] };

async function parquet(sql: string, rename?: [string, string]): Promise<Buffer> {
  const bytes = await parquetOf(sql);
  if (!rename) return bytes;
  // DuckDB renames a clash when it writes, as other writers do not: give a column the
  // clashing name afterwards. Same length, so the footer's length prefixes still hold.
  const [from, to] = rename;
  return Buffer.from(bytes.toString('latin1').replaceAll(from, to), 'latin1');
}

describe('names that differ only in letter case are refused, naming both', () => {
  it('a CSV header with ID and id', async () => {
    const files = { 'l.csv': csv('ID,id,v', '9,1,a', '9,2,b'), 'r.csv': csv('id,v', '1,a', '2,b') };
    await expect(reconcile(files, base)).rejects.toThrow(/^spec\.left\.uri: the header of l\.csv has the columns "ID" and "id", which differ only in letter case/);
  });

  it('a CSV header naming a column twice', async () => {
    const files = { 'l.csv': csv('id,v,v', '1,a,x'), 'r.csv': csv('id,v', '1,a') };
    await expect(reconcile(files, base)).rejects.toThrow(/^spec\.left\.uri: the header of l\.csv names the column "v" twice/);
  });

  it('a Parquet file with ID and id', async () => {
    const files = { 'l.parquet': await parquet('SELECT 9 AS "ID", 1 AS zq, \'a\' AS v', ['zq', 'id']), 'r.csv': csv('id,v', '1,a') };
    await expect(reconcile(files, { ...base, left: { uri: 'l.parquet' } })).rejects.toThrow(/^spec\.left\.uri: l\.parquet has the columns "ID" and "id"/);
  });

  it('JSON objects with ID and id', async () => {
    const files = { 'l.ndjson': '{"ID": 9, "id": 1, "v": "a"}\n', 'r.csv': csv('id,v', '1,a') };
    await expect(reconcile(files, { ...base, left: { uri: 'l.ndjson' } })).rejects.toThrow(/^spec\.left\.uri: the JSON input has the columns "ID" and "id"/);
  });

  it('a query whose aliases differ only in case', async () => {
    const files = { 'l.csv': csv('a,b,v', '9,1,a'), 'r.csv': csv('id,v', '1,a') };
    const spec = { ...base, left: { uri: 'l.csv', query: 'SELECT a AS ID, b AS id, v FROM source' } };
    await expect(reconcile(files, spec)).rejects.toThrow(/^spec\.left\.query: the query has the columns "ID" and "id"/);
  });

  it('names that differ in case across the sides still pair', async () => {
    const got = await reconcile({ 'l.csv': csv('ID,v', '1,a'), 'r.csv': csv('id,V', '1,a') }, { ...base, keys: [{ column: 'ID' }] });
    expect(got.summary.counts.matched).toBe(1);
  });
});

describe('CSV dates: one declared format, never two guesses', () => {
  // All days 12 or less: DuckDB guesses one order for this file ...
  const ambiguous = csv('id,d', '1,01/02/2024', '2,03/04/2024');
  // ... and the other side's text is the same dates written month-first.
  const right = csv('id,d', '1,01/02/2024', '2,03/04/2024');

  it('refuses dates that are not year-first without csv.dateFormat, naming the field and the guess', async () => {
    await expect(reconcile({ 'l.csv': ambiguous, 'r.csv': right }, base)).rejects.toThrow(/^spec\.left\.csv\.dateFormat: the dates in l\.csv \(d\) are not year-first, and their format was guessed from the data as "%d\/%m\/%Y"/);
  });

  it('reads both sides with the declared formats', async () => {
    const files = { 'l.csv': csv('id,d', '1,01/02/2024', '2,03/04/2024'), 'r.csv': csv('id,d', '1,2024-01-02', '2,2024-04-03') };
    const spec = { ...base, left: { uri: 'l.csv', csv: { dateFormat: '%m/%d/%Y' } } };
    const got = await reconcile(files, spec);
    // 01/02 is January 2nd month-first: key 1 matches, key 2 (March 4th vs April 3rd) does not.
    expect(got.summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
  });

  it('timestamps likewise', async () => {
    const files = { 'l.csv': csv('id,t', '1,01/02/2024 10:00:00'), 'r.csv': csv('id,t', '1,2024-01-02 10:00:00') };
    await expect(reconcile(files, base)).rejects.toThrow(/^spec\.left\.csv\.timestampFormat: /);
    const got = await reconcile(files, { ...base, left: { uri: 'l.csv', csv: { timestampFormat: '%m/%d/%Y %H:%M:%S' } } });
    expect(got.summary.counts.matched).toBe(1);
  });

  it('refuses a declared format that neither side follows, naming the side, column, example and format', async () => {
    // Both columns fall back to text: 25/01/2024 and 01/25/2024 would be two different texts.
    const files = { 'l.csv': csv('id,d', '1,25/01/2024'), 'r.csv': csv('id,d', '1,01/25/2024') };
    const spec = { ...base, left: { uri: 'l.csv', csv: { dateFormat: '%m/%d/%Y' } }, right: { uri: 'r.csv', csv: { dateFormat: '%d/%m/%Y' } } };
    await expect(reconcile(files, spec)).rejects.toThrow(
      /^spec\.left\.csv\.dateFormat: column "d" of l\.csv holds dates such as "25\/01\/2024" that do not follow the declared "%m\/%d\/%Y", so it would be read and compared as text: set csv\.dateFormat to the format the file is written in/,
    );
    const fixed = { ...spec, left: { uri: 'l.csv', csv: { dateFormat: '%d/%m/%Y' } }, right: { uri: 'r.csv', csv: { dateFormat: '%m/%d/%Y' } } };
    expect((await reconcile(files, fixed)).summary.counts).toMatchObject({ matched: 1, mismatched: 0 });
  });

  it('refuses the side that does not follow its declared format when the other side does', async () => {
    const files = { 'l.csv': csv('id,d,v', '1,25/01/2024,a', '2,03/02/2024,b'), 'r.csv': csv('id,d,v', '1,01/25/2024,a', '2,02/03/2024,b') };
    const spec = { ...base, left: { uri: 'l.csv', csv: { dateFormat: '%d/%m/%Y' } }, right: { uri: 'r.csv', csv: { dateFormat: '%d/%m/%Y' } }, compare: [{ column: 'd' }, { column: 'v' }] };
    await expect(reconcile(files, spec)).rejects.toThrow(/^spec\.right\.csv\.dateFormat: column "d" of r\.csv holds dates such as "01\/25\/2024" that do not follow the declared "%d\/%m\/%Y"/);
    const got = await reconcile(files, { ...spec, right: { uri: 'r.csv', csv: { dateFormat: '%m/%d/%Y' } } });
    expect(got.summary.counts).toMatchObject({ matched: 2, mismatched: 0 });
  });

  it('timestamps that miss csv.timestampFormat likewise', async () => {
    const files = { 'l.csv': csv('id,t', '1,25/01/2024 10:00:00'), 'r.csv': csv('id,t', '1,2024-01-25 10:00:00') };
    const spec = { ...base, left: { uri: 'l.csv', csv: { timestampFormat: '%m/%d/%Y %H:%M:%S' } }, right: { uri: 'r.csv', csv: { timestampFormat: '%d/%m/%Y %H:%M:%S' } } };
    await expect(reconcile(files, spec)).rejects.toThrow(/^spec\.left\.csv\.timestampFormat: column "t" of l\.csv holds timestamps such as "25\/01\/2024 10:00:00"/);
  });

  it('text that is not date-shaped, and columns the run does not use, stay as they are', async () => {
    // "note" is text on both sides (not dates); "d" misses the declared format but is neither compared nor carried.
    const files = { 'l.csv': csv('id,d,note,amt', '1,25/01/2024,INV 2024/01,10', '2,26/01/2024,paid,20'), 'r.csv': csv('id,d,note,amt', '1,2024-01-25,INV 2024/01,10', '2,2024-01-26,open,20') };
    const declared = { csv: { dateFormat: '%m/%d/%Y' } };
    const spec = { ...base, left: { uri: 'l.csv', ...declared }, right: { uri: 'r.csv', ...declared }, compare: [{ column: 'note' }, { column: 'amt' }] };
    const got = await reconcile(files, spec);
    expect(got.summary.counts).toMatchObject({ matched: 1, mismatched: 1 });
    expect(got.summary.mismatchedByColumn).toEqual({ note: 1, amt: 0 });
    // Carried into the result, the same column is refused: its text would be shown as if it were the dates.
    await expect(reconcile(files, { ...spec, output: { columns: [{ column: 'd' }] } })).rejects.toThrow(/^spec\.left\.csv\.dateFormat: column "d" of l\.csv/);
  });

  it('year-first dates need no declaration', async () => {
    const got = await reconcile({ 'l.csv': csv('id,d', '1,2024-01-02'), 'r.csv': csv('id,d', '1,2024-01-02') }, base);
    expect(got.summary.counts.matched).toBe(1);
  });
});

describe('CSV words DuckDB would take for dates stay the text the file holds', () => {
  it('infinity in a date column and -infinity in a timestamp column are text, not 5881580-07-11', async () => {
    const { summary, rows } = await reconcile(
      {
        'l.csv': csv('id,d,t', '1,infinity,2024-01-01 10:00:00', '2,2024-01-02,-infinity', '3,2024-01-03,2024-01-03 10:00:00'),
        'r.csv': csv('id,d,t', '1,infinity,2024-01-01 10:00:00', '2,2024-01-02,-infinity', '3,2024-01-04,2024-01-03 10:00:00'),
      },
      { ...base, compare: [{ column: 'd' }, { column: 't' }] },
    );
    expect(summary.counts).toMatchObject({ matched: 2, mismatched: 1 });
    expect(rows).toEqual([expect.objectContaining({ id: '3', d_left: '2024-01-03', d_right: '2024-01-04' })]);
    expect(JSON.stringify(rows)).not.toMatch(/5881580|294247/);
  });

  it('a word compared with a timestamp column is refused, not cast (epoch is no 1970-01-01)', async () => {
    const files = {
      'l.csv': csv('id,t', '1,epoch', '2,2024-01-02 10:00:00'),
      'r.parquet': await parquetOf("SELECT * FROM (VALUES ('1', TIMESTAMP '1970-01-01 00:00:00'), ('2', TIMESTAMP '2024-01-02 10:00:00')) x(id, t)"),
    };
    await expect(reconcile(files, { ...base, right: { uri: 'r.parquet' }, compare: [{ column: 't' }] })).rejects.toThrow(
      /^spec\.compare\[0\]: column "t" on the left side \(left\) is compared as TIMESTAMP(TZ)? but 1 value\(s\) are not, e\.g\. "epoch"; clean or cast them in spec\.left\.query$/,
    );
  });

  it('the text is what the result shows', async () => {
    const { rows } = await reconcile(
      { 'l.csv': csv('id,d', '1,infinity', '2,2024-01-02'), 'r.csv': csv('id,d', '1,-infinity', '2,2024-01-02') },
      { ...base, compare: [{ column: 'd' }] },
    );
    expect(rows).toEqual([expect.objectContaining({ id: '1', recon_status: 'mismatch', d_left: 'infinity', d_right: '-infinity' })]);
  });
});

describe('key equality does not depend on the rest of the file', () => {
  it('CSV vs CSV: "01" never equals "1", whether the other rows are numbers or not', async () => {
    const numericRest = await reconcile({ 'l.csv': csv('id,v', '01,a', '2,b'), 'r.csv': csv('id,v', '1,a', '2,b') }, base);
    const textRest = await reconcile({ 'l.csv': csv('id,v', '01,a', 'x2,b'), 'r.csv': csv('id,v', '1,a', 'x2,b') }, base);
    expect(statuses(numericRest.rows)).toEqual(['01:left_only', '1:right_only']);
    expect(statuses(textRest.rows)).toEqual(['01:left_only', '1:right_only']);
  });

  it('7 vs 007 likewise, and keys[].type: numeric makes them one number', async () => {
    const files = { 'l.csv': csv('id,v', '7,a', '8,b'), 'r.csv': csv('id,v', '007,a', '8,b') };
    expect((await reconcile(files, base)).summary.counts).toMatchObject({ matched: 1, leftOnly: 1, rightOnly: 1 });
    expect((await reconcile(files, { ...base, keys: [{ column: 'id', type: 'numeric' }] })).summary.counts).toMatchObject({ matched: 2, leftOnly: 0, rightOnly: 0 });
  });

  it('CSV vs Parquet integer keys: refused with the fix, then compared as declared', async () => {
    const files = { 'l.csv': csv('id,v', '01,a', '2,b'), 'r.parquet': await parquet("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, v)") };
    const spec = { ...base, right: { uri: 'r.parquet' } };
    await expect(reconcile(files, spec)).rejects.toThrow(/^spec\.keys\[0\]: key "id" is a number \(INTEGER\) on the right side \(right\) and text on the left side .*set spec\.keys\[0\]\.type: numeric/);
    expect((await reconcile(files, { ...spec, keys: [{ column: 'id', type: 'numeric' }] })).summary.counts).toMatchObject({ matched: 2 });
    expect((await reconcile(files, { ...spec, keys: [{ column: 'id', type: 'text' }] })).summary.counts).toMatchObject({ matched: 1, leftOnly: 1, rightOnly: 1 });
  });

  it('a numeric key made by a query from a guessed CSV column is refused until declared', async () => {
    const files = { 'l.csv': csv('order_id,v', '1,a', '2,b'), 'r.csv': csv('order_id,v', '1,a', '2,b') };
    const spec = { ...base, left: { uri: 'l.csv', query: 'SELECT order_id AS id, v FROM source' }, right: { uri: 'r.csv', query: 'SELECT order_id AS id, v FROM source' } };
    await expect(reconcile(files, spec)).rejects.toThrow(/^spec\.keys\[0\]: key "id" on the left side .* guessed from its values/);
  });

  it('JSON: 7 and "007" are text keys', async () => {
    const files = { 'l.ndjson': '{"id": 7, "v": "a"}\n{"id": 8, "v": "b"}\n', 'r.csv': csv('id,v', '007,a', '8,b') };
    expect((await reconcile(files, { ...base, left: { uri: 'l.ndjson' } })).summary.counts).toMatchObject({ matched: 1, leftOnly: 1, rightOnly: 1 });
  });
});

describe('CSV empty fields against empty text', () => {
  it('are mismatches the result explains, pointing at csv.nullString', async () => {
    const files = { 'l.csv': csv('id,v', '1,""', '2,'), 'r.parquet': await parquet("SELECT * FROM (VALUES ('1', ''), ('2', '')) t(id, v)") };
    const got = await reconcile(files, { ...base, right: { uri: 'r.parquet' } });
    expect(got.summary.counts.mismatched).toBe(2);
    expect(got.summary.balanced).toBe(false);
    expect(got.summary.warnings).toEqual([expect.stringMatching(/^2 mismatch\(es\) of "v" are an empty field read as NULL against an empty text .* set csv\.nullString on spec\.left /)]);
  });

  it('match once csv.nullString says what NULL looks like', async () => {
    const files = { 'l.csv': csv('id,v', '1,""', '2,', '3,NULL'), 'r.parquet': await parquet("SELECT * FROM (VALUES ('1', ''), ('2', ''), ('3', NULL)) t(id, v)") };
    const got = await reconcile(files, { ...base, left: { uri: 'l.csv', csv: { nullString: 'NULL' } }, right: { uri: 'r.parquet' } });
    expect(got.summary.counts.matched).toBe(3);
    expect(got.summary.balanced).toBe(true);
    expect(got.summary.warnings).toBeUndefined();
  });
});
