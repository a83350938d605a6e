// Runs one baseline statement in its own process, so the benchmark measures its wall
// time and peak RSS exactly as it measures the raas CLI. Prints {"rows": n} on stdout.
//
//   node .tmp/bench/baseline-child.mjs (compiled by the bench from this file) <naive|fair> <left> <right> <out> <tempDir> [memoryLimit]
import { DuckDBInstance } from '@duckdb/node-api';
import { baselineSql, isNumericType, type BaselineVariant } from './baseline-sql.ts';

const [variant, left, right, out, tempDir, memoryLimit] = process.argv.slice(2);
if ((variant !== 'naive' && variant !== 'fair') || !left || !right || !out || !tempDir) {
  process.stderr.write('usage: baseline-child.ts <naive|fair> <left> <right> <out> <tempDir> [memoryLimit]\n');
  process.exit(2);
}

// The same engine settings raas opens DuckDB with (runner/run/duck.ts), so differences
// come from the SQL, not from configuration.
const config: Record<string, string> = { temp_directory: tempDir, preserve_insertion_order: 'false' };
if (memoryLimit) config.memory_limit = memoryLimit;
const inst = await DuckDBInstance.create(':memory:', config);
const conn = await inst.connect();
// The compared columns are every non-key column of the left file (both files have the same
// ones), so the statement follows whichever data shape the bench generated.
const lit = `'${left.replaceAll("'", "''")}'`;
const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${lit})`)).getRows();
const columns = described.map((r) => ({ name: String(r[0]), numeric: isNumericType(String(r[1])) })).filter((c) => c.name !== 'id');
const reader = await conn.runAndReadAll(baselineSql(variant as BaselineVariant, left, right, out, columns));
// COPY ... TO answers with one row: the number of rows written.
const written = reader.getRows()[0]?.[0];
conn.closeSync();
inst.closeSync();
process.stdout.write(`${JSON.stringify({ rows: Number(written) })}\n`);
