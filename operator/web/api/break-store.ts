// The results catalog's break tables (PostgreSQL): an append-only audit trail of every
// assign, comment, close and reopen (`raas_break_events`, guarded by a trigger that
// refuses UPDATE, DELETE and TRUNCATE), and each break's current state folded from it
// (`raas_breaks`, rewritten in the same transaction), which is what runs read to keep
// closed breaks closed. One transaction per action, serialized per break.
import type { Pool, PoolClient } from 'pg';
import { actionConflict, BREAK_ACTIONS, CLOSE_REASONS, foldEvents, MAX_COMMENT, type BreakAction, type BreakEvent, type BreakWork, type CloseReason } from './breaks.ts';

export class CatalogUnavailable extends Error {}

export interface BreakStore {
  /** The current state of every break of a job anyone has worked on (`table`: the job's output.catalog.breaks). */
  work(namespace: string, job: string, table?: string): Promise<BreakWork[]>;
  /** A break's audit trail, oldest first. */
  events(namespace: string, job: string, breakId: string): Promise<BreakEvent[]>;
  /**
   * Appends one action (the actor and time are the server's) after checking it against
   * the break's state; `conflict` is the reason it cannot apply (nothing is written then).
   */
  record(e: { namespace: string; job: string; breakId: string; run: string; actor: string; fingerprint: string; action: BreakAction; table?: string }): Promise<{ event?: BreakEvent; work?: BreakWork; conflict?: string }>;
  close(): Promise<void>;
}

export const EVENTS_TABLE = 'raas_break_events';
/** The state table runs read closures from, unless a job names another (spec.output.catalog.breaks). */
export const STATE_TABLE = 'raas_breaks';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** "schema.table" quoted; anything but plain identifiers is refused (the name comes from a job spec). */
export function stateTableSql(name: string): { sql: string; schema?: string } {
  if (!TABLE_NAME.test(name)) throw new CatalogUnavailable(`the break table name ${JSON.stringify(name.slice(0, 80))} is not a plain (schema.)table identifier`);
  const parts = name.split('.');
  return { sql: parts.map((p) => `"${p}"`).join('.'), ...(parts.length === 2 ? { schema: parts[0]! } : {}) };
}

/** The DDL, idempotent. Pure text so a test can read what is created. */
export function breakTablesSql(stateTable = STATE_TABLE): string[] {
  const state = stateTableSql(stateTable);
  const actions = BREAK_ACTIONS.map((a) => `'${a}'`).join(', ');
  const reasons = CLOSE_REASONS.map((r) => `'${r}'`).join(', ');
  return [
    `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
  id bigserial PRIMARY KEY,
  namespace text NOT NULL,
  job text NOT NULL,
  break_id text NOT NULL,
  run text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL,
  action text NOT NULL CHECK (action IN (${actions})),
  assignee text,
  reason text CHECK (reason IS NULL OR reason IN (${reasons})),
  comment text CHECK (comment IS NULL OR char_length(comment) <= ${MAX_COMMENT}),
  fingerprint text
)`,
    `CREATE INDEX IF NOT EXISTS ${EVENTS_TABLE}_break ON ${EVENTS_TABLE} (namespace, job, break_id, id)`,
    `CREATE OR REPLACE FUNCTION ${EVENTS_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '${EVENTS_TABLE} is an append-only audit trail; % is not allowed', TG_OP;
END $$`,
    `CREATE OR REPLACE TRIGGER ${EVENTS_TABLE}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${EVENTS_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION ${EVENTS_TABLE}_append_only()`,
    ...(state.schema ? [`CREATE SCHEMA IF NOT EXISTS "${state.schema}"`] : []),
    // namespace, job, break_id, state and version are what runs read (docs/user-guide/breaks.md).
    `CREATE TABLE IF NOT EXISTS ${state.sql} (
  namespace text NOT NULL,
  job text NOT NULL,
  break_id text NOT NULL,
  owner text,
  state text NOT NULL CHECK (state IN ('open', 'closed')),
  closed_reason text,
  closed_by text,
  closed_at timestamptz,
  closed_run text,
  version text,
  comments integer NOT NULL,
  last_comment text,
  last_comment_by text,
  last_comment_at timestamptz,
  updated_at timestamptz NOT NULL,
  last_event bigint NOT NULL,
  PRIMARY KEY (namespace, job, break_id)
)`,
  ];
}

interface EventRow {
  id: string;
  namespace: string;
  job: string;
  break_id: string;
  run: string;
  at: Date;
  actor: string;
  action: string;
  assignee: string | null;
  reason: string | null;
  comment: string | null;
  fingerprint: string | null;
}

function toEvent(r: EventRow): BreakEvent {
  return {
    id: String(r.id),
    namespace: r.namespace,
    job: r.job,
    breakId: r.break_id,
    run: r.run,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action as BreakEvent['action'],
    ...(r.action === 'assign' ? { assignee: r.assignee } : {}),
    ...(r.reason ? { reason: r.reason as CloseReason } : {}),
    ...(r.comment ? { comment: r.comment } : {}),
    ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
  };
}

function scrubber(url: string): (m: string) => string {
  const secrets = [url];
  try {
    const p = new URL(url).password;
    if (p) secrets.push(p, decodeURIComponent(p));
  } catch {
    // an unparsable URL fails in the driver; the whole string is still scrubbed
  }
  return (m) => secrets.filter((s) => s.length >= 3).reduce((acc, s) => acc.split(s).join('***'), m);
}

/** Opens the catalog lazily: the web server starts (read-only pages work) while it is down. */
export async function openBreakStore(url: string): Promise<BreakStore> {
  const { default: pg } = await import('pg');
  const pool: Pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  const scrub = scrubber(url);
  const ready = new Map<string, Promise<void>>();

  async function withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let c: PoolClient;
    try {
      c = await pool.connect();
    } catch (err) {
      throw new CatalogUnavailable(`the results catalog is unreachable: ${scrub((err as Error).message)}`);
    }
    try {
      return await fn(c);
    } finally {
      c.release();
    }
  }

  const ensure = (table: string) => {
    let p = ready.get(table);
    if (!p) {
      p = withClient(async (c) => {
        await c.query('BEGIN');
        try {
          // Two web replicas starting at once must not race on CREATE … IF NOT EXISTS.
          await c.query(`SELECT pg_advisory_xact_lock(hashtext('${EVENTS_TABLE}'))`);
          for (const sql of breakTablesSql(table)) await c.query(sql);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw new CatalogUnavailable(`the results catalog refused its break tables: ${scrub((err as Error).message)}`);
        }
      });
      ready.set(table, p);
      p.catch(() => ready.delete(table));
    }
    return p;
  };

  async function eventsOf(c: PoolClient, ns: string, job: string, id: string): Promise<BreakEvent[]> {
    const res = await c.query<EventRow>(`SELECT * FROM ${EVENTS_TABLE} WHERE namespace = $1 AND job = $2 AND break_id = $3 ORDER BY id`, [ns, job, id]);
    return res.rows.map(toEvent);
  }

  return {
    async work(ns, job, table = STATE_TABLE) {
      await ensure(table);
      return withClient(async (c) => {
        const res = await c.query<{ break_id: string; owner: string | null; closed_reason: string | null; closed_by: string | null; closed_at: Date | null; closed_run: string | null; version: string | null; comments: number; last_comment: string | null; last_comment_by: string | null; last_comment_at: Date | null; updated_at: Date }>(
          `SELECT * FROM ${stateTableSql(table).sql} WHERE namespace = $1 AND job = $2`,
          [ns, job],
        );
        return res.rows.map((r) => ({
          breakId: r.break_id,
          ...(r.owner ? { owner: r.owner } : {}),
          ...(r.closed_reason && r.version !== null
            ? { closed: { reason: r.closed_reason as CloseReason, by: r.closed_by ?? '', at: r.closed_at?.toISOString() ?? '', run: r.closed_run ?? '', fingerprint: r.version } }
            : {}),
          comments: r.comments,
          ...(r.last_comment ? { lastComment: { by: r.last_comment_by ?? '', at: r.last_comment_at?.toISOString() ?? '', text: r.last_comment } } : {}),
          updatedAt: r.updated_at.toISOString(),
        }));
      });
    },

    async events(ns, job, id) {
      await ensure(STATE_TABLE);
      return withClient((c) => eventsOf(c, ns, job, id));
    },

    async record(e) {
      const table = e.table ?? STATE_TABLE;
      await ensure(table);
      return withClient(async (c) => {
        await c.query('BEGIN');
        try {
          // One writer per break at a time: the check and the append see the same history.
          await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${e.namespace}/${e.job}/${e.breakId}`]);
          const before = foldEvents(e.breakId, await eventsOf(c, e.namespace, e.job, e.breakId));
          const conflict = actionConflict(e.action, before.updatedAt ? before : undefined, e.fingerprint);
          if (conflict) {
            await c.query('ROLLBACK');
            return { conflict };
          }
          const a = e.action;
          const ins = await c.query<EventRow>(
            `INSERT INTO ${EVENTS_TABLE} (namespace, job, break_id, run, actor, action, assignee, reason, comment, fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
            [e.namespace, e.job, e.breakId, e.run, e.actor, a.action, a.action === 'assign' ? a.assignee : null, a.action === 'close' ? a.reason : null, a.comment ?? null, a.action === 'close' ? e.fingerprint : null],
          );
          const event = toEvent(ins.rows[0]!);
          const w = foldEvents(e.breakId, await eventsOf(c, e.namespace, e.job, e.breakId));
          await c.query(
            `INSERT INTO ${stateTableSql(table).sql} (namespace, job, break_id, owner, state, closed_reason, closed_by, closed_at, closed_run, version, comments, last_comment, last_comment_by, last_comment_at, updated_at, last_event)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             ON CONFLICT (namespace, job, break_id) DO UPDATE SET owner = EXCLUDED.owner, state = EXCLUDED.state, closed_reason = EXCLUDED.closed_reason, closed_by = EXCLUDED.closed_by,
               closed_at = EXCLUDED.closed_at, closed_run = EXCLUDED.closed_run, version = EXCLUDED.version, comments = EXCLUDED.comments, last_comment = EXCLUDED.last_comment,
               last_comment_by = EXCLUDED.last_comment_by, last_comment_at = EXCLUDED.last_comment_at, updated_at = EXCLUDED.updated_at, last_event = EXCLUDED.last_event`,
            [
              e.namespace, e.job, e.breakId, w.owner ?? null, w.closed ? 'closed' : 'open', w.closed?.reason ?? null, w.closed?.by ?? null, w.closed?.at ?? null, w.closed?.run ?? null,
              w.closed?.fingerprint ?? null, w.comments, w.lastComment?.text ?? null, w.lastComment?.by ?? null, w.lastComment?.at ?? null, event.at, event.id,
            ],
          );
          await c.query('COMMIT');
          return { event, work: w };
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw new CatalogUnavailable(`the results catalog refused the write: ${scrub((err as Error).message)}`);
        }
      });
    },

    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}
