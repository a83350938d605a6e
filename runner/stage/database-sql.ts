// Decides whether a database source's query may reach the server: exactly one SELECT
// that returns rows and changes nothing, checked with a parser made for the dialect
// (PostgreSQL's own parser, compiled to WebAssembly, for postgres://; node-sql-parser's
// MySQL grammar for mysql://, MariaDB included: its MariaDB grammar refuses plain column
// names such as `status`), never a regex. The read-only transaction and a
// read-only credential stay the walls behind it: this check refuses what is plainly
// not a read before any byte goes to the server.
import { StageError } from './types.ts';

export type DatabaseDialect = 'postgres' | 'mysql';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Functions that act on the server rather than read rows: run SQL text, read or write the
 * server's files, wait, take locks, signal other sessions or change settings. A
 * deliberately short list: the read-only transaction and credential do the rest.
 */
const PG_FUNCTIONS = new Set([
  'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'lo_import', 'lo_export', 'lo_from_bytea', 'lo_put',
  'pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile',
  'set_config', 'pg_notify', 'nextval', 'setval', 'query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema',
  'cursor_to_xml', 'cursor_to_xmlschema', 'dblink', 'dblink_exec', 'dblink_open', 'dblink_send_query', 'dblink_connect',
  'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared',
  'pg_try_advisory_lock', 'pg_try_advisory_lock_shared', 'pg_try_advisory_xact_lock', 'pg_try_advisory_xact_lock_shared',
]);
const MYSQL_FUNCTIONS = new Set(['sleep', 'benchmark', 'get_lock', 'release_lock', 'release_all_locks', 'is_used_lock', 'load_file', 'master_pos_wait', 'source_pos_wait', 'master_gtid_wait']);

/** Statement node types of PostgreSQL's parse tree that write; anywhere in a query (a data-modifying WITH) they are refused. */
const PG_WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function refusal(field: string, why: string): StageError {
  return new StageError(`${field}: ${why}; a database query must be exactly one SELECT that only reads (no INTO, no FOR UPDATE/SHARE, no data-changing WITH)`, field);
}

/** Throws a StageError naming `field` unless `sql` (as sent, with $1/? placeholders) is one read-only SELECT. */
export async function checkDatabaseSelect(dialect: DatabaseDialect, sql: string, field: string): Promise<void> {
  if (dialect === 'postgres') await checkPostgres(sql, field);
  else await checkMysql(sql, field);
}

async function checkPostgres(sql: string, field: string): Promise<void> {
  const { parse } = await import('libpg-query');
  let tree: { stmts?: Array<{ stmt?: Json }> };
  try {
    tree = (await parse(sql)) as typeof tree;
  } catch (err) {
    const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = details?.cursorPosition !== undefined ? ` at character ${details.cursorPosition + 1}` : '';
    throw refusal(field, `does not parse as PostgreSQL: ${err instanceof Error ? err.message : String(err)}${at}`);
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) throw refusal(field, `holds ${stmts.length} statements`);
  const kind = Object.keys(stmts[0]?.stmt ?? {})[0] ?? 'nothing';
  if (kind !== 'SelectStmt') throw refusal(field, `is a ${kind.replace(/Stmt$/, '')} statement, not a SELECT`);
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isObject(v)) return;
    for (const [k, child] of Object.entries(v)) {
      if (PG_WRITES.has(k)) throw refusal(field, `contains a ${k.replace(/Stmt$/, '').toUpperCase()} (in a WITH clause)`);
      if (k === 'intoClause') throw refusal(field, 'uses SELECT INTO, which creates a table');
      if (k === 'lockingClause') throw refusal(field, 'takes row locks (FOR UPDATE/SHARE)');
      if (k === 'FuncCall' && isObject(child) && Array.isArray(child.funcname)) {
        const last = child.funcname[child.funcname.length - 1];
        const name = isObject(last) && isObject(last.String) ? String(last.String.sval ?? '').toLowerCase() : '';
        if (PG_FUNCTIONS.has(name)) throw refusal(field, `calls ${name}(), which acts on the server instead of reading rows`);
      }
      visit(child);
    }
  };
  visit(stmts[0]!.stmt);
}

/**
 * MySQL reads `/*! … *\/` comments as SQL, `--` as a comment only before a space, and
 * backslashes in strings by the server's sql_mode: text where a parser and the server
 * could disagree is refused before parsing.
 */
function mysqlLexicalTraps(sql: string): string | undefined {
  if (/\/\*[!M+]/.test(sql)) return 'holds a /*! … */ comment, which MySQL and MariaDB run as SQL; remove it';
  if (sql.includes('\\')) return 'holds a backslash, which the server reads by its sql_mode (NO_BACKSLASH_ESCAPES); write the character with CHAR() or double the quote instead';
  if (/--(?![ \t\r\n]|$)/.test(sql)) return 'holds "--" not followed by a space: MySQL reads it as two minus signs, not a comment; write "-- " for a comment or "- -" for the arithmetic';
  return undefined;
}

async function checkMysql(sql: string, field: string): Promise<void> {
  const trap = mysqlLexicalTraps(sql);
  if (trap) throw refusal(field, trap);
  // The MySQL build alone (about 0.3 MB) rather than every dialect's grammar.
  const { default: nsp } = await import('node-sql-parser/build/mysql.js');
  let ast: unknown;
  try {
    ast = new nsp.Parser().astify(sql, { database: 'MySQL' });
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    const loc = (err as { location?: { start?: { line?: number; column?: number } } }).location?.start;
    throw refusal(field, `does not parse as a MySQL/MariaDB SELECT${loc ? ` (line ${loc.line}, column ${loc.column})` : ''}: ${msg.length > 160 ? `${msg.slice(0, 160)}…` : msg}`);
  }
  const stmts = Array.isArray(ast) ? ast : [ast];
  if (stmts.length !== 1) throw refusal(field, `holds ${stmts.length} statements`);
  const top = stmts[0];
  if (!isObject(top) || top.type !== 'select') throw refusal(field, `is a ${isObject(top) ? String(top.type).toUpperCase() : 'non-SELECT'} statement, not a SELECT`);
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isObject(v)) return;
    if (isObject(v.into) && v.into.position !== null && v.into.position !== undefined) throw refusal(field, 'uses SELECT … INTO, which writes a file or variables');
    if (v.locking_read !== null && v.locking_read !== undefined) throw refusal(field, 'takes row locks (FOR UPDATE / LOCK IN SHARE MODE)');
    if (typeof v.type === 'string' && ['insert', 'update', 'delete', 'replace', 'call', 'create', 'drop', 'alter', 'truncate', 'rename', 'set', 'lock', 'unlock'].includes(v.type)) {
      throw refusal(field, `contains a ${v.type.toUpperCase()} statement`);
    }
    if (v.type === 'function' && isObject(v.name) && Array.isArray(v.name.name)) {
      const last = v.name.name[v.name.name.length - 1];
      const name = isObject(last) ? String(last.value ?? '').toLowerCase() : '';
      if (MYSQL_FUNCTIONS.has(name)) throw refusal(field, `calls ${name.toUpperCase()}(), which acts on the server instead of reading rows`);
    }
    Object.values(v).forEach(visit);
  };
  visit(top);
}
