// The result table's `recon_mismatched` column, read the same way wherever the web reads it.
/**
 * `recon_mismatched` as a list of names, whatever file it came from: Parquet keeps the
 * list; CSV holds a JSON array (parsed, so `Amount (EUR)` or `a, b` stay one name). CSV
 * files written before the JSON form hold DuckDB's `[a, b]` text, which is split on ", "
 * as a last resort (exact for names without ", ").
 */
export function mismatchedListSql(type: string | undefined): string {
  if (type === undefined) return '[]::VARCHAR[]';
  if (type.endsWith('[]')) return 'CAST(recon_mismatched AS VARCHAR[])';
  return `CASE WHEN json_valid(recon_mismatched) THEN from_json(recon_mismatched, '["VARCHAR"]') ELSE string_split(trim(recon_mismatched, '[] '), ', ') END`;
}
