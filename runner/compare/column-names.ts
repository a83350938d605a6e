// Checks on the column names a source really has, before DuckDB reads it: DuckDB treats
// names that differ only in letter case as one name and silently renames the second
// (`id` next to `ID` becomes `id_1`), so a key `id` would bind to `ID`. Pure: the shell
// reads the raw names (CSV header, Parquet schema, JSON keys, a query's result) and asks.

/** The first two names that are equal ignoring letter case (an exact repeat included), or undefined. */
export function nameClash(names: readonly string[]): { first: string; second: string } | undefined {
  const seen = new Map<string, string>();
  for (const name of names) {
    const prior = seen.get(name.toLowerCase());
    if (prior !== undefined) return { first: prior, second: name };
    seen.set(name.toLowerCase(), name);
  }
  return undefined;
}

/** One line for a clash: the same name twice, or two names that differ only in case. */
export function describeClash(clash: { first: string; second: string }, where: string, fix: string): string {
  return clash.first === clash.second
    ? `${where} names the column "${clash.first}" twice; raas cannot tell which one a name means: ${fix}`
    : `${where} has the columns "${clash.first}" and "${clash.second}", which differ only in letter case; names ignore case in SQL, so raas cannot tell which one a name means: ${fix}`;
}

/**
 * The top-level column names of a Parquet file from parquet_schema() rows (depth-first:
 * the root, then each column followed by its nested fields).
 */
export function parquetTopLevelNames(rows: ReadonlyArray<{ name: string; children: number }>): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (at: number): number => {
    let next = at + 1;
    for (let c = 0; c < (rows[at]?.children ?? 0); c++) next = skip(next);
    return next;
  };
  const total = rows[0]?.children ?? 0;
  for (let c = 0; c < total && i < rows.length; c++) {
    names.push(rows[i]!.name);
    i = skip(i);
  }
  return names;
}

/**
 * Whether a date or timestamp format the CSV sniffer chose can be trusted: year first,
 * then month, then day (2024-01-31, 2024/01/31). Any other order is a guess from the
 * data that another file of the same feed may guess the other way.
 */
export function unambiguousDateFormat(format: string): boolean {
  return /^%Y[^%]?%m[^%]?%d/.test(format);
}
