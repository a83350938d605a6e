// Decides whether user SQL (a side's `query`, a summary's `sql`) may run: exactly one
// read-only SELECT that reads only the relations it is given (docs/design.md, Safety). Pure: the input
// is DuckDB's own parse tree (json_serialize_sql, see run/duck.ts), not a regex over the
// text, so comments, quoting and nesting cannot hide a statement or a table.

export class UserSqlError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'UserSqlError';
  }
}

/** Table functions that only make rows from their arguments; every other one may read data or run SQL text. */
const SAFE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

interface Serialized {
  error?: boolean;
  error_type?: string;
  error_message?: string;
  statements?: unknown[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names a node's WITH clause defines (DuckDB: `cte_map.map[].key`). */
function cteNames(node: Json): string[] {
  const map = isObject(node.cte_map) ? node.cte_map.map : undefined;
  if (!Array.isArray(map)) return [];
  return map.flatMap((e) => (isObject(e) && typeof e.key === 'string' ? [e.key.toLowerCase()] : []));
}

/**
 * Throws a UserSqlError naming `field` unless `serialized` (the parsed output of
 * json_serialize_sql) is one SELECT whose tables are all in `allowed` or its own WITH
 * names, or text that does not parse at all (left to DuckDB's own message). Names
 * compare ignoring case, as DuckDB resolves them.
 */
export function checkUserSelect(serialized: unknown, field: string, allowed: readonly string[]): void {
  const s = (isObject(serialized) ? serialized : {}) as Serialized;
  const allowedText = allowed.join(', ');
  if (s.error) {
    if (s.error_type === 'not implemented') {
      throw new UserSqlError(field, `must be one read-only SELECT statement (reading ${allowedText}); statements that change or describe the database are not allowed`);
    }
    // A syntax error: running the statement reports it with its line and position, and
    // DuckDB parses a whole text before running any of it, so nothing runs.
    return;
  }
  const statements = Array.isArray(s.statements) ? s.statements : [];
  if (statements.length !== 1) {
    throw new UserSqlError(field, `must be exactly one SELECT statement, found ${statements.length}; remove the extra statements (a ";" in the middle separates statements)`);
  }
  const permitted = new Set(allowed.map((a) => a.toLowerCase()));
  const visit = (v: unknown, scope: ReadonlySet<string>): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, scope);
      return;
    }
    if (!isObject(v)) return;
    const ctes = cteNames(v);
    const inner = ctes.length ? new Set([...scope, ...ctes]) : scope;
    if (ctes.length && isObject(v.cte_map) && Array.isArray(v.cte_map.map)) {
      // A WITH body sees the names defined before it, not itself or later ones: DuckDB
      // would resolve those to the engine's own relations, so they count as not allowed.
      v.cte_map.map.forEach((entry, i) => visit(isObject(entry) ? entry.value : undefined, new Set([...scope, ...ctes.slice(0, i)])));
    }
    if (v.type === 'BASE_TABLE') {
      const name = String(v.table_name ?? '');
      const qualified = [v.catalog_name, v.schema_name].some((p) => typeof p === 'string' && p !== '');
      if (qualified || !(permitted.has(name.toLowerCase()) || inner.has(name.toLowerCase()))) {
        const shown = [v.catalog_name, v.schema_name, name].filter((p) => typeof p === 'string' && p !== '').join('.');
        throw new UserSqlError(field, `reads "${shown}", which it may not; read only ${allowedText} (and names your own WITH clause defines)`);
      }
    }
    if (v.type === 'TABLE_FUNCTION') {
      const fn = isObject(v.function) ? String(v.function.function_name ?? '') : '';
      if (!SAFE_TABLE_FUNCTIONS.has(fn.toLowerCase())) {
        throw new UserSqlError(field, `calls the table function ${fn}(), which user SQL may not use; read only ${allowedText} (range, generate_series and unnest are allowed)`);
      }
    }
    for (const [k, child] of Object.entries(v)) if (k !== 'cte_map') visit(child, inner);
  };
  visit(statements[0], new Set());
}
