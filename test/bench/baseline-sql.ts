// The two hand-written baselines raas is measured against (docs/design.md, Performance targets): the comparison
// as ONE DuckDB statement. Both write the same result columns as raas (key, status, the
// mismatched column list, left/right/diff per column, sorted by key) so the only
// difference in work is how raas gets there.
//
// - naive: a plain FULL OUTER JOIN; duplicate keys would multiply and NULL keys would
//   show up as one-sided rows. The absolute lower bound.
// - fair:  raas's semantics (docs/design.md, Compare semantics): NULL keys excluded, keys occurring more than
//   once on a side found with GROUP BY id HAVING count(*) > 1, set aside on both sides
//   and reported once as `duplicate`.

export type BaselineVariant = 'naive' | 'fair';

function lit(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A compared column of the bench files; numeric ones get a `<name>_diff` result column, as in raas. */
export interface BaselineColumn {
  name: string;
  numeric: boolean;
}

/** Whether a DuckDB type is a number (raas writes a `_diff` column for it). */
export function isNumericType(type: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|DECIMAL)/i.test(type);
}

/** `l`/`r` are the joined relations; a side is missing when its `__p` marker is NULL. */
function diffSelect(columns: readonly BaselineColumn[]): string {
  const COLUMNS = columns.map((c) => c.name);
  const NUMERIC = new Set(columns.filter((c) => c.numeric).map((c) => c.name));
  const differs = COLUMNS.map((c) => `l.${c} IS DISTINCT FROM r.${c}`);
  const status =
    `CASE WHEN l.__p IS NULL THEN 'right_only' WHEN r.__p IS NULL THEN 'left_only' ` + `WHEN ${differs.join(' OR ')} THEN 'mismatch' ELSE 'match' END`;
  const mismatched = `CASE WHEN l.__p AND r.__p THEN list_filter([${COLUMNS.map((c) => `CASE WHEN l.${c} IS DISTINCT FROM r.${c} THEN '${c}' END`).join(', ')}], x -> x IS NOT NULL) ELSE []::VARCHAR[] END`;
  const values = COLUMNS.flatMap((c) => [`l.${c} AS ${c}_left`, `r.${c} AS ${c}_right`, ...(NUMERIC.has(c) ? [`r.${c} - l.${c} AS ${c}_diff`] : [])]);
  return (
    `SELECT id, ${status} AS recon_status, ${mismatched} AS recon_mismatched, ${values.join(', ')} ` +
    `FROM l FULL OUTER JOIN r USING (id) WHERE l.__p IS NULL OR r.__p IS NULL OR ${differs.join(' OR ')}`
  );
}

export function baselineSql(variant: BaselineVariant, left: string, right: string, out: string, columns: readonly BaselineColumn[]): string {
  const opts = '(FORMAT parquet, COMPRESSION zstd)';
  // The `__p` marker tells a missing side from a NULL value without relying on the key.
  if (variant === 'naive') {
    return (
      `COPY (WITH l AS (SELECT *, true AS __p FROM read_parquet(${lit(left)})), r AS (SELECT *, true AS __p FROM read_parquet(${lit(right)})) ` +
      `${diffSelect(columns)} ORDER BY id, recon_status) TO ${lit(out)} ${opts}`
    );
  }
  // read_parquet is repeated rather than shared through one CTE so DuckDB never
  // materialises a whole side to reuse it.
  const dups = (file: string) => `SELECT id FROM read_parquet(${lit(file)}) WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1`;
  const oneToOne = (file: string) =>
    `SELECT s.*, true AS __p FROM read_parquet(${lit(file)}) s ANTI JOIN dup d ON s.id = d.id WHERE s.id IS NOT NULL`;
  const dupRows = [
    'id',
    `'duplicate' AS recon_status`,
    '[]::VARCHAR[] AS recon_mismatched',
    ...columns.flatMap((c) => [`NULL AS ${c.name}_left`, `NULL AS ${c.name}_right`, ...(c.numeric ? [`NULL AS ${c.name}_diff`] : [])]),
  ];
  return (
    `COPY (WITH dup AS (SELECT DISTINCT id FROM (${dups(left)} UNION ALL ${dups(right)})), ` +
    `l AS (${oneToOne(left)}), r AS (${oneToOne(right)}) ` +
    `${diffSelect(columns)} UNION ALL BY NAME SELECT ${dupRows.join(', ')} FROM dup ORDER BY id, recon_status) TO ${lit(out)} ${opts}`
  );
}
