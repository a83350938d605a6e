// What DuckDB's readers would hide, checked before they read: column names that repeat
// ignoring case (the readers rename the second, `id_1`), and CSV dates whose format the
// sniffer guessed one way in one file and could guess the other way in the next. The
// decisions are pure (compare/column-names.ts); this module asks DuckDB for the raw facts.
import { basename } from 'node:path';
import { classifyType } from '../compare/column-types.ts';
import { describeClash, nameClash, parquetTopLevelNames, unambiguousDateFormat } from '../compare/column-names.ts';
import { describeMisreadDate, misreadDatesSql } from '../compare/misread-dates.ts';
import { csvHeaderSql, csvSniffSql, jsonKeysSql } from '../compare/source-sql.ts';
import { quoteLiteral } from '../compare/sql-text.ts';
import type { SourceFormat, SourceSpec } from '../spec/schema.ts';
import { numberOf, RunError } from '../run/context.ts';
import type { Duck } from '../run/duck.ts';

/** Refuses a source whose raw column names repeat, exactly or ignoring case. */
export async function checkSourceNames(db: Duck, src: Pick<SourceSpec, 'csv'>, format: SourceFormat, files: string[], field: string): Promise<void> {
  const refuse = (names: string[], where: string, fix: string) => {
    const clash = nameClash(names);
    if (clash) throw new RunError('load', `${field}.uri: ${describeClash(clash, where, fix)}`);
  };
  if (format === 'csv') {
    if (src.csv?.header === false) return;
    for (const file of files) {
      const rows = await db.rows(csvHeaderSql(src, file));
      const names = rows[0] ? Object.values(rows[0]).map((v) => String(v ?? '')) : [];
      refuse(names, `the header of ${basename(file)}`, `rename one in the file, or read it with csv: { header: false, skipRows: 1 } and name the columns in the side's query`);
    }
  } else if (format === 'parquet') {
    for (const file of files) {
      const rows = await db.rows(`SELECT name, coalesce(num_children, 0) AS children FROM parquet_schema(${quoteLiteral(file)})`);
      const names = parquetTopLevelNames(rows.map((r) => ({ name: String(r.name), children: numberOf(r.children) })));
      refuse(names, basename(file), 'rename one where the file is written (or in the database query that produced it)');
    }
  } else {
    const rows = await db.rows(jsonKeysSql(format, files));
    refuse(rows.map((r) => String(r.k)), 'the JSON input', 'rename one where the file is written');
  }
}

/**
 * CSV dates and timestamps: a declared format, or one the sniffer chose that cannot be
 * read two ways (year first). Any other guess is refused: a file whose days are all 12 or
 * less reads day-first and month-first alike, so two files of one feed may differ.
 */
export async function checkCsvDateFormats(db: Duck, src: Pick<SourceSpec, 'csv'>, files: string[], described: Array<{ name: string; type: string }>, field: string): Promise<void> {
  const classes = described.map((c) => classifyType(c.type));
  const needDate = classes.includes('date') && !src.csv?.dateFormat;
  const needStamp = (classes.includes('timestamp') || classes.includes('timestamptz')) && !src.csv?.timestampFormat;
  if (!needDate && !needStamp) return;
  for (const file of files) {
    const r = await db.one(csvSniffSql(src, file));
    for (const [which, format, wanted] of [['dateFormat', r.date_format, needDate], ['timestampFormat', r.timestamp_format, needStamp]] as const) {
      if (!wanted || typeof format !== 'string' || format === '' || unambiguousDateFormat(format)) continue;
      const cols = described.filter((c) => (which === 'dateFormat' ? classifyType(c.type) === 'date' : ['timestamp', 'timestamptz'].includes(classifyType(c.type)))).map((c) => c.name);
      throw new RunError(
        'load',
        `${field}.csv.${which}: the ${which === 'dateFormat' ? 'dates' : 'timestamps'} in ${basename(file)} (${cols.join(', ')}) are not year-first, and their format was guessed from the data as "${format}"; ` +
          `another file may be guessed the other way (01/02/2024 reads both ways): declare csv.${which}, e.g. "${format}"`,
      );
    }
  }
}

/**
 * A declared csv.dateFormat or timestampFormat that the file does not follow: DuckDB then
 * reads the column as text without a word, and text compares 01/02/2024 and 2024-02-01 as
 * different. Only text columns of a side that declared a format are read again; the
 * columns given are the ones the run uses.
 */
export async function checkMisreadDates(db: Duck, src: Pick<SourceSpec, 'csv'>, relation: string, files: string[], columns: Array<{ name: string; type: string }>, field: string): Promise<void> {
  const csv = { dateFormat: src.csv?.dateFormat, timestampFormat: src.csv?.timestampFormat };
  if (csv.dateFormat === undefined && csv.timestampFormat === undefined) return;
  const text = columns.filter((c) => classifyType(c.type) === 'text').map((c) => c.name);
  if (text.length === 0) return;
  const r = await db.one(misreadDatesSql(relation, text, csv));
  for (const [i, column] of text.entries()) {
    const example = r[`c${i}`];
    if (example === null || example === undefined) continue;
    const where = files.length === 1 ? basename(files[0]!) : `the input's files`;
    throw new RunError('load', describeMisreadDate(field, where, column, String(example), csv));
  }
}
