// `raas web`: the results page (/) and API (/api/v1) over node:http. Every request is
// authenticated with TokenReview and every namespace authorized with SubjectAccessReview
// (api/reviews.ts); the page's assets are plain files shipped in the package (page/).
import { packageRoot } from '../package-root.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import type { Logger } from 'pino';
import { handleApi, type ApiContext, type Caller } from './api/routes.ts';
import { CatalogUnavailable, openBreakStore, type BreakStore } from './api/break-store.ts';
import { ParamError } from './api/listing.ts';
import { HttpProblem, problem, sendProblem } from './api/problem.ts';
import { openResults, ResultError, type Results } from './api/results.ts';
import { kubeReviewer, type Reviewer } from './api/reviews.ts';
import { informerStore, type Store } from './api/store.ts';
import { cookie, parseCookies, randomId, sameSecret, SESSION_COOKIE, Sessions, SIGNIN_COOKIE } from './session.ts';

// From the package root, not this module's folder: the compiled build moves the module.
const here = join(packageRoot(), 'operator', 'web');
export const OPENAPI_PATH = join(here, 'api', 'openapi.json');
const PAGE_DIR = join(here, 'page');

export interface WebConfig {
  kubeConfig: KubeConfig;
  port: number;
  host: string;
  /** Environment for the S3 client (AWS_*). */
  s3Env?: Record<string, string | undefined>;
  localRoots?: string[];
  reviewTtlMs?: number;
  log?: Logger;
  /** Replaces the informer cache (benchmarks). */
  store?: Store;
  /** Replaces the TokenReview/SubjectAccessReview client (benchmarks only; tests use the real one). */
  reviewer?: Reviewer;
  /** PostgreSQL URL of the results catalog that keeps break work (RAAS_WEB_CATALOG_URL); absent, breaks are read-only. */
  catalogUrl?: string;
}

export interface RunningWeb {
  url: string;
  port: number;
  server: Server;
  stop(): Promise<void>;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form posts, which the Origin check must refuse.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
};

const ASSET_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

async function loadAssets(): Promise<Map<string, { type: string; body: Buffer }>> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const f of await readdir(PAGE_DIR)) {
    const type = ASSET_TYPES[extname(f)];
    if (type) assets.set(f, { type, body: await readFile(join(PAGE_DIR, f)) });
  }
  return assets;
}

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const fwd = req.headers['x-forwarded-access-token'];
  if (typeof fwd === 'string' && fwd.trim()) return fwd.trim();
  return undefined;
}

async function formBody(req: IncomingMessage, max = 64 * 1024): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new HttpProblem(413, 'the form is larger than 64 KiB');
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A POST from another site carries its own Origin; browsers always send one on POST. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startWeb(cfg: WebConfig): Promise<RunningWeb> {
  const log = cfg.log;
  const store = cfg.store ?? informerStore(cfg.kubeConfig);
  const reviewer = cfg.reviewer ?? kubeReviewer(cfg.kubeConfig, cfg.reviewTtlMs !== undefined ? { ttlMs: cfg.reviewTtlMs } : {});
  const results: Results = openResults({ ...(cfg.s3Env ? { s3Env: cfg.s3Env } : {}), ...(cfg.localRoots ? { localRoots: cfg.localRoots } : {}) });
  const sessions = new Sessions();
  const assets = await loadAssets();
  const openapi = await readFile(OPENAPI_PATH);
  const breaks: BreakStore | undefined = cfg.catalogUrl ? await openBreakStore(cfg.catalogUrl) : undefined;
  const ctx: ApiContext = { store, reviewer, results, kubeConfig: cfg.kubeConfig, ...(breaks ? { breaks } : {}) };
  await store.synced();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers });
    res.end(text);
  };
  const asset = (res: ServerResponse, name: string, replace?: Record<string, string>) => {
    const a = assets.get(name);
    if (!a) return sendProblem(res, problem(404, 'no such page'));
    let body = a.body;
    if (replace) {
      let text = body.toString('utf8');
      for (const [k, v] of Object.entries(replace)) text = text.replaceAll(k, v);
      body = Buffer.from(text);
    }
    res.writeHead(200, { 'content-type': a.type, 'content-length': body.length, 'cache-control': name.endsWith('.html') ? 'no-store' : 'public, max-age=300', ...SECURITY_HEADERS });
    res.end(body);
  };

  /** The caller behind a request: bearer header first, then the session cookie. */
  async function identify(req: IncomingMessage): Promise<{ caller: Caller; csrf?: string; cookieAuth: boolean } | undefined> {
    const cookies = parseCookies(req.headers.cookie);
    const header = bearer(req);
    const session = header ? undefined : sessions.get(cookies[SESSION_COOKIE]);
    const token = header ?? session?.token;
    if (!token) return undefined;
    const user = await reviewer.authenticate(token);
    if (!user) return undefined;
    return { caller: { token, user }, ...(session ? { csrf: session.csrf } : {}), cookieAuth: !header };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://web.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/healthz' || path === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (method === 'POST' && !sameOrigin(req)) throw new HttpProblem(403, 'cross-site request refused (Origin does not match this server)');
    if (path === '/' || path === '/index.html') return asset(res, 'index.html');
    if (path === '/signin') {
      if (method === 'GET') {
        const nonce = randomId();
        res.setHeader('set-cookie', cookie(SIGNIN_COOKIE, nonce, 600, '/signin'));
        return asset(res, 'signin.html', { '{{csrf}}': nonce, '{{error}}': url.searchParams.get('error') === '1' ? 'That token was not accepted by the cluster. Check that it is current and try again.' : '' });
      }
      if (method !== 'POST') throw new HttpProblem(405, 'use GET or POST', undefined, { allow: 'GET, POST' });
      const form = await formBody(req);
      // Double submit: the form's nonce must match the SameSite=Strict cookie set with the form.
      if (!sameSecret(form.get('csrf') ?? undefined, parseCookies(req.headers.cookie)[SIGNIN_COOKIE])) throw new HttpProblem(403, 'the sign-in form expired; reload the page and sign in again');
      const token = (form.get('token') ?? '').trim();
      const user = token ? await reviewer.authenticate(token) : undefined;
      if (!user) {
        res.writeHead(303, { location: '/signin?error=1', ...SECURITY_HEADERS });
        res.end();
        return;
      }
      const { id } = sessions.create(token);
      log?.info({ user: user.username }, 'signed in');
      res.writeHead(303, { location: '/', 'set-cookie': cookie(SESSION_COOKIE, id, sessions.ttlSeconds), ...SECURITY_HEADERS });
      res.end();
      return;
    }
    if (path === '/signout') {
      if (method !== 'POST') throw new HttpProblem(405, 'use POST', undefined, { allow: 'POST' });
      const cookies = parseCookies(req.headers.cookie);
      const s = sessions.get(cookies[SESSION_COOKIE]);
      const form = await formBody(req);
      if (s && !sameSecret(form.get('csrf') ?? (req.headers['x-csrf-token'] as string | undefined), s.csrf)) throw new HttpProblem(403, 'missing or wrong CSRF token');
      sessions.end(cookies[SESSION_COOKIE]);
      res.writeHead(303, { location: '/signin', 'set-cookie': cookie(SESSION_COOKIE, '', 0), ...SECURITY_HEADERS });
      res.end();
      return;
    }
    if (path.startsWith('/assets/')) {
      const name = path.slice('/assets/'.length);
      if (!/^[a-z0-9-]+\.(js|css|svg|png)$/.test(name)) throw new HttpProblem(404, 'no such asset');
      return asset(res, name);
    }
    if (path === '/api/openapi.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': openapi.length, ...SECURITY_HEADERS });
      res.end(openapi);
      return;
    }
    if (!path.startsWith('/api/v1/')) throw new HttpProblem(404, 'no such page; the results page is at / and the API under /api/v1');

    const who = await identify(req);
    if (!who) throw new HttpProblem(401, 'sign in: send a Kubernetes bearer token in Authorization (or X-Forwarded-Access-Token), or sign in at /signin', undefined, { 'www-authenticate': 'Bearer realm="raas"' });
    // Cookies ride along on any request the browser makes; a POST must also prove it came from our page.
    if (method !== 'GET' && method !== 'HEAD' && who.cookieAuth && !sameSecret(req.headers['x-csrf-token'] as string | undefined, who.csrf)) {
      throw new HttpProblem(403, 'missing or wrong CSRF token: send the X-CSRF-Token header /api/v1/whoami gives');
    }
    const parts = path.slice('/api/v1/'.length).split('/');
    if (parts.length === 1 && parts[0] === 'whoami') {
      return send(res, 200, { username: who.caller.user.username, groups: who.caller.user.groups, ...(who.csrf ? { csrfToken: who.csrf } : {}) });
    }
    const r = await handleApi(ctx, who.caller, method, parts, url.searchParams, req);
    if (r.stream) {
      const s = r.stream;
      const ascii = s.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
      res.writeHead(200, {
        'content-type': s.contentType,
        'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(s.fileName)}`,
        'cache-control': 'no-store',
        ...(s.size !== undefined ? { 'content-length': String(s.size) } : {}),
        ...SECURITY_HEADERS,
      });
      if (method === 'HEAD') {
        res.end();
        return;
      }
      s.body.on('error', () => res.destroy());
      s.body.pipe(res);
      return;
    }
    send(res, r.status, r.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const instance = (req.url ?? '').split('?')[0];
      if (err instanceof ParamError) return sendProblem(res, problem(400, err.message, err.param, instance), SECURITY_HEADERS);
      if (err instanceof HttpProblem) return sendProblem(res, problem(err.status, err.detail, err.param, instance), { ...SECURITY_HEADERS, ...err.headers });
      if (err instanceof CatalogUnavailable) {
        log?.warn({ err: err.message, path: instance }, 'results catalog unavailable');
        return sendProblem(res, problem(503, err.message, undefined, instance), SECURITY_HEADERS);
      }
      if (err instanceof ResultError) return sendProblem(res, problem(err.status, err.message, err.status === 400 ? 'column' : undefined, instance), SECURITY_HEADERS);
      log?.error({ err: (err as Error).message, path: instance }, 'request failed');
      sendProblem(res, problem(500, 'the server failed to answer; the error is in its log'), SECURITY_HEADERS);
    });
  });
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  log?.info({ host: cfg.host, port }, 'raas web listening');
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    server,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.stop();
      await results.close();
      await breaks?.close();
    },
  };
}
