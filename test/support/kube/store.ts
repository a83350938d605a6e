// The object store behind the test API server, with the semantics controllers depend on:
// one global resourceVersion counter, create/update/patch/apply/delete with 409s, the
// status subresource, generation, garbage collection of owned objects, namespace deletion,
// CRD registration, and a retained event history that watches replay from (410 Gone once
// compacted). Deletion is immediate: deletionTimestamp and finalizers are not modelled.
import { randomUUID } from 'node:crypto';
import { defaultBuiltin, validateBuiltin, validateMeta } from './builtins.ts';
import { serverSideApply, trackUpdate, type TypeInfo } from './managed-fields.ts';
import { jsonPatch, mergePatch, strategicMerge } from './patch.ts';
import {
  builtinResources,
  establishedCrdStatus,
  groupVersion,
  resourceFromCrd,
  validateCrd,
  versionInfo,
  type ResourceInfo,
} from './resources.ts';
import { pruneAndDefault, validateCustomResource } from './schema.ts';
import { parseFieldSelector, parseLabelSelector, type FieldSelector, type Selector } from './selectors.ts';
import {
  alreadyExists,
  asKObject,
  badRequest,
  clone,
  conflict,
  deepEqual,
  invalid,
  isMap,
  notFound,
  statusError,
  type FieldError,
  type Gvr,
  type JsonMap,
  type KObject,
  type ManagedFieldsEntry,
  type StatusBody,
} from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** What onChange() listeners receive, after the change is stored. */
export interface ChangeEvent {
  type: EventType;
  gvr: Gvr;
  kind: string;
  object: KObject;
  oldObject?: KObject;
}

export interface WatchEvent {
  type: EventType | 'BOOKMARK' | 'ERROR';
  object: JsonMap;
}

/** Where a watch's events go (the HTTP layer writes them as JSON lines). */
export interface WatchSink {
  send(ev: WatchEvent): void;
  /** abrupt: destroy the connection instead of ending the response cleanly. */
  close(abrupt?: boolean): void;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Request version (group/version) the object is written through; defaults to preferred. */
  version?: string;
}

export interface WriteResult {
  object: KObject;
  warnings: string[];
  created: boolean;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A gvr, or a kubectl-style name: `reconruns`, `rr`, `jobs.batch`, `batch/v1/jobs`, `v1/pods`. */
export type GvrLike = Gvr | string;

interface HistoryEntry {
  rv: number;
  gr: string;
  type: EventType;
  object: KObject;
  oldObject?: KObject;
}

interface Watcher {
  gr: string;
  version: string;
  namespace?: string;
  label: Selector;
  field: FieldSelector;
  sink: WatchSink;
}

function grKey(group: string, resource: string): string {
  return `${group}/${resource}`;
}

function objKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function nowTimestamp(): string {
  // metav1.Time serialises with second precision.
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return s;
}

/** Everything except metadata (and status where it is a subresource): what generation tracks. */
function generationContent(obj: JsonMap, hasStatus: boolean): JsonMap {
  const out: JsonMap = { ...obj };
  delete out.metadata;
  delete out.apiVersion;
  delete out.kind;
  if (hasStatus) delete out.status;
  return out;
}

/** Stored objects compared for a no-op write: system-maintained metadata is ignored. */
function comparable(obj: KObject): JsonMap {
  const m = { ...obj.metadata };
  delete m.resourceVersion;
  delete m.managedFields;
  return { ...obj, metadata: m, apiVersion: undefined };
}

function managerFrom(userAgent: string | undefined): string {
  // The real server derives the manager from the User-Agent up to the first '/'.
  const ua = userAgent ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}

export class KubeStore {
  private rv = 0;
  private compacted = 0;
  private readonly resources = new Map<string, ResourceInfo>();
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly byUid = new Map<string, { gr: string; key: string }>();
  private history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(e: ChangeEvent) => unknown>();
  private readonly pending: ChangeEvent[] = [];
  private draining = false;
  /** Errors thrown (or rejected) by onChange listeners, so tests can assert there were none. */
  readonly hookErrors: unknown[] = [];
  /** Events kept for watch resumption; older ones are compacted away (410 Gone). */
  historyLimit = 100_000;

  constructor() {
    for (const r of builtinResources()) this.resources.set(grKey(r.group, r.resource), r);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.createIn(this.mustResource('', 'namespaces'), 'v1', undefined, { metadata: { name: ns } }, {}, 'raas-test-server');
    }
  }

  // ---- resource catalog -------------------------------------------------------------

  allResources(): ResourceInfo[] {
    return [...this.resources.values()];
  }

  findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
    const r = this.resources.get(grKey(group, resource));
    return r && versionInfo(r, version) ? r : undefined;
  }

  private mustResource(group: string, resource: string): ResourceInfo {
    const r = this.resources.get(grKey(group, resource));
    if (!r) throw new Error(`no resource ${grKey(group, resource)}`);
    return r;
  }

  /** Resolves a GvrLike the way kubectl resolves resource arguments. */
  resolve(g: GvrLike): { info: ResourceInfo; version: string } {
    if (typeof g !== 'string') {
      const info = this.findResource(g.group, g.version, g.resource);
      if (!info) throw new Error(`the server does not serve ${groupVersion(g.group, g.version)} ${g.resource}`);
      return { info, version: g.version };
    }
    const parts = g.split('/');
    if (parts.length === 3 || parts.length === 2) {
      const [group, version, resource] = parts.length === 3 ? parts : ['', parts[0], parts[1]];
      return this.resolve({ group: group ?? '', version: version ?? '', resource: resource ?? '' });
    }
    const [name, ...groupParts] = g.split('.');
    const group = groupParts.join('.');
    const candidates = this.allResources().filter(
      (r) =>
        (groupParts.length === 0 || r.group === group) &&
        (r.resource === name || r.singular === name || r.kind.toLowerCase() === name || r.shortNames.includes(name ?? '')),
    );
    // Like kubectl, the core group wins when a name is ambiguous (events).
    candidates.sort((a, b) => Number(a.group !== '') - Number(b.group !== ''));
    const info = candidates[0];
    if (!info) throw new Error(`the server doesn't have a resource type "${g}"`);
    return { info, version: info.versions[0]?.name ?? '' };
  }

  // ---- reads -------------------------------------------------------------------------

  get resourceVersion(): string {
    return String(this.rv);
  }

  private bucket(info: ResourceInfo): Map<string, KObject> {
    const k = grKey(info.group, info.resource);
    let m = this.objects.get(k);
    if (!m) {
      m = new Map();
      this.objects.set(k, m);
    }
    return m;
  }

  /** The object as served at `version` (apiVersion/kind set), or undefined. */
  getIn(info: ResourceInfo, version: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(info).get(objKey(info.namespaced ? namespace : undefined, name));
    return o ? this.present(info, version, o) : undefined;
  }

  present(info: ResourceInfo, version: string, o: KObject): KObject {
    const out = clone(o);
    out.apiVersion = groupVersion(info.group, version);
    out.kind = info.kind;
    return out;
  }

  listIn(info: ResourceInfo, version: string, namespace: string | undefined, opts: ListOptions = {}): { items: KObject[]; continue?: string; remaining?: number } {
    const label = parseLabelSelector(opts.labelSelector);
    const field = parseFieldSelector(opts.fieldSelector);
    let items = [...this.bucket(info).entries()]
      .filter(([, o]) => !info.namespaced || namespace === undefined || o.metadata.namespace === namespace)
      .filter(([, o]) => label(o.metadata.labels) && field(o))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (opts.continue) {
      let start: string;
      try {
        const token: unknown = JSON.parse(Buffer.from(opts.continue, 'base64').toString('utf8'));
        if (!isMap(token) || typeof token.start !== 'string') throw new Error('bad token');
        start = token.start;
      } catch {
        throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
      }
      items = items.filter(([k]) => k > start);
    }
    let cont: string | undefined;
    let remaining: number | undefined;
    if (opts.limit !== undefined && opts.limit > 0 && items.length > opts.limit) {
      remaining = items.length - opts.limit;
      items = items.slice(0, opts.limit);
      const last = items[items.length - 1]?.[0] ?? '';
      cont = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: this.rv, start: last })).toString('base64');
    }
    const result: { items: KObject[]; continue?: string; remaining?: number } = { items: items.map(([, o]) => this.present(info, version, o)) };
    if (cont !== undefined) {
      result.continue = cont;
      result.remaining = remaining;
    }
    return result;
  }

  // ---- test helpers --------------------------------------------------------------------

  get(gvr: GvrLike, namespace: string | undefined, name: string): KObject | undefined {
    const { info, version } = this.resolve(gvr);
    return this.getIn(info, version, namespace, name);
  }

  list(gvr: GvrLike, namespace?: string, opts: ListOptions = {}): KObject[] {
    const { info, version } = this.resolve(gvr);
    return this.listIn(info, version, namespace, opts).items;
  }

  create(gvr: GvrLike, obj: JsonMap, opts: WriteOptions = {}): KObject {
    const { info, version } = this.resolve(gvr);
    KubeStore.refuseResourceVersionOnCreate(obj);
    const ns = isMap(obj.metadata) && typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : undefined;
    return this.createIn(info, opts.version ?? version, ns, obj, opts, opts.fieldManager ?? 'raas-test-server').object;
  }

  /** PUT semantics; with subresource 'status', only status is written. */
  update(gvr: GvrLike, obj: JsonMap, opts: WriteOptions & { subresource?: 'status' } = {}): KObject {
    const { info, version } = this.resolve(gvr);
    const m = isMap(obj.metadata) ? obj.metadata : {};
    const ns = typeof m.namespace === 'string' ? m.namespace : undefined;
    const name = typeof m.name === 'string' ? m.name : '';
    return this.updateIn(info, opts.version ?? version, ns, name, obj, opts, opts.fieldManager ?? 'raas-test-server', opts.subresource).object;
  }

  updateStatus(gvr: GvrLike, obj: JsonMap, opts: WriteOptions = {}): KObject {
    return this.update(gvr, obj, { ...opts, subresource: 'status' });
  }

  patch(
    gvr: GvrLike,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    opts: PatchOptions & { subresource?: 'status' } = {},
  ): KObject {
    const { info, version } = this.resolve(gvr);
    return this.patchIn(info, opts.version ?? version, namespace, name, type, body, opts, opts.fieldManager ?? 'raas-test-server', opts.subresource).object;
  }

  delete(gvr: GvrLike, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KObject {
    const { info, version } = this.resolve(gvr);
    return this.deleteIn(info, version, namespace, name, opts).object;
  }

  /**
   * Bumps the resourceVersion (as an unrelated write would) and compacts history up to it:
   * every open watch gets an ERROR 410 Expired event and ends, and a watch resumed from any
   * earlier resourceVersion gets 410 too, so informers must relist.
   */
  expireWatches(): void {
    this.rv++;
    this.compactTo(this.rv);
    for (const w of [...this.watchers]) {
      w.sink.send({ type: 'ERROR', object: { ...this.goneStatus(String(this.rv - 1)) } });
      this.closeWatcher(w, false);
    }
  }

  /** Ends every open watch stream without an event (abrupt: reset the connection instead). */
  dropWatches(opts: { abrupt?: boolean } = {}): void {
    for (const w of [...this.watchers]) this.closeWatcher(w, opts.abrupt ?? false);
  }

  /** Forgets history up to `rv`: a watch resuming from an older resourceVersion gets 410 Gone. */
  compactTo(rv: number | string): void {
    const n = Number(rv);
    if (n > this.compacted) this.compacted = n;
    this.history = this.history.filter((h) => h.rv > this.compacted);
  }

  private readonly podLogs = new Map<string, string>();

  /** Sets what GET .../pods/<name>/log (kubectl logs) returns for a pod. */
  setPodLog(namespace: string, name: string, text: string): void {
    this.podLogs.set(objKey(namespace, name), text);
  }

  podLog(namespace: string, name: string): string {
    return this.podLogs.get(objKey(namespace, name)) ?? '';
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  /** Called (asynchronously, in commit order) after every stored change. Returns an unsubscribe. */
  onChange(cb: (e: ChangeEvent) => unknown): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Resolves once every change so far has been handed to the onChange listeners. */
  async settled(): Promise<void> {
    while (this.pending.length > 0 || this.draining) await new Promise((r) => setImmediate(r));
  }

  // ---- watch ---------------------------------------------------------------------------

  private goneStatus(rv: string): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${rv} (${this.compacted})`,
      reason: 'Expired',
      code: 410,
    };
  }

  private eventFor(w: Watcher, type: EventType, obj: KObject, old: KObject | undefined): EventType | undefined {
    if (w.namespace !== undefined && obj.metadata.namespace !== w.namespace) return undefined;
    const matches = (o: KObject | undefined): boolean => o !== undefined && w.label(o.metadata.labels) && w.field(o);
    if (type === 'DELETED') return matches(obj) ? 'DELETED' : undefined;
    const now = matches(obj);
    const before = type === 'MODIFIED' && matches(old);
    if (now && before) return 'MODIFIED';
    if (now) return 'ADDED';
    // An object that stops matching the selector leaves this watcher's view.
    if (before) return 'DELETED';
    return undefined;
  }

  /**
   * Starts a watch. resourceVersion unset or "0": synthetic ADDED events for current objects
   * first; otherwise replays history after it, or sends 410 Gone if that history is compacted.
   */
  watchIn(info: ResourceInfo, version: string, namespace: string | undefined, opts: WatchOptions, sink: WatchSink): () => void {
    const w: Watcher = {
      gr: grKey(info.group, info.resource),
      version,
      namespace: info.namespaced ? namespace : undefined,
      label: parseLabelSelector(opts.labelSelector),
      field: parseFieldSelector(opts.fieldSelector),
      sink,
    };
    const send = (type: EventType, o: KObject): void => sink.send({ type, object: this.present(info, version, o) });
    const rv = opts.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      for (const o of this.listIn(info, version, w.namespace, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }).items) {
        sink.send({ type: 'ADDED', object: o });
      }
    } else {
      const n = Number(rv);
      if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid resource version: ${rv}`);
      if (n < this.compacted) {
        sink.send({ type: 'ERROR', object: { ...this.goneStatus(rv) } });
        sink.close(false);
        return () => undefined;
      }
      for (const h of this.history) {
        if (h.rv <= n || h.gr !== w.gr) continue;
        const t = this.eventFor(w, h.type, h.object, h.oldObject);
        if (t) send(t, h.object);
      }
    }
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }

  private closeWatcher(w: Watcher, abrupt: boolean): void {
    this.watchers.delete(w);
    w.sink.close(abrupt);
  }

  // ---- writes ----------------------------------------------------------------------------

  private commit(info: ResourceInfo, type: EventType, obj: KObject, old: KObject | undefined): KObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    const bucket = this.bucket(info);
    const key = objKey(obj.metadata.namespace, obj.metadata.name ?? '');
    const gr = grKey(info.group, info.resource);
    if (type === 'DELETED') {
      bucket.delete(key);
      if (info.group === '' && info.resource === 'pods') this.podLogs.delete(key);
      if (obj.metadata.uid) this.byUid.delete(obj.metadata.uid);
    } else {
      bucket.set(key, obj);
      if (obj.metadata.uid) this.byUid.set(obj.metadata.uid, { gr, key });
    }
    const entry: HistoryEntry = { rv: this.rv, gr, type, object: clone(obj) };
    if (old) entry.oldObject = clone(old);
    this.history.push(entry);
    if (this.history.length > this.historyLimit) this.compactTo(this.history[this.history.length - this.historyLimit]?.rv ?? 0);
    const version = info.versions[0]?.name ?? '';
    for (const w of [...this.watchers]) {
      if (w.gr !== gr) continue;
      const t = this.eventFor(w, type, obj, old);
      if (t) w.sink.send({ type: t, object: this.present(info, w.version, obj) });
    }
    if (this.listeners.size > 0) {
      const ev: ChangeEvent = {
        type,
        gvr: { group: info.group, version, resource: info.resource },
        kind: info.kind,
        object: this.present(info, version, obj),
      };
      if (old) ev.oldObject = this.present(info, version, old);
      this.pending.push(ev);
      this.scheduleDrain();
    }
    return obj;
  }

  private scheduleDrain(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const ev = this.pending.shift() as ChangeEvent;
        for (const cb of [...this.listeners]) {
          try {
            await cb(ev);
          } catch (err) {
            this.hookErrors.push(err);
            console.error('kube test server: onChange listener failed:', err);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private typesOf(info: ResourceInfo, version: string): TypeInfo {
    if (info.crdName === undefined) return { builtin: true };
    return { builtin: false, schema: versionInfo(info, version)?.schema };
  }

  /**
   * Prunes, defaults and validates `obj` in place (what the real server does between
   * decoding and storing). Returns warnings; throws 400/422 Status errors.
   */
  private admit(info: ResourceInfo, version: string, obj: KObject, old: KObject | undefined, opts: WriteOptions): string[] {
    const warnings: string[] = [];
    const name = obj.metadata.name ?? '';
    const errors: FieldError[] = validateMeta(obj, { namespaceName: info.group === '' && info.resource === 'namespaces' });
    if (errors.length) throw invalid(info.kind, info.group, name, errors);
    const v = versionInfo(info, version);
    if (info.crdName !== undefined && v?.schema) {
      const unknown = pruneAndDefault(obj, v.schema);
      if (unknown.length && opts.fieldValidation === 'Strict') {
        throw badRequest(
          `${info.kind} in version "${version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`,
        );
      }
      if (unknown.length && opts.fieldValidation !== 'Ignore') warnings.push(...unknown.map((u) => `unknown field "${u}"`));
      errors.push(...validateCustomResource(obj, v.schema, old));
    } else {
      defaultBuiltin(info.resource, info.group, obj, old === undefined);
      errors.push(...validateBuiltin(info.resource, info.group, obj, old));
    }
    if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') errors.push(...validateCrd(obj));
    if (errors.length) throw invalid(info.kind, info.group, name, errors);
    return warnings;
  }

  private checkKind(info: ResourceInfo, version: string, body: JsonMap): void {
    const gv = groupVersion(info.group, version);
    if (body.kind !== undefined && body.kind !== info.kind) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== gv) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`);
    }
  }

  createIn(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    body: JsonMap,
    opts: WriteOptions,
    manager: string,
    appliedFields?: ManagedFieldsEntry[],
  ): WriteResult {
    if (!isMap(body)) throw badRequest('the body of the request was in an unknown format');
    this.checkKind(info, version, body);
    const obj = asKObject(clone(body));
    const m = obj.metadata;
    if (info.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && namespace !== undefined && m.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      const ns = namespace ?? m.namespace;
      if (!ns) throw badRequest('the namespace of the provided object must be set');
      m.namespace = ns;
      if (!this.bucket(this.mustResource('', 'namespaces')).has(objKey(undefined, ns))) {
        throw statusError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
      }
    } else {
      delete m.namespace;
    }
    if (!m.name) {
      if (!m.generateName) {
        throw invalid(info.kind, info.group, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'Required value: name or generateName is required' }]);
      }
      m.name = `${m.generateName}${randomSuffix()}`;
    }
    const name = m.name;
    if (this.bucket(info).has(objKey(m.namespace, name))) throw alreadyExists(info.group, info.resource, name);
    m.uid = randomUUID();
    m.creationTimestamp = nowTimestamp();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.managedFields;
    if (info.generation) m.generation = 1;
    else delete m.generation;
    const hasStatus = versionInfo(info, version)?.hasStatus ?? false;
    if (hasStatus) delete obj.status;
    if (info.group === '' && info.resource === 'pods') obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
    if (info.group === '' && info.resource === 'namespaces') obj.status = { phase: 'Active' };
    const warnings = this.admit(info, version, obj, undefined, opts);
    if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') {
      obj.status = establishedCrdStatus(obj, nowTimestamp());
    }
    obj.apiVersion = groupVersion(info.group, version);
    obj.kind = info.kind;
    // An apply that creates records an Apply entry; any other create records an Update.
    if (appliedFields) obj.metadata.managedFields = appliedFields;
    else trackUpdate(undefined, obj, manager, groupVersion(info.group, version), this.typesOf(info, version));
    if (opts.dryRun) return { object: this.present(info, version, obj), warnings, created: true };
    this.commit(info, 'ADDED', obj, undefined);
    this.afterCreate(info, obj);
    return { object: this.present(info, version, obj), warnings, created: true };
  }

  private afterCreate(info: ResourceInfo, obj: KObject): void {
    if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') this.registerCrd(obj);
    if (info.group === '' && info.resource === 'namespaces') {
      // The serviceaccount controller gives every namespace a "default" ServiceAccount.
      const sa = this.mustResource('', 'serviceaccounts');
      const ns = obj.metadata.name ?? '';
      if (!this.bucket(sa).has(objKey(ns, 'default'))) {
        this.createIn(sa, 'v1', ns, { metadata: { name: 'default', namespace: ns } }, {}, 'kube-controller-manager');
      }
    }
    // The garbage collector deletes a new object whose owners are all gone already.
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length > 0 && refs.every((r) => !this.byUid.has(r.uid))) {
      const ns = obj.metadata.namespace;
      const name = obj.metadata.name ?? '';
      const uid = obj.metadata.uid;
      setImmediate(() => {
        const cur = this.bucket(info).get(objKey(ns, name));
        if (cur && cur.metadata.uid === uid && (cur.metadata.ownerReferences ?? []).every((r) => !this.byUid.has(r.uid))) {
          this.deleteIn(info, info.versions[0]?.name ?? '', ns, name, { propagationPolicy: 'Background' });
        }
      });
    }
  }

  private registerCrd(crd: KObject): void {
    const r = resourceFromCrd(crd);
    this.resources.set(grKey(r.group, r.resource), r);
  }

  /**
   * Stores `next` as the new state of `current` after admission: enforces the resourceVersion
   * precondition, keeps system metadata, bumps generation, skips no-op writes.
   */
  private finishUpdate(
    info: ResourceInfo,
    version: string,
    current: KObject,
    next: KObject,
    opts: WriteOptions,
    manager: string,
    subresource: 'status' | undefined,
    managedFieldsDone: boolean,
  ): WriteResult {
    const name = current.metadata.name ?? '';
    const hasStatus = versionInfo(info, version)?.hasStatus ?? false;
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) throw conflict(info.group, info.resource, name);
    let obj: KObject;
    if (subresource === 'status') {
      // Only status is taken from a /status write.
      obj = clone(current);
      if (next.status === undefined) delete obj.status;
      else obj.status = clone(next.status);
      if (managedFieldsDone && next.metadata.managedFields) obj.metadata.managedFields = next.metadata.managedFields;
    } else {
      obj = next;
      if (hasStatus) {
        if (current.status === undefined) delete obj.status;
        else obj.status = clone(current.status);
      }
      const m = obj.metadata;
      const c = current.metadata;
      m.name = c.name;
      m.uid = c.uid;
      m.creationTimestamp = c.creationTimestamp;
      if (info.namespaced) m.namespace = c.namespace;
      else delete m.namespace;
      if (c.generation !== undefined) m.generation = c.generation;
      if (!managedFieldsDone) m.managedFields = c.managedFields;
    }
    obj.apiVersion = groupVersion(info.group, version);
    obj.kind = info.kind;
    const warnings = this.admit(info, version, obj, current, opts);
    if (info.generation && !deepEqual(generationContent(obj, hasStatus), generationContent(current, hasStatus))) {
      obj.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    if (!managedFieldsDone) trackUpdate(current, obj, manager, groupVersion(info.group, version), this.typesOf(info, version), subresource);
    if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') {
      obj.status = establishedCrdStatus(obj, nowTimestamp());
    }
    const currentComparable = comparable({ ...current, apiVersion: obj.apiVersion });
    const unchanged = deepEqual(comparable(obj), currentComparable) && deepEqual(obj.metadata.managedFields, current.metadata.managedFields);
    if (unchanged || opts.dryRun) {
      obj.metadata.resourceVersion = current.metadata.resourceVersion;
      return { object: this.present(info, version, unchanged ? current : obj), warnings, created: false };
    }
    this.commit(info, 'MODIFIED', obj, current);
    if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') this.registerCrd(obj);
    return { object: this.present(info, version, obj), warnings, created: false };
  }

  private current(info: ResourceInfo, namespace: string | undefined, name: string): KObject {
    const cur = this.bucket(info).get(objKey(info.namespaced ? namespace : undefined, name));
    if (!cur) throw notFound(info.group, info.resource, name);
    return cur;
  }

  updateIn(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    name: string,
    body: JsonMap,
    opts: WriteOptions,
    manager: string,
    subresource?: 'status',
  ): WriteResult {
    if (!isMap(body)) throw badRequest('the body of the request was in an unknown format');
    this.checkKind(info, version, body);
    const next = asKObject(clone(body));
    if (next.metadata.name !== undefined && next.metadata.name !== name) {
      throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && namespace !== undefined && next.metadata.namespace !== undefined && next.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const current = this.current(info, namespace, name);
    return this.finishUpdate(info, version, current, next, opts, manager, subresource, false);
  }

  patchIn(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    opts: PatchOptions,
    manager: string,
    subresource?: 'status',
  ): WriteResult {
    const existing = this.bucket(info).get(objKey(info.namespaced ? namespace : undefined, name));
    if (type === 'apply') {
      if (!isMap(body)) throw badRequest('the body of the request was in an unknown format');
      this.checkKind(info, version, body);
      if (body.kind === undefined || body.apiVersion === undefined) {
        throw badRequest('apply patches must include apiVersion and kind');
      }
      const applied = asKObject(clone(body));
      if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
        throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
      }
      applied.metadata.name = name;
      if (info.namespaced && namespace !== undefined) applied.metadata.namespace = namespace;
      const live = existing ? this.present(info, version, existing) : undefined;
      const merged = serverSideApply({
        live,
        applied,
        manager,
        apiVersion: groupVersion(info.group, version),
        force: opts.force ?? false,
        subresource,
        types: this.typesOf(info, version),
      });
      if (!existing) {
        if (subresource) throw notFound(info.group, info.resource, name);
        return this.createIn(info, version, namespace, merged, opts, manager, merged.metadata.managedFields ?? []);
      }
      if (applied.metadata.resourceVersion === undefined) merged.metadata.resourceVersion = existing.metadata.resourceVersion;
      return this.finishUpdate(info, version, existing, merged, opts, manager, subresource, true);
    }
    if (!existing) throw notFound(info.group, info.resource, name);
    const base = this.present(info, version, existing);
    let patched: unknown;
    switch (type) {
      case 'merge':
        patched = mergePatch(base, body);
        break;
      case 'json':
        patched = jsonPatch(base, body);
        break;
      case 'strategic':
        if (info.crdName !== undefined) {
          throw statusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
        }
        patched = strategicMerge(base, body);
        break;
    }
    if (!isMap(patched)) throw badRequest('the patch did not produce an object');
    const next = asKObject(patched);
    if (next.metadata.name !== name) throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
    return this.finishUpdate(info, version, existing, next, opts, manager, subresource, false);
  }

  deleteIn(info: ResourceInfo, version: string, namespace: string | undefined, name: string, opts: DeleteOptions): WriteResult {
    const current = this.current(info, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(info.group, info.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`);
    }
    if (opts.dryRun) return { object: this.present(info, version, current), warnings: [], created: false };
    const policy = opts.propagationPolicy ?? info.defaultPropagation;
    const warnings: string[] = [];
    if (info.group === 'batch' && info.resource === 'jobs' && opts.propagationPolicy === undefined) {
      warnings.push('child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning');
    }
    if (policy === 'Foreground') this.collectDependents(current, 'Foreground');
    if (info.group === '' && info.resource === 'namespaces') this.deleteNamespaceContents(current.metadata.name ?? '');
    if (info.group === 'apiextensions.k8s.io' && info.resource === 'customresourcedefinitions') this.unregisterCrd(current);
    const deleted = clone(current);
    this.commit(info, 'DELETED', deleted, undefined);
    if (policy !== 'Foreground') this.collectDependents(current, policy);
    return { object: this.present(info, version, deleted), warnings, created: false };
  }

  deleteCollectionIn(info: ResourceInfo, version: string, namespace: string | undefined, list: ListOptions, opts: DeleteOptions): KObject[] {
    const out: KObject[] = [];
    for (const o of this.listIn(info, version, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector }).items) {
      if (!this.bucket(info).has(objKey(o.metadata.namespace, o.metadata.name ?? ''))) continue;
      out.push(this.deleteIn(info, version, o.metadata.namespace, o.metadata.name ?? '', opts).object);
    }
    return out;
  }

  private dependentsOf(uid: string): { info: ResourceInfo; obj: KObject }[] {
    const out: { info: ResourceInfo; obj: KObject }[] = [];
    for (const info of this.resources.values()) {
      for (const o of this.bucket(info).values()) {
        if ((o.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) out.push({ info, obj: o });
      }
    }
    return out;
  }

  /** What the garbage collector does once an owner is gone (or, for Foreground, before). */
  private collectDependents(owner: KObject, policy: 'Foreground' | 'Background' | 'Orphan'): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const { info, obj } of this.dependentsOf(uid)) {
      const key = objKey(obj.metadata.namespace, obj.metadata.name ?? '');
      const cur = this.bucket(info).get(key);
      if (!cur) continue;
      const refs = cur.metadata.ownerReferences ?? [];
      const others = refs.filter((r) => r.uid !== uid && this.byUid.has(r.uid));
      if (policy === 'Orphan' || others.length > 0) {
        const next = clone(cur);
        const remaining = refs.filter((r) => r.uid !== uid);
        if (remaining.length) next.metadata.ownerReferences = remaining;
        else delete next.metadata.ownerReferences;
        trackUpdate(cur, next, 'kube-controller-manager', cur.apiVersion ?? '', this.typesOf(info, info.versions[0]?.name ?? ''));
        this.commit(info, 'MODIFIED', next, cur);
        continue;
      }
      this.deleteIn(info, info.versions[0]?.name ?? '', obj.metadata.namespace, obj.metadata.name ?? '', {
        propagationPolicy: policy === 'Foreground' ? 'Foreground' : 'Background',
      });
    }
  }

  private deleteNamespaceContents(ns: string): void {
    for (const info of this.resources.values()) {
      if (!info.namespaced) continue;
      for (const o of [...this.bucket(info).values()]) {
        if (o.metadata.namespace !== ns) continue;
        if (!this.bucket(info).has(objKey(ns, o.metadata.name ?? ''))) continue;
        this.deleteIn(info, info.versions[0]?.name ?? '', ns, o.metadata.name ?? '', { propagationPolicy: 'Background' });
      }
    }
  }

  private unregisterCrd(crd: KObject): void {
    const r = resourceFromCrd(crd);
    const info = this.resources.get(grKey(r.group, r.resource));
    if (!info || info.crdName === undefined) return;
    for (const o of [...this.bucket(info).values()]) {
      this.deleteIn(info, info.versions[0]?.name ?? '', o.metadata.namespace, o.metadata.name ?? '', { propagationPolicy: 'Background' });
    }
    this.resources.delete(grKey(r.group, r.resource));
    this.objects.delete(grKey(r.group, r.resource));
  }

  /** What etcd3's store answers when a create carries a resourceVersion (a copied object). */
  static refuseResourceVersionOnCreate(body: JsonMap): void {
    if (isMap(body.metadata) && body.metadata.resourceVersion !== undefined && body.metadata.resourceVersion !== '') {
      throw statusError(500, 'InternalError', 'Internal error occurred: resourceVersion should not be set on objects to be created');
    }
  }

  /** For a PATCH/PUT the manager is the fieldManager parameter, else derived from the User-Agent. */
  static managerFor(fieldManager: string | undefined, userAgent: string | undefined): string {
    return fieldManager || managerFrom(userAgent);
  }
}
