// CSV dates that missed their declared format. With csv.dateFormat (or timestampFormat)
// declared, DuckDB reads a column whose values do not follow it as text, silently. Two sides
// read that way compare the same date written two ways as different text: a wrong answer.
// So a text column the run uses, on a side that declared a format, is refused when one of
// its values is shaped like a date (or timestamp) yet does not parse by the declared format.
import type { SourceSpec } from '../spec/schema.ts';
import { foldName } from '../spec/fold-name.ts';
import { quoteIdent, quoteLiteral } from './sql-text.ts';

/**
 * How every date or timestamp written as text starts: numbers in three groups. DuckDB also
 * reads words as dates (`infinity`, `epoch`, which is 1970-01-01); a value that does not start
 * like this is text, never a date.
 */
export const DATE_START = String.raw`^\s*[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}`;

/** Numbers in three groups split by - / or . (01/02/2024, 2024-01-02, 2.1.24): what a date looks like. */
export const DATE_SHAPE = String.raw`\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\s*`;
/** A date shape followed by a clock time (10:00, 10:00:00, 10:00:00.123). */
export const TIMESTAMP_SHAPE = String.raw`\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*`;

/** The columns a spec compares, totals or carries on one side; undefined when every column may be (a query, named inputs, or compare left to "every common column"). */
export function usedColumnNames(
  spec: {
    compare?: Array<{ column: string; right?: string | undefined }> | undefined;
    aggregate?: { measures: Array<{ column?: string | undefined; right?: string | undefined }> } | undefined;
    amount?: { column: string; right?: string | undefined; currency?: string | undefined; currencyRight?: string | undefined } | undefined;
    output?: { columns?: Array<{ column: string; right?: string | undefined }> | undefined } | undefined;
  },
  side: 'left' | 'right',
  hasQueryOrInputs: boolean,
): Set<string> | undefined {
  if (hasQueryOrInputs || (!spec.compare && !spec.aggregate)) return undefined;
  const pick = (c: { column?: string | undefined; right?: string | undefined }) => (side === 'left' ? c.column : (c.right ?? c.column));
  const names = [
    ...(spec.compare ?? []).map(pick),
    ...(spec.aggregate?.measures ?? []).map(pick),
    ...(spec.output?.columns ?? []).map(pick),
    // In summary reconciliation amount.column names a measure, not an input column.
    ...(spec.amount && !spec.aggregate ? [pick(spec.amount)] : []),
    spec.amount?.currency === undefined ? undefined : side === 'left' ? spec.amount.currency : (spec.amount.currencyRight ?? spec.amount.currency),
  ];
  return new Set(names.filter((n): n is string => n !== undefined).map(foldName));
}

/** Whether a column of a reader is one the run uses (undefined: all are). */
export const isUsed = (used: ReadonlySet<string> | undefined, name: string): boolean => used === undefined || used.has(foldName(name));

/**
 * One row: per column, the smallest value that is date-shaped (or timestamp-shaped) and
 * does not parse by the declared format, NULL when there is none.
 */
export function misreadDatesSql(relation: string, columns: string[], csv: Pick<NonNullable<SourceSpec['csv']>, 'dateFormat' | 'timestampFormat'>): string {
  const missed = (col: string, shape: string, format: string | undefined) =>
    format === undefined ? [] : [`(regexp_full_match(${col}, ${quoteLiteral(shape)}) AND try_strptime(${col}, ${quoteLiteral(format)}) IS NULL)`];
  const items = columns.map((c, i) => {
    const col = `CAST(${quoteIdent(c)} AS VARCHAR)`;
    const tests = [...missed(col, DATE_SHAPE, csv.dateFormat), ...missed(col, TIMESTAMP_SHAPE, csv.timestampFormat)];
    return `min(${col}) FILTER (WHERE ${tests.join(' OR ')}) AS ${quoteIdent(`c${i}`)}`;
  });
  return `SELECT ${items.join(', ')} FROM ${relation}`;
}

/** The one-line refusal for a column whose dates missed the declared format. */
export function describeMisreadDate(field: string, file: string, column: string, example: string, csv: Pick<NonNullable<SourceSpec['csv']>, 'dateFormat' | 'timestampFormat'>): string {
  const stamp = new RegExp(`^${TIMESTAMP_SHAPE}$`).test(example) && csv.timestampFormat !== undefined;
  const which = stamp ? 'timestampFormat' : 'dateFormat';
  const format = stamp ? csv.timestampFormat : csv.dateFormat;
  return (
    `${field}.csv.${which}: column "${column}" of ${file} holds ${stamp ? 'timestamps' : 'dates'} such as "${example}" that do not follow the declared "${format}", ` +
    `so it would be read and compared as text: set csv.${which} to the format the file is written in (one format per input)`
  );
}
