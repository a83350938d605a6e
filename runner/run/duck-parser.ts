// An in-memory DuckDB for parsing only (no data, no files), for the checks that need no
// data (check-without-data.ts). A module of its own so that its importers load it with
// import() of this file, not of the package: the build bundles every package that is not
// imported with import() by name, and DuckDB's API loaded as an external CommonJS
// package costs a run more start-up time than the work of a 10k-row recon.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from '../compare/sql-text.ts';
import type { SqlParser } from './user-sql-check.ts';

export async function openDuckParser(): Promise<SqlParser> {
  const instance = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn: DuckDBConnection = await instance.connect();
  return {
    parseTree: async (sql) => JSON.parse(String((await conn.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS t`)).getRowObjectsJS()[0]!.t)) as unknown,
    statementCount: async (sql) => {
      try {
        return (await conn.extractStatements(sql)).count;
      } catch (err) {
        return { error: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
      }
    },
  };
}
