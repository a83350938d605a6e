// Checks user SQL the way it will run: alone (one SELECT over the relations it may read,
// user-sql.ts) and inside the statement the runner writes around it (one statement that
// holds the user's SELECT unchanged). Used by the run and by `raas validate`, which
// renders the same statements from the same builders without any data.
import { checkEmbedded, checkUserSelect, UserSqlError } from '../compare/user-sql.ts';

/** What the check needs from a DuckDB connection (run/duck.ts). */
export interface SqlParser {
  parseTree(sql: string): Promise<unknown>;
  statementCount(sql: string): Promise<number | { error: string }>;
}

export interface UserSqlUse {
  /** The user's SQL, rendered. */
  text: string;
  field: string;
  /** Relations it may read. */
  allowed: readonly string[];
  /** The SELECT the runner builds around it, and the whole statement that runs (the SELECT, or a view over it). */
  select: string;
  statement: string;
}

export async function checkUserSql(parser: SqlParser, use: UserSqlUse): Promise<void> {
  const alone = await parser.parseTree(use.text);
  checkUserSelect(alone, use.field, use.allowed);
  const count = await parser.statementCount(use.statement);
  if (typeof count !== 'number') throw new UserSqlError(use.field, `does not parse inside the statement raas runs: ${count.error}; write one SELECT whose parentheses and quotes are balanced`);
  checkEmbedded(alone, await parser.parseTree(use.select), count, use.field);
}
