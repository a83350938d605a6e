// The DuckDB edge: an in-memory database with a memory limit and a spill directory, so
// inputs larger than RAM complete (DuckDB spills an in-memory database's temp tables and
// operator state to temp_directory), and a lock-down step that leaves user SQL unable to
// read anything but the staged inputs or to change the configuration.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { quoteLiteral } from '../compare/sql-text.ts';

export interface DuckOptions {
  workDir: string;
  memoryLimit?: string;
  threads?: number;
}

export type Row = Record<string, unknown>;

export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly spillDir: string,
  ) {}

  static async open(opts: DuckOptions): Promise<Duck> {
    const spillDir = join(opts.workDir, 'spill');
    const config: Record<string, string> = {
      temp_directory: spillDir,
      // Row order inside the engine does not matter; results are sorted when written.
      preserve_insertion_order: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    if (opts.threads) config.threads = String(opts.threads);
    // In memory, not a file in workDir: with a database file DuckDB's joins ran at the same
    // CPU time but ~1.5x the wall time at 10M rows (measured in `npm run bench`),
    // and nothing here needs to outlive the process. Spilling is unchanged: temp_directory.
    const instance = await DuckDBInstance.create(':memory:', config);
    const conn = await instance.connect();
    // Timestamps without a zone are read as UTC, the same on every machine.
    await conn.run(`SET TimeZone = 'UTC'`);
    return new Duck(instance, conn, spillDir);
  }

  async exec(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async rows(sql: string): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Row[];
  }

  async one(sql: string): Promise<Row> {
    const rows = await this.rows(sql);
    if (rows.length !== 1) throw new Error(`internal: expected one row from ${sql.slice(0, 80)}…, got ${rows.length}`);
    return rows[0]!;
  }

  async describe(relation: string): Promise<Array<{ name: string; type: string }>> {
    const rows = await this.rows(`DESCRIBE SELECT * FROM ${relation}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /** DuckDB's own parse of `sql` (json_serialize_sql): the statements as JSON, or the parser's error. */
  async parseTree(sql: string): Promise<unknown> {
    const row = await this.one(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS tree`);
    return JSON.parse(String(row.tree));
  }

  /**
   * How many statements DuckDB's own statement splitter finds in `sql` (the text about to
   * run), or its parser's message when the text does not parse.
   */
  async statementCount(sql: string): Promise<number | { error: string }> {
    try {
      return (await this.conn.extractStatements(sql)).count;
    } catch (err) {
      return { error: duckMessage(err) };
    }
  }

  /** The names of the columns `sql` (one SELECT) returns, as written: bound, not run. */
  async resultNames(sql: string): Promise<string[]> {
    const prepared = await this.conn.prepare(sql);
    return Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i));
  }

  /**
   * After staging: user SQL may read only the staged files and write only under the
   * given directories, and cannot undo that (docs/design.md, The runner).
   */
  async lockDown(allowedFiles: string[], allowedDirs: string[]): Promise<void> {
    const list = (xs: string[]) => `[${xs.map(quoteLiteral).join(', ')}]`;
    await this.exec(`SET allowed_paths = ${list(allowedFiles)}`);
    await this.exec(`SET allowed_directories = ${list([...allowedDirs, this.spillDir])}`);
    await this.exec(`SET enable_external_access = false`);
    await this.exec(`SET lock_configuration = true`);
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** DuckDB messages start with their error class and may carry a LINE pointer; keep them readable on one line. */
export function duckMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\^+$/.test(l))
    .join(' | ');
}
