// The results API on the real control plane: real users and a ServiceAccount, bound with
// real RoleBindings; real TokenReview and SubjectAccessReview; finished runs whose result
// files the real runner wrote to the S3 test server. Every JSON answer is checked against
// the checked-in OpenAPI document.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { NO_CATALOG } from '../../operator/web/api/routes.ts';
import { startWeb } from '../../operator/web/server.ts';
import { assertMatchesOpenApi } from '../support/openapi.ts';
import { s3ReconJob, statusOf, waitFor } from '../support/operator-env.ts';
import { webEnvForFile, type WebEnv } from '../support/web-env.ts';

const world = webEnvForFile();
type Json = Record<string, unknown>;

interface Answer {
  status: number;
  type: string;
  body: Json;
  text: string;
  headers: Headers;
}

async function call(w: WebEnv, path: string, o: { token?: string; method?: string; body?: unknown; headers?: Record<string, string>; template?: string } = {}): Promise<Answer> {
  const res = await fetch(`${w.web.url}${path}`, {
    method: o.method ?? 'GET',
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    redirect: 'manual',
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let body: Json = {};
  if (type.includes('json')) body = JSON.parse(text) as Json;
  if (o.template && type.includes('json')) assertMatchesOpenApi(o.template, o.method ?? 'GET', res.status, type, body);
  return { status: res.status, type, body, text, headers: res.headers };
}

const names = (a: Answer) => ((a.body.items ?? []) as Array<{ namespace: string; name: string }>).map((i) => `${i.namespace}/${i.name}`).sort();

describe('results API on the real control plane', { timeout: 300_000 }, () => {
  it('answers 401 without a token or with one the API server does not accept', async (ctx) => {
    const w = await world(ctx);
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }, { 'x-forwarded-access-token': 'nope' }, { authorization: 'Basic YWxpY2U6eA==' }] as Array<Record<string, string>>) {
      const a = await call(w, '/api/v1/reconruns', { headers, template: '/api/v1/reconruns' });
      expect(a.status).toBe(401);
      expect(a.type).toBe('application/problem+json');
      expect(a.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('lists only the namespaces each caller may list; others are neither listed nor hinted at', async (ctx) => {
    const w = await world(ctx);
    const t = '/api/v1/reconjobs';
    expect(names(await call(w, t, { token: w.tokens.alice, template: t }))).toEqual([`${w.ns.finance}/orders`]);
    expect(names(await call(w, t, { token: w.tokens.bob, template: t }))).toEqual([`${w.ns.ops}/payouts`]);
    expect(names(await call(w, t, { token: w.tokens.reporting, template: t }))).toEqual([`${w.ns.finance}/orders`]);
    const carol = await call(w, t, { token: w.tokens.carol, template: t });
    expect(carol.status).toBe(200);
    expect(carol.body.items).toEqual([]);
    const runs = await call(w, '/api/v1/reconruns', { token: w.tokens.bob, template: '/api/v1/reconruns' });
    expect(names(runs)).toEqual([`${w.ns.ops}/${w.runs.ops}`]);
    // X-Forwarded-Access-Token (oauth2-proxy) is the same credential.
    expect(names(await call(w, t, { headers: { 'x-forwarded-access-token': w.tokens.bob }, template: t }))).toEqual([`${w.ns.ops}/payouts`]);

    const tpl = '/api/v1/namespaces/{namespace}/reconruns';
    const forbidden = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns`, { token: w.tokens.bob, template: tpl });
    const missing = await call(w, '/api/v1/namespaces/no-such-namespace/reconruns', { token: w.tokens.bob, template: tpl });
    expect(forbidden.status).toBe(403);
    expect(missing.status).toBe(403);
    // The same answer whether or not the namespace exists.
    expect({ ...forbidden.body, instance: undefined }).toEqual({ ...missing.body, instance: undefined });
    const runOfOther = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`, { token: w.tokens.bob, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' });
    const noRun = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns/no-such-run`, { token: w.tokens.bob, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' });
    expect([runOfOther.status, noRun.status]).toEqual([403, 403]);
    expect(runOfOther.body.detail).toBe(noRun.body.detail);
    expect(String(runOfOther.body.detail)).not.toContain('orders');
    // Inside their own namespace a missing run is a plain 404.
    expect((await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns/no-such-run`, { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' })).status).toBe(404);
  });

  it('shows the unbalanced job, its runs with filters and paging, and its history beyond ReconRun retention', async (ctx) => {
    const w = await world(ctx);
    const job = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders`, { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconjobs/{name}' });
    expect(job.body).toMatchObject({ name: 'orders', badge: 'unbalanced', timeZone: 'Asia/Tokyo', lastRun: { name: w.runs.unbalanced } });

    const tpl = '/api/v1/namespaces/{namespace}/reconruns';
    const unbalanced = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns?balanced=false`, { token: w.tokens.alice, template: tpl });
    expect(names(unbalanced)).toEqual([`${w.ns.finance}/${w.runs.unbalanced}`]);
    const item = (unbalanced.body.items as Json[])[0]!;
    expect(item).toMatchObject({ job: 'orders', phase: 'Succeeded', balanced: false, counts: { matched: 1, mismatched: 2, leftOnly: 1, rightOnly: 1 }, diffTotals: { amount: '0.50' }, mismatchedByColumn: { amount: 1, status: 1 } });
    expect(item.files).toEqual(expect.arrayContaining(['summary.json']));

    const page1 = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns?limit=1&job=orders`, { token: w.tokens.alice, template: tpl });
    expect(names(page1)).toEqual([`${w.ns.finance}/${w.runs.unbalanced}`]);
    const cont = (page1.body.metadata as { continue: string }).continue;
    const page2 = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns?limit=1&job=orders&continue=${cont}`, { token: w.tokens.alice, template: tpl });
    expect(names(page2)).toEqual([`${w.ns.finance}/${w.runs.balanced}`]);
    expect(page2.body.metadata).toEqual({});
    const jan1 = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns?from=2024-01-01T15:00:00Z&to=2024-01-02T15:00:00Z`, { token: w.tokens.alice, template: tpl });
    expect(names(jan1)).toEqual([`${w.ns.finance}/${w.runs.unbalanced}`]);
    expect(names(await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns?phase=Failed`, { token: w.tokens.alice, template: tpl }))).toEqual([]);

    const history = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/history`, { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconjobs/{name}/history' });
    const points = history.body.items as Array<{ window: { start: string }; source: string; run?: string; balanced?: boolean; counts?: { mismatched: number } }>;
    expect(points.map((p) => [new Date(p.window.start).toISOString(), p.source, p.run])).toEqual([
      ['2023-12-30T15:00:00.000Z', 'summary', w.runs.pruned],
      ['2023-12-31T15:00:00.000Z', 'run', w.runs.balanced],
      ['2024-01-01T15:00:00.000Z', 'run', w.runs.unbalanced],
    ]);
    expect(points.map((p) => p.counts?.mismatched)).toEqual([0, 0, 2]);
  });

  it('serves a run, its summary, filtered rows with exact decimals and only the files its status lists', async (ctx) => {
    const w = await world(ctx);
    const base = `/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`;
    const run = await call(w, base, { token: w.tokens.reporting, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' });
    expect(run.body).toMatchObject({ kind: 'ReconRun', timeZone: 'Asia/Tokyo', trigger: 'Backfill' });
    const summary = await call(w, `${base}/summary`, { token: w.tokens.reporting, template: '/api/v1/namespaces/{namespace}/reconruns/{name}/summary' });
    expect(summary.body).toMatchObject({ job: 'orders', balanced: false, counts: { mismatched: 2 }, diffTotals: { amount: '0.50' } });

    const rowsT = '/api/v1/namespaces/{namespace}/reconruns/{name}/rows';
    const all = await call(w, `${base}/rows`, { token: w.tokens.reporting, template: rowsT });
    expect((all.body.metadata as Json).total).toBe(4);
    const mism = await call(w, `${base}/rows?status=mismatch`, { token: w.tokens.reporting, template: rowsT });
    const rows = mism.body.items as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.id).sort()).toEqual(['2', '5']);
    const five = rows.find((r) => r.id === '5')!;
    expect(five).toMatchObject({ recon_status: 'mismatch', amount_left: '1234567.89', amount_right: '1234567.89', status_left: 'paid', status_right: 'void' });
    const byAmount = await call(w, `${base}/rows?status=mismatch&column=amount`, { token: w.tokens.reporting, template: rowsT });
    expect((byAmount.body.items as Json[]).map((r) => [r.id, r.amount_diff])).toEqual([['2', '0.50']]);
    const onlySides = await call(w, `${base}/rows?status=left_only,right_only&limit=1`, { token: w.tokens.reporting, template: rowsT });
    expect(onlySides.body.items).toHaveLength(1);
    const next = await call(w, `${base}/rows?status=left_only,right_only&limit=1&continue=${(onlySides.body.metadata as { continue: string }).continue}`, { token: w.tokens.reporting, template: rowsT });
    expect([...(onlySides.body.items as Json[]), ...(next.body.items as Json[])].map((r) => `${String(r.id)}:${String(r.recon_status)}`).sort()).toEqual(['3:left_only', '4:right_only']);
    expect(next.body.metadata).toEqual({ total: 2 });

    const files = (run.body.files as string[]).filter((f) => f !== 'summary.json');
    expect(files.length).toBeGreaterThan(0);
    const csvName = files.find((f) => f.endsWith('.csv'))!;
    const csv = await call(w, `${base}/files/${encodeURIComponent(csvName)}`, { token: w.tokens.reporting });
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="${csvName}"; filename*=UTF-8''${encodeURIComponent(csvName)}`);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toContain('recon_status');
    expect(lines).toHaveLength(5);
    const js = await call(w, `${base}/files/summary.json`, { token: w.tokens.reporting });
    expect(js.type).toBe('application/json');
    expect(JSON.parse(js.text)).toMatchObject({ counts: { mismatched: 2 } });
  });

  it('refuses hostile input with a 400 or 404 naming what is wrong, never a file it should not serve', async (ctx) => {
    const w = await world(ctx);
    const base = `/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`;
    for (const f of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..', 'summary.json%00.csv', '%E2%80%AEvsc.json', 'summary.JSON', 'Ω.csv', '%ZZ']) {
      const a = await call(w, `${base}/files/${f}`, { token: w.tokens.alice });
      expect([400, 404], f).toContain(a.status);
      expect(a.type).toBe('application/problem+json');
      expect(a.text).not.toContain('root:');
    }
    expect((await call(w, `${base}/files/a/b`, { token: w.tokens.alice })).status).toBe(404);
    const cases: Array<[string, string]> = [
      [`/api/v1/namespaces/${w.ns.finance}/reconruns?limit=100000000`, 'limit'],
      [`/api/v1/namespaces/${w.ns.finance}/reconruns?limit=-5`, 'limit'],
      [`/api/v1/namespaces/${w.ns.finance}/reconruns?continue=eyJ2IjoxfQ`, 'continue'],
      [`/api/v1/namespaces/${w.ns.finance}/reconruns?continue=%F0%9F%92%A5`, 'continue'],
      [`/api/v1/namespaces/${w.ns.finance}/reconruns?phase=%F0%9F%92%A5`, 'phase'],
      [`/api/v1/namespaces/${w.ns.finance}/reconruns?from=2024-13-01`, 'from'],
      ['/api/v1/reconruns?balanced=maybe', 'balanced'],
      ['/api/v1/namespaces/Fin%C3%A1nce/reconruns', 'namespace'],
      [`${base}/rows?status=matched`, 'status'],
      [`${base}/rows?column=no_such_column`, 'column'],
      [`${base}/rows?limit=5000`, 'limit'],
      [`${base}/rows?status=mismatch&continue=${Buffer.from(JSON.stringify({ v: 1, k: ['0', 'left_only|'] })).toString('base64url')}`, 'continue'],
    ];
    for (const [path, param] of cases) {
      const a = await call(w, path, { token: w.tokens.alice });
      expect(a.status, path).toBe(400);
      expect(a.type).toBe('application/problem+json');
      expect(a.body.param, path).toBe(param);
      expect(String(a.body.detail)).toContain(param);
    }
  });

  it('starts reruns and backfills with the CLI\'s deterministic names, as the caller, only where they may create runs', async (ctx) => {
    const w = await world(ctx);
    const rerunT = '/api/v1/namespaces/{namespace}/reconjobs/{name}/reruns';
    const backfillT = '/api/v1/namespaces/{namespace}/reconjobs/{name}/backfills';
    const rerun = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/reruns`, { token: w.tokens.alice, method: 'POST', body: { date: '2024-01-02' }, template: rerunT });
    expect(rerun.status).toBe(201);
    const [name] = rerun.body.created as string[];
    expect(name).toMatch(new RegExp(`^${w.runs.unbalanced}-rerun-`));
    await waitFor('the rerun in the list', async () => {
      const list = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns?job=orders`, { token: w.tokens.alice });
      return names(list).includes(`${w.ns.finance}/${name}`);
    });
    const first = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/backfills`, { token: w.tokens.alice, method: 'POST', body: { from: '2024-01-01', to: '2024-01-02' }, template: backfillT });
    // Both windows have runs already (the seed backfill): the same names, nothing new.
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ created: [], existing: [w.runs.balanced, w.runs.unbalanced] });

    // reporting and bob may read, not create; carol may do nothing.
    for (const token of [w.tokens.reporting, w.tokens.bob, w.tokens.carol]) {
      const a = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/reruns`, { token, method: 'POST', body: { date: '2024-01-01' }, template: rerunT });
      expect(a.status).toBe(403);
    }
    const bad = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/backfills`, { token: w.tokens.alice, method: 'POST', body: { from: '01/01/2024', to: '2024-01-02' }, template: backfillT });
    expect([bad.status, bad.body.param]).toEqual([400, 'from']);
    const missing = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/nope/reruns`, { token: w.tokens.alice, method: 'POST', body: { date: '2024-01-01' }, template: rerunT });
    expect(missing.status).toBe(404);
    expect((await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/reruns`, { token: w.tokens.alice, method: 'GET' })).status).toBe(405);
    // The rerun writes the window's output location again (remove, then put): the later
    // tests read the seed run's files there, so they start once it has committed.
    await waitFor(`rerun ${name} to finish`, async () => ['Succeeded', 'Failed'].includes(String(statusOf(await w.env.get('reconruns', w.ns.finance, name!)).phase)), 180_000);
    expect(statusOf(await w.env.get('reconruns', w.ns.finance, name!)).phase).toBe('Succeeded');
  });

  it('signs a browser in with a token: HttpOnly Secure SameSite=Strict cookie, CSRF on every POST', async (ctx) => {
    const w = await world(ctx);
    const form = await fetch(`${w.web.url}/signin`);
    const nonceCookie = form.headers.get('set-cookie')!;
    expect(nonceCookie).toMatch(/HttpOnly; Secure; SameSite=Strict/);
    const nonce = /raas_signin=([^;]+)/.exec(nonceCookie)![1]!;
    const html = await form.text();
    expect(html).toContain(nonce);
    const post = (body: string, cookie: string, origin?: string) =>
      fetch(`${w.web.url}/signin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...(origin ? { origin } : {}) }, body });
    // Without the form's nonce (login CSRF) or from another site: refused.
    expect((await post(`token=${w.tokens.alice}&csrf=wrong`, `raas_signin=${nonce}`)).status).toBe(403);
    expect((await post(`token=${w.tokens.alice}&csrf=${nonce}`, `raas_signin=${nonce}`, 'https://evil.example')).status).toBe(403);
    expect((await post(`token=nope&csrf=${nonce}`, `raas_signin=${nonce}`)).headers.get('location')).toBe('/signin?error=1');
    const ok = await post(`token=${encodeURIComponent(w.tokens.alice)}&csrf=${nonce}`, `raas_signin=${nonce}`);
    expect(ok.status).toBe(303);
    const session = ok.headers.get('set-cookie')!;
    expect(session).toMatch(/^raas_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/);
    expect(session).not.toContain(w.tokens.alice);
    const cookie = session.split(';')[0]!;
    const who = await call(w, '/api/v1/whoami', { headers: { cookie }, template: '/api/v1/whoami' });
    expect(who.body).toMatchObject({ username: w.users.alice, groups: expect.arrayContaining([w.users.financeTeam]) });
    const csrf = who.body.csrfToken as string;
    const rerun = (headers: Record<string, string>) => call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/reruns`, { method: 'POST', body: { date: '2024-01-01' }, headers: { cookie, ...headers } });
    expect((await rerun({})).status).toBe(403);
    expect((await rerun({ 'x-csrf-token': 'x'.repeat(43) })).status).toBe(403);
    expect((await rerun({ 'x-csrf-token': csrf, origin: 'https://evil.example' })).status).toBe(403);
    expect((await rerun({ 'x-csrf-token': csrf })).status).toBe(201);
    // Signing out ends the session on the server, not just in the browser.
    const out = await fetch(`${w.web.url}/signout`, { method: 'POST', redirect: 'manual', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(out.status).toBe(303);
    expect((await call(w, '/api/v1/whoami', { headers: { cookie } })).status).toBe(401);
  });

  it('serves its OpenAPI document and the page without a build server', async (ctx) => {
    const w = await world(ctx);
    const doc = await call(w, '/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const page = await fetch(`${w.web.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  // Last in the file: these add jobs and runs the tests above do not expect.
  it('lists breaks with filters, sort and paging; labels in the sides\' names; exports exactly the filtered rows as Excel-ready CSV', async (ctx) => {
    const w = await world(ctx);
    const base = `/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`;
    const t = '/api/v1/namespaces/{namespace}/reconruns/{name}/breaks';
    const all = await call(w, `${base}/breaks?sort=id`, { token: w.tokens.alice, template: t });
    expect(all.status).toBe(200);
    const items = all.body.items as Array<{ id: string; status: string; statusLabel: string; state: string; row: Record<string, string | null> }>;
    expect(items.map((i) => `${String(i.row.id)}:${i.status}:${i.statusLabel}`).sort()).toEqual(['2:mismatch:Differs', '3:left_only:Only in ledger', '4:right_only:Only in psp', '5:mismatch:Differs']);
    // The runner's ledger state: without carryForward every break of a run is new.
    expect(items.map((i) => i.state)).toEqual(['new', 'new', 'new', 'new']);
    expect(all.body.sides).toEqual({ left: 'ledger', right: 'psp' });
    expect(all.body.work).toEqual({ enabled: true, allowed: true });
    const labels = Object.fromEntries((all.body.columns as Array<{ name: string; label: string }>).map((c) => [c.name, c.label]));
    expect(labels).toMatchObject({ amount_left: 'Ledger amount', amount_right: 'Psp amount', recon_status: 'Status' });
    const reporting = await call(w, `${base}/breaks`, { token: w.tokens.reporting, template: t });
    expect(reporting.body.work).toEqual({ enabled: true, allowed: false, reason: expect.stringContaining('update on reconruns/breaks') });

    const three = await call(w, `${base}/breaks?q=3`, { token: w.tokens.alice, template: t });
    expect((three.body.items as typeof items).map((i) => i.row.id)).toEqual(['3']);
    const page1 = await call(w, `${base}/breaks?sort=id&limit=3`, { token: w.tokens.alice, template: t });
    const cont = (page1.body.metadata as { continue: string }).continue;
    const page2 = await call(w, `${base}/breaks?sort=id&limit=3&continue=${cont}`, { token: w.tokens.alice, template: t });
    expect([...(page1.body.items as typeof items), ...(page2.body.items as typeof items)].map((i) => i.id)).toEqual(items.map((i) => i.id));
    expect((await call(w, `${base}/breaks?sort=id&limit=3&continue=${cont}&state=open`, { token: w.tokens.alice, template: t })).body.param).toBe('continue');
    // Every run has a break ledger, so ages filter (this run's breaks are all new: age 0).
    const aged = await call(w, `${base}/breaks?minAge=2`, { token: w.tokens.alice, template: t });
    expect([aged.status, (aged.body.items as typeof items).length]).toEqual([200, 0]);
    for (const [q, param] of [['minAmount=5', 'minAmount'], ['sort=nope', 'sort'], ['state=gone', 'state'], ['format=xlsx', 'format']]) {
      const a = await call(w, `${base}/breaks?${q}`, { token: w.tokens.alice, template: t });
      expect([a.status, a.body.param], q).toEqual([400, param]);
    }

    const csv = await fetch(`${w.web.url}${base}/breaks?format=csv&q=3`, { headers: { authorization: `Bearer ${w.tokens.alice}` } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="orders-2024-01-0\d-breaks\.csv"/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toMatch(/^Break,State,Status,Amount at stake,.*,id,.*Ledger amount,Psp amount/);
    expect(lines.slice(1).filter(Boolean)).toHaveLength(1);
    expect(lines[1]).toContain('Only in ledger');
    const everything = (await fetch(`${w.web.url}${base}/breaks?format=csv`, { headers: { authorization: `Bearer ${w.tokens.alice}` } }).then((r) => r.text())).split('\r\n').filter(Boolean);
    expect(everything).toHaveLength(1 + items.length);
    // The mismatch row lists its differing columns in one cell.
    expect(everything.find((l) => l.includes(',5,'))).toMatch(/,5,status,1234567\.89,1234567\.89,/);
  });

  it('works a break as the signed-in user: assign, comment, close with a reason; an append-only audit trail; hostile input refused', async (ctx) => {
    const w = await world(ctx);
    const base = `/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`;
    const t = '/api/v1/namespaces/{namespace}/reconruns/{name}/breaks/{breakId}';
    const list = await call(w, `${base}/breaks?q=3`, { token: w.tokens.alice });
    const id = ((list.body.items as Array<{ id: string }>)[0]!).id;
    const act = (body: unknown, token = w.tokens.alice, path = `${base}/breaks/${id}`) => call(w, path, { token, method: 'POST', body, template: t });

    const assigned = await act({ action: 'assign', assignee: 'bob' });
    expect(assigned.status).toBe(201);
    expect(assigned.body.event).toMatchObject({ actor: w.users.alice, action: 'assign', assignee: 'bob', breakId: id, run: w.runs.unbalanced, namespace: w.ns.finance, job: 'orders' });
    expect((await act({ action: 'comment', comment: 'PSP says it settles on the 3rd' })).status).toBe(201);
    const closed = await act({ action: 'close', reason: 'written-off', comment: 'below the write-off limit' });
    expect(closed.status).toBe(201);
    expect(closed.body.work).toMatchObject({ owner: 'bob', comments: 2, closed: { reason: 'written-off', by: w.users.alice } });
    const again = await act({ action: 'close', reason: 'explained' });
    expect([again.status, again.body.detail]).toEqual([409, expect.stringMatching(/^the break is already closed \(written-off, by alice/)]);

    // Hostile input: forged actors, bad reasons, oversized comments, unknown breaks.
    const refusals: Array<[unknown, number, string | undefined]> = [
      [{ action: 'comment', comment: 'hi', actor: 'the-cfo' }, 400, 'actor'],
      [{ action: 'comment', comment: 'hi', user: 'the-cfo' }, 400, 'user'],
      [{ action: 'close', reason: 'because' }, 400, 'reason'],
      [{ action: 'comment', comment: 'x'.repeat(2001) }, 400, 'comment'],
      [{ action: 'comment', comment: 'x'.repeat(70_000) }, 413, undefined],
      [{ action: 'wipe' }, 400, 'action'],
      [[1, 2], 400, 'body'],
    ];
    for (const [body, status, param] of refusals) {
      const a = await act(body);
      expect([a.status, a.body.param], JSON.stringify(body).slice(0, 60)).toEqual([status, param]);
      expect(a.type).toBe('application/problem+json');
    }
    expect((await act({ action: 'comment', comment: 'x' }, w.tokens.alice, `${base}/breaks/no-such-break`)).status).toBe(404);
    expect((await act({ action: 'comment', comment: 'x' }, w.tokens.alice, `${base}/breaks/..%2F..%2Fx`)).body.param).toBe('breakId');

    // Rights: reading is not working; another namespace answers as a missing one does.
    const reporting = await act({ action: 'comment', comment: 'x' }, w.tokens.reporting);
    expect([reporting.status, reporting.body.detail]).toEqual([403, 'you may not work breaks in this namespace (it takes update on reconruns/breaks)']);
    for (const token of [w.tokens.bob, w.tokens.carol]) expect((await act({ action: 'comment', comment: 'x' }, token)).status).toBe(403);
    const otherNs = await act({ action: 'comment', comment: 'x' }, w.tokens.alice, `/api/v1/namespaces/${w.ns.ops}/reconruns/${w.runs.ops}/breaks/${id}`);
    const noNs = await act({ action: 'comment', comment: 'x' }, w.tokens.alice, `/api/v1/namespaces/nowhere/reconruns/${w.runs.ops}/breaks/${id}`);
    expect([otherNs.status, noNs.status]).toEqual([403, 403]);
    expect(otherNs.body.detail).toBe(noNs.body.detail);

    // The trail, oldest first, with the server's actor; the list shows the work.
    const trail = await call(w, `${base}/breaks/${id}`, { token: w.tokens.reporting, template: t });
    expect((trail.body.events as Array<{ actor: string; action: string; reason?: string }>).map((e) => `${e.actor}:${e.action}${e.reason ? `:${e.reason}` : ''}`)).toEqual([`${w.users.alice}:assign`, `${w.users.alice}:comment`, `${w.users.alice}:close:written-off`]);
    const closedList = await call(w, `${base}/breaks?state=closed`, { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconruns/{name}/breaks' });
    expect(closedList.body.items).toEqual([expect.objectContaining({ id, state: 'closed', owner: 'bob', comments: 2, closedReason: 'written-off', lastComment: 'below the write-off limit' })]);
    const rows = await w.catalog.pg.sql('SELECT actor, action FROM raas_break_events WHERE break_id = $1 ORDER BY id', [id]);
    expect(rows.map((r) => `${String(r.actor)}:${String(r.action)}`)).toEqual([`${w.users.alice}:assign`, `${w.users.alice}:comment`, `${w.users.alice}:close`]);
    await expect(w.catalog.pg.sql("UPDATE raas_break_events SET actor = 'mallory'")).rejects.toThrow(/append-only/);
  });

  it('keeps a closed break closed in a later run of the same data, and reopens it when the data changes', async (ctx) => {
    const w = await world(ctx);
    const rerunT = '/api/v1/namespaces/{namespace}/reconjobs/{name}/reruns';
    const run = await w.env.get('reconruns', w.ns.finance, w.runs.unbalanced);
    const day = (run as { spec: { window: { start: string } } }).spec.window.start;
    const date = new Date(Date.parse(day) + 9 * 3_600_000).toISOString().slice(0, 10); // the Tokyo date of the window
    const finished = async (name: string) => {
      await waitFor(`rerun ${name} to finish`, async () => ['Succeeded', 'Failed'].includes(String(statusOf(await w.env.get('reconruns', w.ns.finance, name)).phase)), 180_000);
      expect(statusOf(await w.env.get('reconruns', w.ns.finance, name)).phase).toBe('Succeeded');
      await waitFor('the web cache to see it', async () => (await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns/${name}`, { token: w.tokens.alice })).body.phase === 'Succeeded');
    };
    const closedBreak = async (name: string) => {
      const a = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns/${name}/breaks?q=3`, { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconruns/{name}/breaks' });
      return (a.body.items as Array<{ state: string; changedSinceClosed: boolean; closedReason?: string }>)[0]!;
    };
    // Rerun names carry the second they were made in: a 409 means "again in a second".
    const rerunNow = async () => {
      let name = '';
      await waitFor('a rerun to be created', async () => {
        const a = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconjobs/orders/reruns`, { token: w.tokens.alice, method: 'POST', body: { date }, template: rerunT });
        if (a.status === 201) name = (a.body.created as string[])[0]!;
        else expect(a.status).toBe(409);
        return a.status === 201;
      });
      return name;
    };
    const sameName = await rerunNow();
    await finished(sameName);
    expect(await closedBreak(sameName)).toMatchObject({ state: 'closed', changedSinceClosed: false, closedReason: 'written-off' });
    // The older run of the window now says which run counts.
    const older = await call(w, `/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`, { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' });
    expect(older.body.supersededBy).toBeDefined();

    // The ledger corrects order 3: a different break now, no longer closed.
    await w.env.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: `orders/${date}.csv`, Body: 'id,amount,status\n1,10.00,paid\n2,20.00,paid\n3,31.00,paid\n5,1234567.89,paid\n' }));
    const changedName = await rerunNow();
    await finished(changedName);
    // Open again: the run's own ledger state shows, with the closure marked as outdated.
    expect(await closedBreak(changedName)).toMatchObject({ state: expect.stringMatching(/^(new|persisting)$/), changedSinceClosed: true });
  });

  it('without a catalog, breaks are read-only and every answer says why', async (ctx) => {
    const w = await world(ctx);
    const { catalogUrl: _drop, ...rest } = w.webConfig;
    const ro = await startWeb(rest);
    try {
      const base = `${ro.url}/api/v1/namespaces/${w.ns.finance}/reconruns/${w.runs.unbalanced}`;
      const auth = { authorization: `Bearer ${w.tokens.alice}` };
      const run = (await (await fetch(base, { headers: auth })).json()) as { work: unknown };
      expect(run.work).toEqual({ enabled: false, allowed: false, reason: NO_CATALOG });
      const list = await fetch(`${base}/breaks`, { headers: auth });
      const body = (await list.json()) as Record<string, unknown>;
      assertMatchesOpenApi('/api/v1/namespaces/{namespace}/reconruns/{name}/breaks', 'GET', 200, 'application/json', body);
      expect((body.items as unknown[]).length).toBe(4);
      const post = await fetch(`${base}/breaks/whatever`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'comment', comment: 'x' }) });
      expect(post.status).toBe(409);
      const p = (await post.json()) as Record<string, unknown>;
      assertMatchesOpenApi('/api/v1/namespaces/{namespace}/reconruns/{name}/breaks/{breakId}', 'POST', 409, 'application/problem+json', p);
      expect(p.detail).toBe(`${NO_CATALOG}.`);
    } finally {
      await ro.stop();
    }
  });

  it('orders jobs by what needs attention: invalid and failed first with their reason, in words', async (ctx) => {
    const w = await world(ctx);
    await w.env.kube.createCustom('reconjobs', w.ns.finance, s3ReconJob('broken', w.ns.finance, { schedule: { cron: '0 0 5-1 * *', timeZone: 'UTC', suspend: true } }));
    await w.env.kube.createCustom('reconjobs', w.ns.finance, s3ReconJob('late-file', w.ns.finance, { left: { name: 'ledger', uri: 's3://ledger/missing/{{ window.startDate }}.csv' }, output: { uri: 's3://results/finance/{{ job.name }}/{{ window.startDate }}/' }, schedule: { cron: '0 2 * * *', timeZone: 'UTC', suspend: true } }));
    const { backfill } = await import('../../operator/cli/recon-commands.ts');
    const made = await backfill(w.env.kube, { namespace: w.ns.finance, job: 'late-file', from: '2024-01-02', to: '2024-01-02' }, () => undefined);
    await waitFor('the late-file run to fail', async () => statusOf(await w.env.get('reconruns', w.ns.finance, made.created[0]!)).phase === 'Failed', 180_000);
    const t = '/api/v1/reconjobs';
    let jobs: Array<{ name: string; badge: string; ready?: { message?: string }; lastRun?: { failure?: string; message?: string } }> = [];
    await waitFor('both jobs in the list with their state', async () => {
      jobs = (await call(w, t, { token: w.tokens.alice, template: t })).body.items as typeof jobs;
      return jobs.find((j) => j.name === 'broken')?.badge === 'invalid' && jobs.find((j) => j.name === 'late-file')?.badge === 'failed';
    });
    expect(jobs.map((j) => j.name)).toEqual(['broken', 'late-file', 'orders']);
    expect(jobs[0]!.ready?.message).toContain('schedule.cron');
    const failure = jobs[1]!.lastRun!.failure!;
    expect(failure).toMatch(/^(Fetching|Reading) the input files failed: /);
    expect(failure).not.toContain('stage "');
    expect((await call(w, `${t}?sort=name`, { token: w.tokens.alice, template: t })).body.items).toEqual([expect.objectContaining({ name: 'broken' }), expect.objectContaining({ name: 'late-file' }), expect.objectContaining({ name: 'orders' })]);
    expect((await call(w, `${t}?sort=money`, { token: w.tokens.alice, template: t })).body.param).toBe('sort');
  });
});

