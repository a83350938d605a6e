// The results API on the real control plane: real users and a ServiceAccount, bound with
// real RoleBindings; real TokenReview and SubjectAccessReview; finished runs whose result
// files the real runner wrote to the S3 test server. Every JSON answer is checked against
// the checked-in OpenAPI document.
import { describe, expect, it } from 'vitest';
import { assertMatchesOpenApi } from '../support/openapi.ts';
import { waitFor } from '../support/operator-env.ts';
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
    expect(names(await call(w, t, { token: w.tokens.alice, template: t }))).toEqual(['finance/orders']);
    expect(names(await call(w, t, { token: w.tokens.bob, template: t }))).toEqual(['ops/payouts']);
    expect(names(await call(w, t, { token: w.tokens.reporting, template: t }))).toEqual(['finance/orders']);
    const carol = await call(w, t, { token: w.tokens.carol, template: t });
    expect(carol.status).toBe(200);
    expect(carol.body.items).toEqual([]);
    const runs = await call(w, '/api/v1/reconruns', { token: w.tokens.bob, template: '/api/v1/reconruns' });
    expect(names(runs)).toEqual([`ops/${w.runs.ops}`]);
    // X-Forwarded-Access-Token (oauth2-proxy) is the same credential.
    expect(names(await call(w, t, { headers: { 'x-forwarded-access-token': w.tokens.bob }, template: t }))).toEqual(['ops/payouts']);

    const tpl = '/api/v1/namespaces/{namespace}/reconruns';
    const forbidden = await call(w, '/api/v1/namespaces/finance/reconruns', { token: w.tokens.bob, template: tpl });
    const missing = await call(w, '/api/v1/namespaces/no-such-namespace/reconruns', { token: w.tokens.bob, template: tpl });
    expect(forbidden.status).toBe(403);
    expect(missing.status).toBe(403);
    // The same answer whether or not the namespace exists.
    expect({ ...forbidden.body, instance: undefined }).toEqual({ ...missing.body, instance: undefined });
    const runOfOther = await call(w, `/api/v1/namespaces/finance/reconruns/${w.runs.unbalanced}`, { token: w.tokens.bob, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' });
    const noRun = await call(w, '/api/v1/namespaces/finance/reconruns/no-such-run', { token: w.tokens.bob, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' });
    expect([runOfOther.status, noRun.status]).toEqual([403, 403]);
    expect(runOfOther.body.detail).toBe(noRun.body.detail);
    expect(String(runOfOther.body.detail)).not.toContain('orders');
    // Inside their own namespace a missing run is a plain 404.
    expect((await call(w, '/api/v1/namespaces/finance/reconruns/no-such-run', { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconruns/{name}' })).status).toBe(404);
  });

  it('shows the unbalanced job, its runs with filters and paging, and its history beyond ReconRun retention', async (ctx) => {
    const w = await world(ctx);
    const job = await call(w, '/api/v1/namespaces/finance/reconjobs/orders', { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconjobs/{name}' });
    expect(job.body).toMatchObject({ name: 'orders', badge: 'unbalanced', timeZone: 'Asia/Tokyo', lastRun: { name: w.runs.unbalanced } });

    const tpl = '/api/v1/namespaces/{namespace}/reconruns';
    const unbalanced = await call(w, '/api/v1/namespaces/finance/reconruns?balanced=false', { token: w.tokens.alice, template: tpl });
    expect(names(unbalanced)).toEqual([`finance/${w.runs.unbalanced}`]);
    const item = (unbalanced.body.items as Json[])[0]!;
    expect(item).toMatchObject({ job: 'orders', phase: 'Succeeded', balanced: false, counts: { matched: 1, mismatched: 2, leftOnly: 1, rightOnly: 1 }, diffTotals: { amount: '0.50' }, mismatchedByColumn: { amount: 1, status: 1 } });
    expect(item.files).toEqual(expect.arrayContaining(['summary.json']));

    const page1 = await call(w, '/api/v1/namespaces/finance/reconruns?limit=1&job=orders', { token: w.tokens.alice, template: tpl });
    expect(names(page1)).toEqual([`finance/${w.runs.unbalanced}`]);
    const cont = (page1.body.metadata as { continue: string }).continue;
    const page2 = await call(w, `/api/v1/namespaces/finance/reconruns?limit=1&job=orders&continue=${cont}`, { token: w.tokens.alice, template: tpl });
    expect(names(page2)).toEqual([`finance/${w.runs.balanced}`]);
    expect(page2.body.metadata).toEqual({});
    const jan1 = await call(w, '/api/v1/namespaces/finance/reconruns?from=2024-01-01T15:00:00Z&to=2024-01-02T15:00:00Z', { token: w.tokens.alice, template: tpl });
    expect(names(jan1)).toEqual([`finance/${w.runs.unbalanced}`]);
    expect(names(await call(w, '/api/v1/namespaces/finance/reconruns?phase=Failed', { token: w.tokens.alice, template: tpl }))).toEqual([]);

    const history = await call(w, '/api/v1/namespaces/finance/reconjobs/orders/history', { token: w.tokens.alice, template: '/api/v1/namespaces/{namespace}/reconjobs/{name}/history' });
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
    const base = `/api/v1/namespaces/finance/reconruns/${w.runs.unbalanced}`;
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
    const base = `/api/v1/namespaces/finance/reconruns/${w.runs.unbalanced}`;
    for (const f of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..', 'summary.json%00.csv', '%E2%80%AEvsc.json', 'summary.JSON', 'Ω.csv', '%ZZ']) {
      const a = await call(w, `${base}/files/${f}`, { token: w.tokens.alice });
      expect([400, 404], f).toContain(a.status);
      expect(a.type).toBe('application/problem+json');
      expect(a.text).not.toContain('root:');
    }
    expect((await call(w, `${base}/files/a/b`, { token: w.tokens.alice })).status).toBe(404);
    const cases: Array<[string, string]> = [
      ['/api/v1/namespaces/finance/reconruns?limit=100000000', 'limit'],
      ['/api/v1/namespaces/finance/reconruns?limit=-5', 'limit'],
      ['/api/v1/namespaces/finance/reconruns?continue=eyJ2IjoxfQ', 'continue'],
      ['/api/v1/namespaces/finance/reconruns?continue=%F0%9F%92%A5', 'continue'],
      ['/api/v1/namespaces/finance/reconruns?phase=%F0%9F%92%A5', 'phase'],
      ['/api/v1/namespaces/finance/reconruns?from=2024-13-01', 'from'],
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
    const rerun = await call(w, '/api/v1/namespaces/finance/reconjobs/orders/reruns', { token: w.tokens.alice, method: 'POST', body: { date: '2024-01-02' }, template: rerunT });
    expect(rerun.status).toBe(201);
    const [name] = rerun.body.created as string[];
    expect(name).toMatch(new RegExp(`^${w.runs.unbalanced}-rerun-`));
    await waitFor('the rerun in the list', async () => {
      const list = await call(w, '/api/v1/namespaces/finance/reconruns?job=orders', { token: w.tokens.alice });
      return names(list).includes(`finance/${name}`);
    });
    const first = await call(w, '/api/v1/namespaces/finance/reconjobs/orders/backfills', { token: w.tokens.alice, method: 'POST', body: { from: '2024-01-01', to: '2024-01-02' }, template: backfillT });
    // Both windows have runs already (the seed backfill): the same names, nothing new.
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ created: [], existing: [w.runs.balanced, w.runs.unbalanced] });

    // reporting and bob may read, not create; carol may do nothing.
    for (const token of [w.tokens.reporting, w.tokens.bob, w.tokens.carol]) {
      const a = await call(w, '/api/v1/namespaces/finance/reconjobs/orders/reruns', { token, method: 'POST', body: { date: '2024-01-01' }, template: rerunT });
      expect(a.status).toBe(403);
    }
    const bad = await call(w, '/api/v1/namespaces/finance/reconjobs/orders/backfills', { token: w.tokens.alice, method: 'POST', body: { from: '01/01/2024', to: '2024-01-02' }, template: backfillT });
    expect([bad.status, bad.body.param]).toEqual([400, 'from']);
    const missing = await call(w, '/api/v1/namespaces/finance/reconjobs/nope/reruns', { token: w.tokens.alice, method: 'POST', body: { date: '2024-01-01' }, template: rerunT });
    expect(missing.status).toBe(404);
    expect((await call(w, '/api/v1/namespaces/finance/reconjobs/orders/reruns', { token: w.tokens.alice, method: 'GET' })).status).toBe(405);
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
    expect(who.body).toMatchObject({ username: 'alice', groups: expect.arrayContaining(['finance-team']) });
    const csrf = who.body.csrfToken as string;
    const rerun = (headers: Record<string, string>) => call(w, '/api/v1/namespaces/finance/reconjobs/orders/reruns', { method: 'POST', body: { date: '2024-01-01' }, headers: { cookie, ...headers } });
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
});
