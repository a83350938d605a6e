// The break tables in a real PostgreSQL: actions append to the audit trail and fold into
// the state runs read; the trail refuses UPDATE, DELETE and TRUNCATE even from the table
// owner; concurrent closes of one break record exactly one closure.
import { describe, expect, it } from 'vitest';
import { openBreakStore, type BreakStore } from '../../operator/web/api/break-store.ts';
import { startPostgres, type PostgresTestServer } from '../support/postgres.ts';
import { sharedService } from '../support/require-service.ts';

const world = sharedService(
  'PostgreSQL (scripts/install-test-services.sh)',
  async (): Promise<{ pg: PostgresTestServer; store: BreakStore; url: string }> => {
    const pg = await startPostgres();
    await pg.sql('CREATE DATABASE recon');
    const user = await pg.createUser('raas_web', { grantAll: true });
    const url = user.url.replace(/\/[^/]*$/, '/recon');
    await pg.sql('GRANT ALL ON DATABASE recon TO raas_web');
    const admin = pg.adminUrl.replace(/\/[^/]*$/, '/recon');
    const { default: pgm } = await import('pg');
    const c = new pgm.Client({ connectionString: admin });
    await c.connect();
    await c.query('GRANT ALL ON SCHEMA public TO raas_web');
    await c.end();
    return { pg, store: await openBreakStore(url), url };
  },
  async (w) => {
    await w.store.close();
    await w.pg.stop();
  },
);

const base = { namespace: 'finance', job: 'orders', run: 'orders-20240102', fingerprint: 'fp1' };

describe('break store on PostgreSQL', { timeout: 120_000 }, () => {
  it('records assign, comment, close and reopen with the server\'s actor and time, and folds them', async (ctx) => {
    const { store } = await world(ctx);
    const a = await store.record({ ...base, breakId: 'b1', actor: 'alice', action: { action: 'assign', assignee: 'bob' } });
    expect(a.event).toMatchObject({ actor: 'alice', action: 'assign', assignee: 'bob', breakId: 'b1', run: 'orders-20240102' });
    expect(Date.parse(a.event!.at)).toBeGreaterThan(Date.now() - 60_000);
    await store.record({ ...base, breakId: 'b1', actor: 'bob', action: { action: 'comment', comment: 'PSP settles on Monday' } });
    const closed = await store.record({ ...base, breakId: 'b1', actor: 'bob', action: { action: 'close', reason: 'explained', comment: 'timing difference' } });
    expect(closed.work).toMatchObject({ owner: 'bob', comments: 2, closed: { reason: 'explained', by: 'bob', fingerprint: 'fp1', run: 'orders-20240102' } });
    const again = await store.record({ ...base, breakId: 'b1', actor: 'alice', action: { action: 'close', reason: 'written-off' } });
    expect(again.conflict).toMatch(/^the break is already closed \(explained, by bob/);
    expect(again.event).toBeUndefined();

    const work = await store.work('finance', 'orders');
    expect(work.find((w) => w.breakId === 'b1')).toMatchObject({ owner: 'bob', comments: 2, closed: { reason: 'explained' }, lastComment: { by: 'bob', text: 'timing difference' } });
    expect(await store.work('ops', 'orders')).toEqual([]);
    expect((await store.events('finance', 'orders', 'b1')).map((e) => `${e.actor}:${e.action}`)).toEqual(['alice:assign', 'bob:comment', 'bob:close']);

    await store.record({ ...base, breakId: 'b1', actor: 'alice', action: { action: 'reopen', comment: 'PSP did not settle' } });
    expect((await store.work('finance', 'orders')).find((w) => w.breakId === 'b1')?.closed).toBeUndefined();
  });

  it('keeps the trail append-only: UPDATE, DELETE and TRUNCATE are refused even to the table owner', async (ctx) => {
    const { store, url } = await world(ctx);
    await store.record({ ...base, breakId: 'b2', actor: 'alice', action: { action: 'comment', comment: 'x' } });
    const { default: pgm } = await import('pg');
    const c = new pgm.Client({ connectionString: url });
    await c.connect();
    try {
      for (const sql of ["UPDATE raas_break_events SET actor = 'mallory'", 'DELETE FROM raas_break_events', 'TRUNCATE raas_break_events']) {
        await expect(c.query(sql), sql).rejects.toThrow(/append-only audit trail/);
      }
      const n = await c.query<{ n: string }>("SELECT count(*)::text AS n FROM raas_break_events WHERE actor = 'mallory'");
      expect(n.rows[0]!.n).toBe('0');
      // What a run reads to keep closed breaks closed.
      const closed = await c.query("SELECT break_id, state, version FROM raas_breaks WHERE namespace = 'finance' AND job = 'orders' ORDER BY break_id");
      expect(closed.rows).toEqual([{ break_id: 'b1', state: 'open', version: null }, { break_id: 'b2', state: 'open', version: null }]);
    } finally {
      await c.end();
    }
  });

  it('serializes concurrent closes of one break: one closure, the others told it is closed', async (ctx) => {
    const { store } = await world(ctx);
    const results = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((actor) => store.record({ ...base, breakId: 'b3', actor, action: { action: 'close', reason: 'written-off' } })));
    expect(results.filter((r) => r.event).length).toBe(1);
    expect(results.filter((r) => r.conflict).length).toBe(3);
    expect((await store.events('finance', 'orders', 'b3')).length).toBe(1);
  });

  it('writes closures into the table a job names, where its runs read them with the runner\'s own query', async (ctx) => {
    const { store, url } = await world(ctx);
    await store.record({ ...base, breakId: 'b9', actor: 'alice', fingerprint: 'v9', table: 'recon.closures', action: { action: 'close', reason: 'explained' } });
    expect((await store.work('finance', 'orders', 'recon.closures')).map((w) => [w.breakId, w.closed?.fingerprint])).toEqual([['b9', 'v9']]);
    const { default: pgm } = await import('pg');
    const c = new pgm.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query("SELECT break_id, version FROM \"recon\".\"closures\" WHERE namespace = $1 AND job = $2 AND state = 'closed' AND version IS NOT NULL", ['finance', 'orders']);
      expect(r.rows).toEqual([{ break_id: 'b9', version: 'v9' }]);
    } finally {
      await c.end();
    }
    await expect(store.work('finance', 'orders', 'x; DROP TABLE y')).rejects.toThrow(/not a plain/);
  });

  it('reports an unreachable catalog as such, without its password', async () => {
    const s = await openBreakStore('postgres://raas:s3cretpw@127.0.0.1:1/recon');
    await expect(s.work('finance', 'orders')).rejects.toThrow(/^the results catalog is unreachable: /);
    await s.work('finance', 'orders').catch((err: Error) => expect(err.message).not.toContain('s3cretpw'));
    await s.close();
  });
});
