import { describe, expect, it } from 'vitest';
import { describeCsvError } from './load-errors.ts';

// DuckDB's CSV errors as it words them (joined into one line by duckMessage), and the line a user gets.
describe('describeCsvError', () => {
  const converting =
    'Conversion Error: CSV Error on Line: 25002 | Original Line: 25000,abc | Error when converting column "amt". Could not convert string "abc" to \'BIGINT\' | ' +
    'Column amt is being converted as type BIGINT | This type was auto-detected from the CSV file. | Possible solutions: | * Override the type | file = /tmp/x/l.csv';
  it.each([
    [converting, 'spec.left.uri: l.csv line 25002: column "amt" holds "abc", which is not a BIGINT like the values before it (the type is read from the first rows of the file); correct the value in the file'],
    [
      'Invalid Input Error: CSV Error on Line: 2 | Original Line: 1,a,extra | Expected Number of Columns: 2 Found: 3 | file = /d/r.csv',
      'spec.left.uri: r.csv line 2 has 3 field(s) where the header has 2; fix that line, or set spec.left.csv.delimiter, quote or header if the file does not use ",", \'"\' and a header line',
    ],
    ['Invalid Input Error: CSV Error on Line: 7 | Original Line: x | Invalid unicode (byte sequence mismatch) detected | file = /d/l.csv', 'spec.left.uri: l.csv line 7 is not UTF-8 text; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)'],
    ['Conversion Error: CSV Error on Line: 9 | Original Line: q | Something else went wrong | file = /d/l.csv', 'spec.left.uri: l.csv line 9: Something else went wrong'],
  ])('%#', (message, expected) => {
    expect(describeCsvError(message, 'spec.left')).toBe(expected);
  });

  it('says nothing about an error that is not about a CSV line', () => {
    expect(describeCsvError('Binder Error: column "x" not found', 'spec.left')).toBeUndefined();
  });
});
