// What a spec may ask for that the spark engine does not do yet, decided from the spec alone,
// so `raas validate` and the operator's Ready condition refuse it before any data is read,
// with the same words the run would use. Each is a refusal, never a different reading: a
// file read some other way than on DuckDB would give another answer for the same data.
import type { SourceSpec } from '../spec/schema.ts';

const FIX = 'use engine: duckdb';

/**
 * The CSV options of one input that engine: spark refuses, one line each naming the field
 * and the fix. `field` is the input's path without `.uri` (e.g. spec.left or
 * spec.left.inputs.orders).
 */
export function sparkCsvProblems(field: string, src: Pick<SourceSpec, 'csv'>): string[] {
  const csv = src.csv;
  if (!csv) return [];
  const problems: string[] = [];
  // Spark's CSV reader takes its own date patterns, not strftime, and reads a column that
  // misses them as text without a word.
  for (const which of ['dateFormat', 'timestampFormat'] as const) {
    const declared = csv[which];
    if (declared === undefined) continue;
    const what = which === 'dateFormat' ? 'dates' : 'timestamps';
    problems.push(`${field}.csv.${which}: a declared format ("${declared}") is not supported on engine: spark yet; ${FIX}, or write the file's ${what} year-first and remove ${which}`);
  }
  // Spark's CSV reader has no option to skip a preamble before the header.
  if (csv.skipRows) problems.push(`${field}.csv.skipRows: skipping lines before the header is not supported on engine: spark yet; ${FIX}, or remove the preamble from the file and remove skipRows`);
  return problems;
}
