// An in-process Kubernetes API server for tests and `raas sandbox`: plain HTTP on 127.0.0.1,
// serving the real REST paths (discovery, CRUD, patch, server-side apply, watch, the status
// subresource, server-side Table printing) well enough for @kubernetes/client-node and the
// real kubectl. Semantics live in store.ts; this file is the HTTP edge.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { decodeProtobuf } from './protobuf.ts';
import { openApiV2, openApiV3Index, openApiV3GroupVersion } from './openapi.ts';
import {
  aggregatedDiscovery,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  groupVersion,
  versionInfo,
  type PrinterColumn,
  type ResourceInfo,
} from './resources.ts';
import { KubeStore, type ChangeEvent, type DeleteOptions, type PatchType, type WatchEvent, type WriteOptions } from './store.ts';
import { partialObjectMetadata, toTable, type IncludeObject } from './table.ts';
import { badRequest, isMap, KubeApiError, statusError, type JsonMap, type KObject, type StatusBody } from './types.ts';

export { KubeStore } from './store.ts';
export type { ChangeEvent, GvrLike, WatchEvent } from './store.ts';
export type { Gvr, KObject, StatusBody } from './types.ts';

export interface KubeApiServerOptions {
  /** CustomResourceDefinition objects (apiextensions.k8s.io/v1) to serve from the start. */
  crds?: object[];
  /** How often watches with allowWatchBookmarks=true get a BOOKMARK (real servers: ~1 min). */
  bookmarkIntervalMs?: number;
  /** The bearer token written into kubeconfigs; any token (or none) is accepted. */
  token?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  userAgent: string;
  accept: string;
  contentType: string;
}

export interface KubeApiServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  token: string;
  /** Direct access to the objects, watches and history (test helpers live here). */
  store: KubeStore;
  /** A kubeconfig whose current context points at this server. */
  kubeconfigYaml(opts?: { namespace?: string }): string;
  writeKubeconfig(path: string, opts?: { namespace?: string }): Promise<void>;
  /** Shorthand for store.onChange: called in commit order after every stored change. */
  onChange(cb: (e: ChangeEvent) => unknown): () => void;
  /** Every request served so far (most recent last; the oldest are dropped after 20,000). */
  requests: RequestRecord[];
  stop(): Promise<void>;
}

const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-raas-test',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

interface MediaType {
  type: string;
  params: Record<string, string>;
}

function parseAccept(h: string | undefined): MediaType[] {
  if (!h) return [];
  return h.split(',').map((part) => {
    const [type, ...ps] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of ps) {
      const i = p.indexOf('=');
      if (i > 0) params[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    return { type: type ?? '', params };
  });
}

type Output = { as: 'object' } | { as: 'table'; apiVersion: string } | { as: 'partial'; apiVersion: string } | { as: 'discovery' };

function chooseOutput(accept: MediaType[]): Output {
  for (const m of accept) {
    if (m.type !== 'application/json' && m.type !== '*/*') continue;
    const as = m.params.as;
    if (as === undefined) return { as: 'object' };
    if (as === 'Table' && m.params.g === 'meta.k8s.io') return { as: 'table', apiVersion: `meta.k8s.io/${m.params.v ?? 'v1'}` };
    if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && m.params.g === 'meta.k8s.io') {
      return { as: 'partial', apiVersion: `meta.k8s.io/${m.params.v ?? 'v1'}` };
    }
    if (as === 'APIGroupDiscoveryList' && m.params.g === 'apidiscovery.k8s.io' && m.params.v === 'v2') return { as: 'discovery' };
  }
  return { as: 'object' };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, contentType: string): unknown {
  if (contentType.startsWith('application/vnd.kubernetes.protobuf')) return decodeProtobuf(raw);
  if (contentType.startsWith('application/cbor')) {
    throw statusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    if (contentType.startsWith('application/apply-patch+yaml') || contentType.includes('yaml')) return parseYaml(text);
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body of the request was in an unknown format: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function patchTypeOf(contentType: string): PatchType {
  const t = contentType.split(';')[0]?.trim();
  switch (t) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply';
  }
  throw statusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
  );
}

interface ResourcePath {
  info: ResourceInfo;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function stripItemTypeMeta(info: ResourceInfo, items: KObject[]): KObject[] {
  // Typed lists of built-in kinds omit kind/apiVersion on items; custom resource lists keep them.
  if (info.crdName !== undefined) return items;
  return items.map((o) => {
    const out = { ...o };
    delete out.kind;
    delete out.apiVersion;
    return out;
  });
}

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const store = new KubeStore();
  for (const crd of opts.crds ?? []) {
    if (!isMap(crd)) throw new Error('crds: each entry must be a CustomResourceDefinition object');
    const info = store.findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (!info) throw new Error('apiextensions.k8s.io/v1 is not served');
    try {
      store.createIn(info, 'v1', undefined, crd, {}, 'raas-test-server');
    } catch (err) {
      if (err instanceof KubeApiError) throw new Error(`invalid CRD: ${err.status.message}`, { cause: err });
      throw err;
    }
  }
  const token = opts.token ?? 'raas-test-token';
  const bookmarkMs = opts.bookmarkIntervalMs ?? 60_000;
  const requests: RequestRecord[] = [];
  const sockets = new Set<Socket>();
  let url = '';

  function resolvePath(segments: string[]): ResourcePath | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api') {
      group = '';
      version = segments[1] ?? '';
      rest = segments.slice(2);
    } else {
      group = segments[1] ?? '';
      version = segments[2] ?? '';
      rest = segments.slice(3);
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, subresource, ...extra] = rest;
    if (!resource || extra.length > 0) return undefined;
    const info = store.findResource(group, version, resource);
    if (!info) return undefined;
    if (namespace !== undefined && !info.namespaced) return undefined;
    const p: ResourcePath = { info, version };
    if (namespace !== undefined) p.namespace = namespace;
    if (name !== undefined) p.name = name;
    if (subresource !== undefined) p.subresource = subresource;
    return p;
  }

  function writeOptions(q: URLSearchParams): WriteOptions {
    const o: WriteOptions = {};
    if (q.get('dryRun') === 'All') o.dryRun = true;
    const fm = q.get('fieldManager');
    if (fm) o.fieldManager = fm;
    const fv = q.get('fieldValidation');
    if (fv === 'Strict' || fv === 'Warn' || fv === 'Ignore') o.fieldValidation = fv;
    return o;
  }

  function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
    const o: DeleteOptions = {};
    const b = isMap(body) ? body : {};
    const policy = q.get('propagationPolicy') ?? b.propagationPolicy;
    if (policy === 'Foreground' || policy === 'Background' || policy === 'Orphan') o.propagationPolicy = policy;
    else if (q.get('orphanDependents') === 'true' || b.orphanDependents === true) o.propagationPolicy = 'Orphan';
    if (q.get('dryRun') === 'All' || (Array.isArray(b.dryRun) && b.dryRun.includes('All'))) o.dryRun = true;
    if (isMap(b.preconditions)) {
      const pre: { uid?: string; resourceVersion?: string } = {};
      if (typeof b.preconditions.uid === 'string') pre.uid = b.preconditions.uid;
      if (typeof b.preconditions.resourceVersion === 'string') pre.resourceVersion = b.preconditions.resourceVersion;
      o.preconditions = pre;
    }
    return o;
  }

  function includeObject(q: URLSearchParams): IncludeObject {
    const v = q.get('includeObject');
    return v === 'None' || v === 'Object' ? v : 'Metadata';
  }

  function columnsFor(info: ResourceInfo, version: string): PrinterColumn[] | undefined {
    return info.crdName !== undefined ? versionInfo(info, version)?.printerColumns : undefined;
  }

  function renderOne(p: ResourcePath, out: Output, obj: KObject, q: URLSearchParams): JsonMap {
    if (out.as === 'table') {
      const t = toTable(p.info, columnsFor(p.info, p.version), [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, includeObject(q));
      t.apiVersion = out.apiVersion;
      return t;
    }
    if (out.as === 'partial') return { ...partialObjectMetadata(obj), apiVersion: out.apiVersion };
    return obj;
  }

  function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
    res.end(text);
  }

  function warningHeaders(warnings: string[]): Record<string, string[]> {
    return warnings.length ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {};
  }

  function startWatch(req: IncomingMessage, res: ServerResponse, p: ResourcePath, q: URLSearchParams, out: Output): void {
    const rvParam = q.get('resourceVersion');
    if (rvParam !== null && rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${rvParam}`);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      cancel();
    };
    const write = (ev: WatchEvent): void => {
      if (closed) return;
      let object: JsonMap = ev.object;
      if ((ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') && out.as !== 'object') {
        // Watch events are tables too when kubectl asked for a Table (kubectl get -w).
        object = renderOne(p, out, ev.object as KObject, q);
      }
      res.write(`${JSON.stringify({ type: ev.type, object })}\n`);
    };
    const sink = {
      send: write,
      close: (abrupt?: boolean) => {
        if (closed) return;
        finish();
        if (abrupt) res.socket?.destroy();
        else res.end();
      },
    };
    let cancel: () => void = () => undefined;
    const selectorOpts: { resourceVersion?: string; labelSelector?: string; fieldSelector?: string } = {};
    const rv = q.get('resourceVersion');
    if (rv !== null) selectorOpts.resourceVersion = rv;
    const ls = q.get('labelSelector');
    if (ls) selectorOpts.labelSelector = ls;
    const fs = q.get('fieldSelector');
    if (fs) selectorOpts.fieldSelector = fs;
    cancel = store.watchIn(p.info, p.version, p.namespace, selectorOpts, sink);
    if (closed) {
      cancel();
      return;
    }
    req.on('close', finish);
    res.on('close', finish);
    const timeout = Number(q.get('timeoutSeconds') ?? '');
    if (Number.isFinite(timeout) && timeout > 0) timers.push(setTimeout(() => sink.close(false), timeout * 1000));
    if (q.get('allowWatchBookmarks') === 'true') {
      const tick = (): void => {
        if (closed) return;
        write({
          type: 'BOOKMARK',
          object: { kind: p.info.kind, apiVersion: groupVersion(p.info.group, p.version), metadata: { resourceVersion: store.resourceVersion } },
        });
        timers.push(setTimeout(tick, bookmarkMs));
      };
      timers.push(setTimeout(tick, bookmarkMs));
    }
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, p: ResourcePath, q: URLSearchParams, bodyRaw: Buffer): Promise<number> {
    const method = req.method ?? 'GET';
    const out = chooseOutput(parseAccept(req.headers.accept));
    const contentType = req.headers['content-type'] ?? 'application/json';
    const manager = KubeStore.managerFor(q.get('fieldManager') ?? undefined, req.headers['user-agent']);
    const { info, version } = p;
    const sub = p.subresource;
    if (sub === 'log' && info.group === '' && info.resource === 'pods' && p.name !== undefined && method === 'GET') {
      // What `kubectl logs` reads; a job simulator fills it with store.setPodLog().
      if (!store.getIn(info, version, p.namespace, p.name)) throw statusError(404, 'NotFound', `pods "${p.name}" not found`, { name: p.name, kind: 'pods' });
      let log = store.podLog(p.namespace ?? '', p.name);
      const tail = Number(q.get('tailLines') ?? '');
      if (q.get('tailLines') !== null && Number.isInteger(tail) && tail >= 0) {
        const lines = log.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        log = lines
          .slice(Math.max(0, lines.length - tail))
          .map((l) => `${l}\n`)
          .join('');
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(log);
      return 200;
    }
    if (sub !== undefined && (sub !== 'status' || !versionInfo(info, version)?.hasStatus)) {
      throw statusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const status = sub === 'status' ? 'status' : undefined;
    if (info.namespaced && p.name !== undefined && p.namespace === undefined) {
      throw statusError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (p.name === undefined) {
      if (method === 'GET') {
        if (q.get('watch') === 'true' || q.get('watch') === '1') {
          startWatch(req, res, p, q, out);
          return 200;
        }
        const limit = Number(q.get('limit') ?? '');
        const listOpts: { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string } = {};
        const ls = q.get('labelSelector');
        if (ls) listOpts.labelSelector = ls;
        const fs = q.get('fieldSelector');
        if (fs) listOpts.fieldSelector = fs;
        if (Number.isInteger(limit) && limit > 0) listOpts.limit = limit;
        const cont = q.get('continue');
        if (cont) listOpts.continue = cont;
        const r = store.listIn(info, version, p.namespace, listOpts);
        const meta: JsonMap = { resourceVersion: store.resourceVersion };
        if (r.continue !== undefined) {
          meta.continue = r.continue;
          meta.remainingItemCount = r.remaining;
        }
        if (out.as === 'table') {
          const t = toTable(info, columnsFor(info, version), r.items, meta, includeObject(q));
          t.apiVersion = out.apiVersion;
          send(res, 200, t);
        } else if (out.as === 'partial') {
          send(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: out.apiVersion, metadata: meta, items: r.items.map(partialObjectMetadata) });
        } else {
          send(res, 200, { kind: info.listKind, apiVersion: groupVersion(info.group, version), metadata: meta, items: stripItemTypeMeta(info, r.items) });
        }
        return 200;
      }
      if (method === 'POST') {
        const body = parseBody(bodyRaw, contentType);
        if (!isMap(body)) throw badRequest('the body of the request was in an unknown format');
        if (info.namespaced && p.namespace === undefined) throw statusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        KubeStore.refuseResourceVersionOnCreate(body);
        const r = store.createIn(info, version, p.namespace, body, writeOptions(q), manager);
        send(res, 201, r.object, warningHeaders(r.warnings));
        return 201;
      }
      if (method === 'DELETE') {
        const body = parseBody(bodyRaw, contentType);
        const listOpts: { labelSelector?: string; fieldSelector?: string } = {};
        const ls = q.get('labelSelector');
        if (ls) listOpts.labelSelector = ls;
        const fs = q.get('fieldSelector');
        if (fs) listOpts.fieldSelector = fs;
        const items = store.deleteCollectionIn(info, version, p.namespace, listOpts, deleteOptions(q, body));
        send(res, 200, { kind: info.listKind, apiVersion: groupVersion(info.group, version), metadata: { resourceVersion: store.resourceVersion }, items: stripItemTypeMeta(info, items) });
        return 200;
      }
      throw statusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
    const name = p.name;
    switch (method) {
      case 'GET': {
        const obj = store.getIn(info, version, p.namespace, name);
        if (!obj) throw statusError(404, 'NotFound', `${info.group ? `${info.resource}.${info.group}` : info.resource} "${name}" not found`, { name, group: info.group, kind: info.resource });
        send(res, 200, renderOne(p, out, obj, q));
        return 200;
      }
      case 'PUT': {
        const body = parseBody(bodyRaw, contentType);
        if (!isMap(body)) throw badRequest('the body of the request was in an unknown format');
        const r = store.updateIn(info, version, p.namespace, name, body, writeOptions(q), manager, status);
        send(res, 200, r.object, warningHeaders(r.warnings));
        return 200;
      }
      case 'PATCH': {
        const type = patchTypeOf(contentType);
        const body = parseBody(bodyRaw, contentType);
        const wo = writeOptions(q);
        if (type === 'apply' && !q.get('fieldManager')) {
          throw statusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
            group: 'meta.k8s.io',
            kind: 'PatchOptions',
            causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
          });
        }
        const force = q.get('force') === 'true';
        if (force && type !== 'apply') throw badRequest('force is only allowed for apply patches');
        const r = store.patchIn(info, version, p.namespace, name, type, body, { ...wo, force }, manager, status);
        const code = r.created ? 201 : 200;
        send(res, code, r.object, warningHeaders(r.warnings));
        return code;
      }
      case 'DELETE': {
        const body = parseBody(bodyRaw, contentType);
        const r = store.deleteIn(info, version, p.namespace, name, deleteOptions(q, body));
        send(res, 200, r.object, warningHeaders(r.warnings));
        return 200;
      }
    }
    throw statusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const segments = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = u.searchParams;
    const bodyRaw = await readBody(req);
    const accept = parseAccept(req.headers.accept);
    const out = chooseOutput(accept);
    const path = u.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') {
      send(res, 200, SERVER_VERSION);
      return 200;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return 200;
    }
    const discoveryHeaders = { 'Content-Type': 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' };
    if (path === '/api') {
      if (out.as === 'discovery') send(res, 200, aggregatedDiscovery(store.allResources(), true), discoveryHeaders);
      else send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(url).host }] });
      return 200;
    }
    if (path === '/apis') {
      if (out.as === 'discovery') send(res, 200, aggregatedDiscovery(store.allResources(), false), discoveryHeaders);
      else send(res, 200, apiGroupList(store.allResources()));
      return 200;
    }
    if (path === '/openapi/v2') {
      // kubectl asks for the protobuf form; without JSON in Accept it gets a 404 and moves on.
      if (!accept.some((m) => m.type === 'application/json' || m.type === '*/*')) {
        throw statusError(404, 'NotFound', 'the server could not find the requested resource');
      }
      send(res, 200, openApiV2(store.allResources()));
      return 200;
    }
    if (path === '/openapi/v3') {
      send(res, 200, openApiV3Index(store.allResources()));
      return 200;
    }
    if (segments[0] === 'openapi' && segments[1] === 'v3') {
      const gvPath = segments.slice(2);
      const doc = openApiV3GroupVersion(store.allResources(), gvPath);
      if (!doc) throw statusError(404, 'NotFound', 'the server could not find the requested resource');
      send(res, 200, doc);
      return 200;
    }
    if (segments[0] === 'api' && segments.length === 2) {
      if (segments[1] !== 'v1') throw statusError(404, 'NotFound', 'the server could not find the requested resource');
      send(res, 200, apiResourceList(store.allResources(), '', 'v1'));
      return 200;
    }
    if (segments[0] === 'apis' && segments.length === 2) {
      const g = apiGroupDoc(store.allResources(), segments[1] ?? '');
      if (!g) throw statusError(404, 'NotFound', 'the server could not find the requested resource');
      send(res, 200, g);
      return 200;
    }
    if (segments[0] === 'apis' && segments.length === 3) {
      const list = apiResourceList(store.allResources(), segments[1] ?? '', segments[2] ?? '');
      if (!Array.isArray(list.resources) || list.resources.length === 0) {
        throw statusError(404, 'NotFound', 'the server could not find the requested resource');
      }
      send(res, 200, list);
      return 200;
    }
    if (segments[0] === 'api' || segments[0] === 'apis') {
      const p = resolvePath(segments);
      if (!p) throw statusError(404, 'NotFound', 'the server could not find the requested resource');
      return handleResource(req, res, p, q, bodyRaw);
    }
    throw statusError(404, 'NotFound', 'the server could not find the requested resource');
  }

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      status: 0,
      userAgent: req.headers['user-agent'] ?? '',
      accept: req.headers.accept ?? '',
      contentType: req.headers['content-type'] ?? '',
    };
    requests.push(record);
    if (requests.length > 20_000) requests.splice(0, requests.length - 20_000);
    handle(req, res).then(
      (code) => {
        record.status = code;
      },
      (err: unknown) => {
        let status: StatusBody;
        let headers: Record<string, string> = {};
        if (err instanceof KubeApiError) {
          status = err.status;
          headers = err.headers;
        } else {
          status = statusError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`).status;
        }
        record.status = status.code;
        if (res.headersSent) {
          res.end();
          return;
        }
        send(res, status.code, status, headers);
      },
    );
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;

  // client-node 1.x refuses a plain-http cluster unless insecure-skip-tls-verify is set
  // ("HTTP protocol is not allowed when skipTLSVerify is not set"); kubectl ignores it for http.
  const kubeconfigYaml = (o: { namespace?: string } = {}): string =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: raas-test',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'contexts:',
      '- name: raas-test',
      '  context:',
      '    cluster: raas-test',
      '    user: raas-test',
      `    namespace: ${o.namespace ?? 'default'}`,
      'current-context: raas-test',
      'users:',
      '- name: raas-test',
      '  user:',
      `    token: ${token}`,
      'preferences: {}',
      '',
    ].join('\n');

  return {
    url,
    port,
    token,
    store,
    requests,
    kubeconfigYaml,
    writeKubeconfig: (path, o) => writeFile(path, kubeconfigYaml(o), { mode: 0o600 }),
    onChange: (cb) => store.onChange(cb),
    stop: async () => {
      store.dropWatches();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
