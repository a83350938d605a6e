// Decides whether user SQL (a side's `query`, a summary's `sql`) may run: exactly one
// read-only SELECT that reads only the relations it is given (docs/design.md, Safety). Pure: the input
// is DuckDB's own parse tree (json_serialize_sql, see run/duck.ts), not a regex over the
// text, so comments, quoting and nesting cannot hide a statement or a table.
//
// The user's text runs inside a larger statement the runner writes around it. Text that
// does not parse alone could close the runner's parenthesis and open statements of its
// own, so it is refused; and the statement that really runs is checked too: one
// statement, holding the user's SELECT exactly as it parsed alone (checkEmbedded).

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
 * names. Text that does not parse on its own is refused with the parser's message.
 * Names compare ignoring case, as DuckDB resolves them.
 */
export function checkUserSelect(serialized: unknown, field: string, allowed: readonly string[]): void {
  const s = (isObject(serialized) ? serialized : {}) as Serialized;
  const allowedText = allowed.join(', ');
  if (s.error) {
    if (s.error_type === 'not implemented') {
      throw new UserSqlError(field, `must be one read-only SELECT statement (reading ${allowedText}); statements that change or describe the database are not allowed`);
    }
    // Never "DuckDB will report it": spliced into the runner's statement, text that does
    // not parse alone may parse there as something else (a closing parenthesis and a
    // second statement).
    throw new UserSqlError(field, `does not parse as one complete SELECT on its own: ${parserMessage(s)}; fix the SQL (balanced parentheses and quotes, no closing of the runner's statement)`);
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

function parserMessage(s: Serialized & { position?: unknown }): string {
  const msg = String(s.error_message ?? s.error_type ?? 'syntax error');
  const at = typeof s.position === 'string' || typeof s.position === 'number' ? ` (character ${Number(s.position) + 1})` : '';
  return `${msg}${at}`;
}

/** A parse tree without source positions: the same SQL parses to the same tree wherever it sits in a text. */
function withoutLocations(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutLocations);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'query_location').map(([k, x]) => [k, withoutLocations(x)]));
}

/**
 * Checks the statement that really runs: `runStatementCount` is how many statements
 * DuckDB's own statement splitter finds in the full text, `runTree` the parse of its
 * SELECT. It must be exactly one statement, and the user's statement (`userTree`, as
 * parsed alone and accepted by checkUserSelect) must appear in it unchanged as a
 * subquery: the surrounding text changes nothing about what the user's text means.
 */
export function checkEmbedded(userTree: unknown, runTree: unknown, runStatementCount: number, field: string): void {
  const refuse = (why: string) => new UserSqlError(field, `${why}; write one SELECT whose parentheses and quotes are balanced`);
  if (runStatementCount !== 1) throw refuse(`would make the statement raas runs into ${runStatementCount} statements`);
  const run = (isObject(runTree) ? runTree : {}) as Serialized;
  if (run.error || !Array.isArray(run.statements) || run.statements.length !== 1) throw refuse(`does not parse inside the statement raas runs (${run.error ? parserMessage(run) : 'not one SELECT'})`);
  const user = (isObject(userTree) ? userTree : {}) as Serialized;
  const mine = Array.isArray(user.statements) && user.statements.length === 1 ? JSON.stringify(withoutLocations(user.statements[0])) : undefined;
  let found = false;
  const visit = (v: unknown): void => {
    if (found) return;
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (!isObject(v)) return;
    if (v.type === 'SUBQUERY' && JSON.stringify(withoutLocations(v.subquery)) === mine) {
      found = true;
      return;
    }
    Object.values(v).forEach(visit);
  };
  if (mine !== undefined) visit(run.statements[0]);
  if (!found) throw refuse('means something else inside the statement raas runs than on its own');
}
