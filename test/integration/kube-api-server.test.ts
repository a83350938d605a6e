// The Kubernetes API test server (test/support/kube) driven by the clients the operator and
// its users really use: @kubernetes/client-node and the kubectl binary.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KObject, type KubeApiServer, type StatusBody } from '../support/kube/api-server.ts';

const execFileP = promisify(execFile);
const GROUP = 'raas.dev';
const VERSION = 'v1alpha1';

/** A small ReconRun-like CRD: the real CRDs are generated elsewhere; this one exercises the server. */
const runCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'reconruns.raas.dev' },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'reconruns', singular: 'reconrun', kind: 'ReconRun', listKind: 'ReconRunList', shortNames: ['rr'], categories: ['raas'] },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Job', type: 'string', jsonPath: '.spec.jobRef.name' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Balanced', type: 'boolean', jsonPath: '.status.balanced' },
          { name: 'Matched', type: 'integer', jsonPath: '.status.counts.matched' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['jobRef', 'window'],
                properties: {
                  jobRef: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 63 } } },
                  window: {
                    type: 'object',
                    required: ['start', 'end'],
                    properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' } },
                    'x-kubernetes-validations': [{ rule: 'self.start < self.end', message: 'window.start must be before window.end' }],
                  },
                  trigger: { type: 'string', enum: ['Scheduled', 'Manual', 'Backfill'] },
                  retries: { type: 'integer', minimum: 0, maximum: 5 },
                  tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' }, maxItems: 3 },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: {
                type: 'object',
                properties: {
                  phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed'] },
                  balanced: { type: 'boolean' },
                  counts: { type: 'object', properties: { matched: { type: 'integer' } } },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    ],
  },
};

interface ReconRun extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

let server: KubeApiServer;
let kc: KubeConfig;
let objects: CustomObjectsApi;
let batch: BatchV1Api;
let core: CoreV1Api;
let nsCounter = 0;

beforeAll(async () => {
  server = await startKubeApiServer({ crds: [runCrd], bookmarkIntervalMs: 200 });
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfigYaml());
  objects = kc.makeApiClient(CustomObjectsApi);
  batch = kc.makeApiClient(BatchV1Api);
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await server?.stop();
});

/** A fresh namespace per test keeps tests independent on one server. */
async function freshNamespace(): Promise<string> {
  const name = `t${++nsCounter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

function run(name: string, extra: Record<string, unknown> = {}): ReconRun {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ReconRun',
    metadata: { name, labels: { 'raas.dev/job': 'orders' } },
    spec: { jobRef: { name: 'orders' }, window: { start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z' }, trigger: 'Manual', ...extra },
  };
}

const rr = (namespace: string) => ({ group: GROUP, version: VERSION, namespace, plural: 'reconruns' });

/** The Status body of a failed client-node call. */
async function failure(p: Promise<unknown>): Promise<StatusBody & { httpCode: number }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const raw: unknown = err.body;
    const body = (typeof raw === 'string' ? JSON.parse(raw) : raw) as StatusBody;
    return { ...body, httpCode: err.code };
  }
  throw new Error('expected the call to fail');
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('CRUD through client-node', () => {
  it('creates, reads, lists, replaces and deletes custom resources with server-set metadata', async () => {
    const ns = await freshNamespace();
    const created: ReconRun = await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);

    const got: ReconRun = await objects.getNamespacedCustomObject({ ...rr(ns), name: 'r1' });
    expect(got).toEqual(created);

    const dup = await failure(objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') }));
    expect(dup).toMatchObject({ httpCode: 409, kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 });
    expect(dup.message).toBe('reconruns.raas.dev "r1" already exists');

    const generated: ReconRun = await objects.createNamespacedCustomObject({
      ...rr(ns),
      body: { ...run(''), metadata: { generateName: 'manual-' } },
    });
    expect(generated.metadata?.name).toMatch(/^manual-[a-z0-9]{5}$/);

    const replaced: ReconRun = await objects.replaceNamespacedCustomObject({
      ...rr(ns),
      name: 'r1',
      body: { ...got, spec: { ...got.spec, trigger: 'Backfill' } },
    });
    expect(replaced.spec?.trigger).toBe('Backfill');
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(got.metadata?.resourceVersion));

    const list = await objects.listNamespacedCustomObject(rr(ns));
    expect(list.kind).toBe('ReconRunList');
    expect(list.items.map((i: ReconRun) => i.metadata?.name).sort()).toEqual([generated.metadata?.name, 'r1'].sort());
    const all = await objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'reconruns' });
    expect(all.items.length).toBeGreaterThanOrEqual(2);

    await objects.deleteNamespacedCustomObject({ ...rr(ns), name: 'r1' });
    const gone = await failure(objects.getNamespacedCustomObject({ ...rr(ns), name: 'r1' }));
    expect(gone).toMatchObject({ httpCode: 404, reason: 'NotFound', details: { name: 'r1', group: GROUP, kind: 'reconruns' } });
    expect(server.store.get('rr', ns, 'r1')).toBeUndefined();
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const err = await failure(objects.createNamespacedCustomObject({ ...rr('no-such-ns'), body: run('r1') }));
    expect(err).toMatchObject({ httpCode: 404, reason: 'NotFound', message: 'namespaces "no-such-ns" not found' });
  });

  it('answers a PUT with a stale resourceVersion with 409 Conflict', async () => {
    const ns = await freshNamespace();
    const v1: ReconRun = await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    await objects.replaceNamespacedCustomObject({ ...rr(ns), name: 'r1', body: { ...v1, spec: { ...v1.spec, retries: 1 } } });
    const stale = await failure(
      objects.replaceNamespacedCustomObject({ ...rr(ns), name: 'r1', body: { ...v1, spec: { ...v1.spec, retries: 2 } } }),
    );
    expect(stale).toMatchObject({ httpCode: 409, kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409 });
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on reconruns.raas.dev "r1": the object has been modified; please apply your changes to the latest version and try again',
    );
    // The status subresource has the same precondition.
    const staleStatus = await failure(
      objects.replaceNamespacedCustomObjectStatus({ ...rr(ns), name: 'r1', body: { ...v1, status: { phase: 'Running' } } }),
    );
    expect(staleStatus.reason).toBe('Conflict');
  });

  it('bumps generation on spec changes only, never on metadata or status', async () => {
    const ns = await freshNamespace();
    await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const labelled: ReconRun = await objects.patchNamespacedCustomObject(
      { ...rr(ns), name: 'r1', body: { metadata: { labels: { extra: 'yes' } } } },
      merge,
    );
    expect(labelled.metadata?.generation).toBe(1);
    const statused: ReconRun = await objects.patchNamespacedCustomObjectStatus(
      { ...rr(ns), name: 'r1', body: { status: { phase: 'Running' } } },
      merge,
    );
    expect(statused.metadata?.generation).toBe(1);
    const specced: ReconRun = await objects.patchNamespacedCustomObject({ ...rr(ns), name: 'r1', body: { spec: { retries: 3 } } }, merge);
    expect(specced.metadata?.generation).toBe(2);
    // A write that changes nothing is not a write: same resourceVersion, no watch event.
    const again: ReconRun = await objects.patchNamespacedCustomObject({ ...rr(ns), name: 'r1', body: { spec: { retries: 3 } } }, merge);
    expect(again.metadata?.resourceVersion).toBe(specced.metadata?.resourceVersion);
  });

  it('isolates the status subresource from the main resource', async () => {
    const ns = await freshNamespace();
    const created: ReconRun = await objects.createNamespacedCustomObject({
      ...rr(ns),
      body: { ...run('r1'), status: { phase: 'Succeeded' } },
    });
    expect(created.status).toBeUndefined();

    const withStatus: ReconRun = await objects.replaceNamespacedCustomObjectStatus({
      ...rr(ns),
      name: 'r1',
      body: { ...created, spec: { ...created.spec, trigger: 'Backfill' }, metadata: { ...created.metadata, labels: { hacked: 'x' } }, status: { phase: 'Running', counts: { matched: 3 } } },
    });
    expect(withStatus.status).toEqual({ phase: 'Running', counts: { matched: 3 } });
    expect(withStatus.spec?.trigger).toBe('Manual');
    expect(withStatus.metadata?.labels).toEqual({ 'raas.dev/job': 'orders' });

    const mainPut: ReconRun = await objects.replaceNamespacedCustomObject({
      ...rr(ns),
      name: 'r1',
      body: { ...withStatus, spec: { ...withStatus.spec, retries: 2 }, status: { phase: 'Failed' } },
    });
    expect(mainPut.status).toEqual({ phase: 'Running', counts: { matched: 3 } });
    expect(mainPut.spec?.retries).toBe(2);
    expect(mainPut.metadata?.generation).toBe(2);

    const invalidStatus = await failure(
      objects.patchNamespacedCustomObjectStatus(
        { ...rr(ns), name: 'r1', body: { status: { phase: 'Exploded' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(invalidStatus).toMatchObject({ httpCode: 422, reason: 'Invalid' });
    expect(invalidStatus.details?.causes?.[0]?.field).toBe('status.phase');
  });
});

describe('patches', () => {
  it('applies JSON merge patches and RFC 6902 JSON patches', async () => {
    const ns = await freshNamespace();
    await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1', { tags: ['a', 'b'] }) });
    const merged: ReconRun = await objects.patchNamespacedCustomObject(
      { ...rr(ns), name: 'r1', body: { spec: { tags: null, retries: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.spec?.tags).toBeUndefined();
    expect(merged.spec?.retries).toBe(4);

    const jsonPatched: ReconRun = await objects.patchNamespacedCustomObject(
      {
        ...rr(ns),
        name: 'r1',
        body: [
          { op: 'test', path: '/spec/retries', value: 4 },
          { op: 'replace', path: '/spec/retries', value: 5 },
          { op: 'add', path: '/metadata/labels/tier', value: 'gold' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.spec?.retries).toBe(5);
    expect(jsonPatched.metadata?.labels?.tier).toBe('gold');

    const failedTest = await failure(
      objects.patchNamespacedCustomObject(
        { ...rr(ns), name: 'r1', body: [{ op: 'test', path: '/spec/retries', value: 1 }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    );
    expect(failedTest.httpCode).toBe(422);

    // Custom resources do not support strategic merge patch, exactly like a real cluster.
    const strategic = await failure(
      objects.patchNamespacedCustomObject(
        { ...rr(ns), name: 'r1', body: { spec: { retries: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(strategic.httpCode).toBe(415);
  });

  it('supports server-side apply: create, idempotent re-apply, field removal, conflicts and force', async () => {
    const ns = await freshNamespace();
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const cfg = run('r1', { retries: 2, tags: ['x'] });
    const created: ReconRun = await objects.patchNamespacedCustomObject(
      { ...rr(ns), name: 'r1', body: cfg, fieldManager: 'raas-operator' },
      apply,
    );
    expect(created.spec?.retries).toBe(2);
    expect(created.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['raas-operator', 'Apply']]);

    const same: ReconRun = await objects.patchNamespacedCustomObject({ ...rr(ns), name: 'r1', body: cfg, fieldManager: 'raas-operator' }, apply);
    expect(same.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    // Fields the manager stops applying are removed.
    const withoutTags = run('r1', { retries: 2 });
    const removed: ReconRun = await objects.patchNamespacedCustomObject(
      { ...rr(ns), name: 'r1', body: withoutTags, fieldManager: 'raas-operator' },
      apply,
    );
    expect(removed.spec?.tags).toBeUndefined();
    expect(removed.metadata?.generation).toBe(2);

    const clash = run('r1', { retries: 5 });
    const conflict = await failure(
      objects.patchNamespacedCustomObject({ ...rr(ns), name: 'r1', body: clash, fieldManager: 'someone-else' }, apply),
    );
    expect(conflict).toMatchObject({ httpCode: 409, reason: 'Conflict' });
    expect(conflict.details?.causes).toContainEqual({
      reason: 'FieldManagerConflict',
      message: `conflict with "raas-operator" using ${GROUP}/${VERSION}`,
      field: '.spec.retries',
    });

    const forced: ReconRun = await objects.patchNamespacedCustomObject(
      { ...rr(ns), name: 'r1', body: clash, fieldManager: 'someone-else', force: true },
      apply,
    );
    expect(forced.spec?.retries).toBe(5);
    expect(forced.metadata?.managedFields?.map((m) => m.manager).sort()).toEqual(['raas-operator', 'someone-else']);

    const noManager = await failure(objects.patchNamespacedCustomObject({ ...rr(ns), name: 'r1', body: clash }, apply));
    expect(noManager).toMatchObject({ httpCode: 422, reason: 'Invalid' });

    // Apply on /status writes status only.
    const status: ReconRun = await objects.patchNamespacedCustomObjectStatus(
      {
        ...rr(ns),
        name: 'r1',
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ReconRun', metadata: { name: 'r1' }, status: { phase: 'Succeeded', balanced: true } },
        fieldManager: 'raas-operator',
        force: true,
      },
      apply,
    );
    expect(status.status).toEqual({ phase: 'Succeeded', balanced: true });
    expect(status.spec?.retries).toBe(5);
  });

  it('server-side applies a built-in CronJob idempotently despite server-side defaults', async () => {
    const ns = await freshNamespace();
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const desired = (image: string) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'orders', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'raas' } },
      spec: {
        schedule: '0 2 * * *',
        timeZone: 'Asia/Tokyo',
        concurrencyPolicy: 'Forbid',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] } } } },
      },
    });
    const first = await batch.patchNamespacedCronJob({ namespace: ns, name: 'orders', body: desired('raas:1'), fieldManager: 'raas-operator', force: true }, apply);
    expect(first.spec?.successfulJobsHistoryLimit).toBe(3);
    expect(first.spec?.jobTemplate.spec?.template.spec?.containers[0]?.terminationMessagePolicy).toBe('File');
    const again = await batch.patchNamespacedCronJob({ namespace: ns, name: 'orders', body: desired('raas:1'), fieldManager: 'raas-operator', force: true }, apply);
    expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);

    const changed = desired('raas:2');
    changed.spec.jobTemplate.spec.template.spec.containers[0]?.env.splice(0, 1);
    const updated = await batch.patchNamespacedCronJob({ namespace: ns, name: 'orders', body: changed, fieldManager: 'raas-operator', force: true }, apply);
    expect(updated.metadata?.generation).toBe(2);
    expect(updated.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image).toBe('raas:2');
    expect(updated.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env).toEqual([{ name: 'B', value: '2' }]);
  });

  it('merges built-in lists by key for strategic merge patches (containers by name)', async () => {
    const ns = await freshNamespace();
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'a', image: 'busybox:1' }, { name: 'b', image: 'busybox:1' }] } },
    });
    const patched = await core.patchNamespacedPod(
      { namespace: ns, name: 'p1', body: { spec: { containers: [{ name: 'b', image: 'busybox:2' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=busybox:1', 'b=busybox:2']);
    expect(patched.spec?.containers[0]?.terminationMessagePath).toBe('/dev/termination-log');
  });
});

describe('watch and informers', () => {
  it('delivers add, update and delete to a client-node informer', async () => {
    const ns = await freshNamespace();
    await objects.createNamespacedCustomObject({ ...rr(ns), body: run('before') });
    const informer = makeInformer<ReconRun>(kc, `/apis/${GROUP}/${VERSION}/namespaces/${ns}/reconruns`, () => objects.listNamespacedCustomObject(rr(ns)));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${String(o.spec?.retries)}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await waitFor('initial list', () => seen.includes('add:before'));
      await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
      await objects.patchNamespacedCustomObject(
        { ...rr(ns), name: 'r1', body: { spec: { retries: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await objects.deleteNamespacedCustomObject({ ...rr(ns), name: 'r1' });
      await waitFor('delete event', () => seen.includes('delete:r1'));
      expect(seen).toEqual(['add:before', 'add:r1', 'update:r1:1', 'delete:r1']);
      expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['before']);
    } finally {
      await informer.stop();
    }
  });

  it('streams watch events after a resourceVersion, with bookmarks, selectors and timeoutSeconds', async () => {
    const ns = await freshNamespace();
    const first: ReconRun = await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    await objects.createNamespacedCustomObject({ ...rr(ns), body: { ...run('other'), metadata: { name: 'other', labels: { 'raas.dev/job': 'x' } } } });
    const events: string[] = [];
    let done = false;
    const req = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${ns}/reconruns`,
      { resourceVersion: first.metadata?.resourceVersion, allowWatchBookmarks: true, labelSelector: 'raas.dev/job=orders', timeoutSeconds: 2 },
      (type, obj: ReconRun) => events.push(`${type}:${obj.metadata?.name ?? ''}`),
      () => {
        done = true;
      },
    );
    try {
      await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r2') });
      // A label change that leaves the selector is a DELETED for this watcher.
      await objects.patchNamespacedCustomObject(
        { ...rr(ns), name: 'r2', body: { metadata: { labels: { 'raas.dev/job': 'moved' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitFor('bookmark', () => events.includes('BOOKMARK:'));
      await waitFor('timeout closes the watch', () => done, 5000);
      expect(events.filter((e) => e !== 'BOOKMARK:')).toEqual(['ADDED:r2', 'DELETED:r2']);
    } finally {
      req.abort();
    }
  });

  it('answers a watch from a compacted resourceVersion with ERROR 410 Expired', async () => {
    const ns = await freshNamespace();
    const r: ReconRun = await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    await objects.patchNamespacedCustomObject(
      { ...rr(ns), name: 'r1', body: { spec: { retries: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    server.store.compactTo(server.store.resourceVersion);
    const events: { type: string; obj: Record<string, unknown> }[] = [];
    let doneErr: unknown = 'not yet';
    await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${ns}/reconruns`,
      { resourceVersion: r.metadata?.resourceVersion },
      (type, obj: Record<string, unknown>) => events.push({ type, obj }),
      (err) => {
        doneErr = err;
      },
    );
    await waitFor('stream end', () => doneErr !== 'not yet');
    expect(doneErr).toBeNull();
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('ERROR');
    expect(events[0]?.obj).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
  });

  it('makes informers relist after expireWatches(), and reports cut streams on their error path', async () => {
    const ns = await freshNamespace();
    await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    const informer = makeInformer<ReconRun>(kc, `/apis/${GROUP}/${VERSION}/namespaces/${ns}/reconruns`, () => objects.listNamespacedCustomObject(rr(ns)));
    let connects = 0;
    const errors: unknown[] = [];
    const added: string[] = [];
    informer.on('connect', () => connects++);
    informer.on('error', (err) => errors.push(err));
    informer.on('add', (o) => added.push(o.metadata?.name ?? ''));
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/reconruns`;
    const lists = (): number => server.requests.filter((q) => q.path === path && q.method === 'GET' && q.query.watch === undefined).length;
    const watching = (): boolean => server.requests.some((q) => q.path === path && q.query.watch === 'true' && q.status === 200);
    await informer.start();
    try {
      await waitFor('first watch', watching);
      expect(lists()).toBe(1);

      server.store.expireWatches();
      await waitFor('relist after 410', () => lists() === 2 && connects === 2);
      expect(errors).toEqual([]);
      await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r2') });
      await waitFor('event after relist', () => added.includes('r2'));

      // A clean end of the stream: the informer resumes from its resourceVersion, no relist.
      const watchesBefore = server.requests.filter((q) => q.path === path && q.query.watch === 'true').length;
      server.store.dropWatches();
      await waitFor('rewatch', () => server.requests.filter((q) => q.path === path && q.query.watch === 'true').length > watchesBefore);
      expect(lists()).toBe(2);
      await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r3') });
      await waitFor('event after rewatch', () => added.includes('r3'));

      // A reset connection surfaces on the informer's error path (client-node then stops;
      // restarting is the caller's job, which is what the operator must do).
      server.store.dropWatches({ abrupt: true });
      await waitFor('error callback', () => errors.length > 0);
      await informer.start();
      await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r4') });
      await waitFor('event after restart', () => added.includes('r4'));
    } finally {
      await informer.stop();
    }
  });
});

describe('garbage collection', () => {
  it('deletes owned objects in cascade, orphans on request, and Jobs orphan pods by default', async () => {
    const ns = await freshNamespace();
    const owner: ReconRun = await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    const ownerRef = { apiVersion: `${GROUP}/${VERSION}`, kind: 'ReconRun', name: 'r1', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
    const job = await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'r1-run', ownerReferences: [ownerRef], labels: { 'raas.dev/run': 'r1' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'raas:dev' }] } } },
      },
    });
    // The real server's Job defaulting: generated selector and labels the runner relies on.
    expect(job.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': job.metadata?.uid });
    expect(job.spec?.template.metadata?.labels).toMatchObject({ 'job-name': 'r1-run', 'batch.kubernetes.io/job-name': 'r1-run' });
    expect(job.spec?.backoffLimit).toBe(6);
    const jobRef = { apiVersion: 'batch/v1', kind: 'Job', name: 'r1-run', uid: job.metadata?.uid ?? '', controller: true };
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'r1-run-abcde', ownerReferences: [jobRef] }, spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'raas:dev' }] } },
    });

    await objects.deleteNamespacedCustomObject({ ...rr(ns), name: 'r1' });
    expect(server.store.get('jobs', ns, 'r1-run')).toBeUndefined();
    expect(server.store.get('pods', ns, 'r1-run-abcde')).toBeUndefined();

    // batch/v1 Job DELETE without a propagationPolicy orphans its pods (real-server default).
    const job2 = await batch.createNamespacedJob({
      namespace: ns,
      body: { metadata: { name: 'j2' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } } } },
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'j2-pod', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j2', uid: job2.metadata?.uid ?? '' }] },
        spec: { containers: [{ name: 'c', image: 'x:1' }] },
      },
    });
    await batch.deleteNamespacedJob({ namespace: ns, name: 'j2' });
    const orphan = server.store.get('pods', ns, 'j2-pod');
    expect(orphan?.metadata.ownerReferences).toBeUndefined();

    // propagationPolicy=Background removes them.
    const job3 = await batch.createNamespacedJob({
      namespace: ns,
      body: { metadata: { name: 'j3' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } } } },
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'j3-pod', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j3', uid: job3.metadata?.uid ?? '' }] },
        spec: { containers: [{ name: 'c', image: 'x:1' }] },
      },
    });
    await batch.deleteNamespacedJob({ namespace: ns, name: 'j3', propagationPolicy: 'Background' });
    expect(server.store.get('pods', ns, 'j3-pod')).toBeUndefined();
  });

  it('deletes everything in a namespace with the namespace', async () => {
    const ns = await freshNamespace();
    await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm' }, data: { a: 'b' } } });
    await core.deleteNamespace({ name: ns });
    expect(server.store.list('rr', ns)).toEqual([]);
    expect(server.store.list('configmaps', ns)).toEqual([]);
  });
});

describe('validation of custom resources', () => {
  it('answers an invalid object with 422 Invalid naming every bad field, like the real server', async () => {
    const ns = await freshNamespace();
    const bad = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ReconRun',
      metadata: { name: 'bad' },
      spec: {
        jobRef: {},
        window: { start: '2024-05-02T00:00:00Z', end: '2024-05-01T00:00:00Z' },
        trigger: 'Sometimes',
        retries: 9,
        tags: ['ok', 'Not-OK'],
      },
    };
    const err = await failure(objects.createNamespacedCustomObject({ ...rr(ns), body: bad }));
    expect(err).toMatchObject({ httpCode: 422, kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'bad', group: GROUP, kind: 'ReconRun' } });
    expect(err.details?.causes).toEqual(
      expect.arrayContaining([
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.jobRef.name' },
        { reason: 'FieldValueInvalid', message: 'Invalid value: "object": window.start must be before window.end', field: 'spec.window' },
        { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes": supported values: "Scheduled", "Manual", "Backfill"', field: 'spec.trigger' },
        { reason: 'FieldValueInvalid', message: 'Invalid value: 9: spec.retries in body should be less than or equal to 5', field: 'spec.retries' },
        { reason: 'FieldValueInvalid', message: `Invalid value: "Not-OK": spec.tags[1] in body should match '^[a-z]+$'`, field: 'spec.tags[1]' },
      ]),
    );
    expect(err.details?.causes).toHaveLength(5);
    expect(err.message).toMatch(/^ReconRun\.raas\.dev "bad" is invalid: \[/);

    const typeErr = await failure(objects.createNamespacedCustomObject({ ...rr(ns), body: run('t', { retries: 'many' }) }));
    expect(typeErr.details?.causes).toEqual([
      { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.retries in body must be of type integer: "string"', field: 'spec.retries' },
    ]);

    const badName = await failure(objects.createNamespacedCustomObject({ ...rr(ns), body: run('Bad_Name') }));
    expect(badName.details?.causes?.[0]?.field).toBe('metadata.name');
  });

  it('prunes unknown fields (or refuses them with fieldValidation=Strict) and keeps x-kubernetes-preserve-unknown-fields', async () => {
    const ns = await freshNamespace();
    const body = run('r1', { surprise: true, extra: { anything: { goes: 1 } } });
    const created: ReconRun = await objects.createNamespacedCustomObject({ ...rr(ns), body });
    expect(created.spec?.surprise).toBeUndefined();
    expect(created.spec?.extra).toEqual({ anything: { goes: 1 } });

    const strict = await failure(objects.createNamespacedCustomObject({ ...rr(ns), body: run('r2', { surprise: true }), fieldValidation: 'Strict' }));
    expect(strict).toMatchObject({ httpCode: 400, reason: 'BadRequest' });
    expect(strict.message).toContain('unknown field "spec.surprise"');
  });

  it('serves CRDs created through apiextensions.k8s.io/v1, and checks their CEL rules compile', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const crd = {
      metadata: { name: 'gadgets.test.raas.dev' },
      spec: {
        group: 'test.raas.dev',
        scope: 'Namespaced' as const,
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', shortNames: ['gd'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } } } },
          },
        ],
      },
    };
    const stored = await ext.createCustomResourceDefinition({ body: crd });
    expect(stored.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const ns = await freshNamespace();
    const g: KObject = await objects.createNamespacedCustomObject({
      group: 'test.raas.dev',
      version: 'v1',
      namespace: ns,
      plural: 'gadgets',
      body: { apiVersion: 'test.raas.dev/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { n: 1 } },
    });
    expect(g.metadata.generation).toBe(1);

    const broken = structuredClone(crd);
    broken.metadata.name = 'brokens.test.raas.dev';
    broken.spec.names = { plural: 'brokens', singular: 'broken', kind: 'Broken', shortNames: [] };
    const spec = broken.spec.versions[0]?.schema.openAPIV3Schema.properties.spec as Record<string, unknown>;
    // client-node's typed CRD model names schema extensions x_kubernetes_* (it drops 'x-kubernetes-*' keys).
    spec.x_kubernetes_validations = [{ rule: 'self.n >>> 1' }];
    const err = await failure(ext.createCustomResourceDefinition({ body: broken }));
    expect(err).toMatchObject({ httpCode: 422, reason: 'Invalid' });
    expect(err.details?.causes?.[0]?.field).toBe('spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule');

    await ext.deleteCustomResourceDefinition({ name: 'gadgets.test.raas.dev' });
    const unserved = await failure(objects.listNamespacedCustomObject({ group: 'test.raas.dev', version: 'v1', namespace: ns, plural: 'gadgets' }));
    expect(unserved.httpCode).toBe(404);
  });

  it('validates built-ins where controllers notice: CronJob name length, Job restartPolicy', async () => {
    const ns = await freshNamespace();
    const longName = 'x'.repeat(53);
    const err = await failure(
      batch.createNamespacedCronJob({
        namespace: ns,
        body: {
          metadata: { name: longName },
          spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } } } } },
        },
      }),
    );
    expect(err.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', message: `Invalid value: "${longName}": must be no more than 52 characters`, field: 'metadata.name' },
    ]);
    const noPolicy = await failure(
      batch.createNamespacedJob({ namespace: ns, body: { metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x:1' }] } } } } }),
    );
    expect(noPolicy.details?.causes?.[0]).toMatchObject({ field: 'spec.template.spec.restartPolicy', reason: 'FieldValueRequired' });
  });
});

describe('list options', () => {
  it('filters by labelSelector (=, !=, in, notin, exists) and fieldSelector, and pages with limit/continue', async () => {
    const ns = await freshNamespace();
    const mk = (name: string, labels: Record<string, string>) =>
      objects.createNamespacedCustomObject({ ...rr(ns), body: { ...run(name), metadata: { name, labels } } });
    await mk('a', { tier: 'gold', env: 'prod' });
    await mk('b', { tier: 'silver', env: 'prod' });
    await mk('c', { tier: 'bronze' });
    await mk('d', {});
    const names = async (opts: { labelSelector?: string; fieldSelector?: string }): Promise<string[]> => {
      const list = await objects.listNamespacedCustomObject({ ...rr(ns), ...opts });
      return list.items.map((i: ReconRun) => i.metadata?.name ?? '');
    };
    expect(await names({ labelSelector: 'tier=gold' })).toEqual(['a']);
    expect(await names({ labelSelector: 'tier!=gold' })).toEqual(['b', 'c', 'd']);
    expect(await names({ labelSelector: 'tier in (gold, silver)' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: 'tier notin (gold,silver)' })).toEqual(['c', 'd']);
    expect(await names({ labelSelector: 'env' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: '!tier' })).toEqual(['d']);
    expect(await names({ labelSelector: 'env=prod,tier in (silver)' })).toEqual(['b']);
    expect(await names({ fieldSelector: 'metadata.name=c' })).toEqual(['c']);
    expect(await names({ fieldSelector: `metadata.namespace=${ns},metadata.name!=a` })).toEqual(['b', 'c', 'd']);

    const page1 = await objects.listNamespacedCustomObject({ ...rr(ns), limit: 3 });
    expect(page1.items).toHaveLength(3);
    expect(page1.metadata.remainingItemCount).toBe(1);
    const page2 = await objects.listNamespacedCustomObject({ ...rr(ns), limit: 3, _continue: page1.metadata._continue ?? page1.metadata.continue });
    expect(page2.items.map((i: ReconRun) => i.metadata?.name)).toEqual(['d']);
  });
});

describe('server-side printing and discovery', () => {
  it('returns a meta.k8s.io/v1 Table with the CRD printer columns', async () => {
    const ns = await freshNamespace();
    await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
    server.store.patch('rr', ns, 'r1', 'merge', { status: { phase: 'Succeeded', balanced: false, counts: { matched: 42 } } }, { subresource: 'status' });
    const res = await fetch(`${server.url}/apis/${GROUP}/${VERSION}/namespaces/${ns}/reconruns`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const table = (await res.json()) as { kind: string; apiVersion: string; columnDefinitions: { name: string; type: string }[]; rows: { cells: unknown[]; object: KObject }[] };
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.type}`)).toEqual(['Name:string', 'Job:string', 'Phase:string', 'Balanced:boolean', 'Matched:integer', 'Age:date']);
    expect(table.rows[0]?.cells.slice(0, 5)).toEqual(['r1', 'orders', 'Succeeded', false, 42]);
    expect(table.rows[0]?.cells[5]).toMatch(/^\d+s$/);
    expect(table.rows[0]?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'r1', namespace: ns } });
  });

  it('serves discovery with short names and categories', async () => {
    const res = await fetch(`${server.url}/apis/${GROUP}/${VERSION}`);
    const list = (await res.json()) as { resources: { name: string; shortNames?: string[]; categories?: string[]; namespaced: boolean; kind: string; verbs: string[] }[] };
    expect(list.resources).toContainEqual(
      expect.objectContaining({ name: 'reconruns', kind: 'ReconRun', namespaced: true, shortNames: ['rr'], categories: ['raas'], verbs: expect.arrayContaining(['watch', 'patch']) }),
    );
    expect(list.resources).toContainEqual(expect.objectContaining({ name: 'reconruns/status', verbs: ['get', 'patch', 'update'] }));
    const version = (await (await fetch(`${server.url}/version`)).json()) as { major: string; minor: string };
    expect(version).toMatchObject({ major: '1', minor: '32' });
  });

  it('reports stored changes to onChange listeners in commit order', async () => {
    const ns = await freshNamespace();
    const seen: string[] = [];
    const off = server.onChange((e) => {
      if (e.object.metadata.namespace === ns) seen.push(`${e.type}:${e.kind}:${e.object.metadata.name ?? ''}`);
    });
    try {
      await objects.createNamespacedCustomObject({ ...rr(ns), body: run('r1') });
      await objects.deleteNamespacedCustomObject({ ...rr(ns), name: 'r1' });
      await server.store.settled();
      expect(seen).toEqual(['ADDED:ReconRun:r1', 'DELETED:ReconRun:r1']);
      expect(server.store.hookErrors).toEqual([]);
    } finally {
      off();
    }
  });
});

const KUBECTL = '/usr/bin/kubectl';

describe('real kubectl', () => {
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'raas-kubectl-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    await server.writeKubeconfig(kubeconfig);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await execFileP(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        timeout: 30_000,
      });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
    }
  }

  function needKubectl(ctx: { skip: (note?: string) => never }): void {
    if (existsSync(KUBECTL)) return;
    if (process.env.CI === 'true') throw new Error(`${KUBECTL} is missing (CI=true: failing instead of skipping)`);
    ctx.skip(`${KUBECTL} is not installed; the kubectl compatibility tests need the real binary`);
  }

  it('applies a custom resource, prints its printer columns by short name, gets it as JSON and deletes it', async (ctx) => {
    needKubectl(ctx);
    const ns = await freshNamespace();
    const manifest = path.join(dir, 'run.yaml');
    await writeFile(
      manifest,
      [
        `apiVersion: ${GROUP}/${VERSION}`,
        'kind: ReconRun',
        'metadata:',
        '  name: orders-2024-05-01',
        'spec:',
        '  jobRef: { name: orders }',
        '  window: { start: "2024-05-01T00:00:00Z", end: "2024-05-02T00:00:00Z" }',
        '  trigger: Backfill',
        '',
      ].join('\n'),
    );
    const applied = await kubectl('apply', '-n', ns, '-f', manifest);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('reconrun.raas.dev/orders-2024-05-01 created');
    expect((await kubectl('apply', '-n', ns, '-f', manifest)).stdout.trim()).toBe('reconrun.raas.dev/orders-2024-05-01 unchanged');

    server.store.patch('rr', ns, 'orders-2024-05-01', 'merge', { status: { phase: 'Succeeded', balanced: true, counts: { matched: 1234 } } }, { subresource: 'status' });
    const table = await kubectl('get', 'rr', '-n', ns);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual(['NAME', 'JOB', 'PHASE', 'BALANCED', 'MATCHED', 'AGE']);
    expect(row?.split(/\s+/).slice(0, 5)).toEqual(['orders-2024-05-01', 'orders', 'Succeeded', 'true', '1234']);

    const allNs = await kubectl('get', 'reconruns.raas.dev', '-A');
    expect(allNs.stdout.split('\n')[0]?.split(/\s+/)[0]).toBe('NAMESPACE');

    const json = await kubectl('get', 'rr', 'orders-2024-05-01', '-n', ns, '-o', 'json');
    const obj = JSON.parse(json.stdout) as ReconRun;
    expect(obj).toMatchObject({ apiVersion: `${GROUP}/${VERSION}`, kind: 'ReconRun', spec: { trigger: 'Backfill' }, status: { phase: 'Succeeded' } });
    expect(obj.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();

    const deleted = await kubectl('delete', 'rr', 'orders-2024-05-01', '-n', ns);
    expect(deleted.stdout.trim()).toBe('reconrun.raas.dev "orders-2024-05-01" deleted');
    const after = await kubectl('get', 'rr', 'orders-2024-05-01', '-n', ns);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('reconruns.raas.dev "orders-2024-05-01" not found');
  });

  it('runs the typed generators (protobuf bodies), prints Jobs and reads pod logs', async (ctx) => {
    needKubectl(ctx);
    const ns = `gen${++nsCounter}`;
    expect((await kubectl('create', 'namespace', ns)).stdout.trim()).toBe(`namespace/${ns} created`);
    expect((await kubectl('create', 'configmap', 'settings', '-n', ns, '--from-literal=mode=strict')).stdout.trim()).toBe('configmap/settings created');
    expect((await kubectl('create', 'secret', 'generic', 'creds', '-n', ns, '--from-literal=key=s3cr3t')).code).toBe(0);
    expect(server.store.get('configmaps', ns, 'settings')?.data).toEqual({ mode: 'strict' });
    expect(server.store.get('secrets', ns, 'creds')).toMatchObject({ type: 'Opaque', data: { key: Buffer.from('s3cr3t').toString('base64') } });

    const job = server.store.create('jobs', {
      metadata: { name: 'orders-28512345', namespace: ns },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'raas:dev' }] } } },
    });
    const labels = (job.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    server.store.create('pods', {
      metadata: { name: 'orders-28512345-x7k2p', namespace: ns, labels, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name ?? '', uid: job.metadata.uid ?? '', controller: true }] },
      spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'raas:dev' }] },
    });
    server.store.setPodLog(ns, 'orders-28512345-x7k2p', 'staging inputs\ncomparing\n');
    server.store.patch('jobs', ns, job.metadata.name ?? '', 'merge', { status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } }, { subresource: 'status' });
    const jobs = await kubectl('get', 'jobs', '-n', ns);
    expect(jobs.stdout.split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(jobs.stdout.split('\n')[1]?.split(/\s+/).slice(0, 3)).toEqual(['orders-28512345', 'Complete', '1/1']);
    expect((await kubectl('logs', `job/${job.metadata.name ?? ''}`, '-n', ns)).stdout).toBe('staging inputs\ncomparing\n');

    const deleted = await kubectl('delete', 'namespace', ns);
    expect(deleted.code).toBe(0);
    expect(server.store.list('pods', ns)).toEqual([]);
  });

  it('reports schema errors and supports server-side apply', async (ctx) => {
    needKubectl(ctx);
    const ns = await freshNamespace();
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, `apiVersion: ${GROUP}/${VERSION}\nkind: ReconRun\nmetadata: {name: bad}\nspec: {jobRef: {name: x}, window: {start: "2024-05-02T00:00:00Z", end: "2024-05-01T00:00:00Z"}, trigger: Never}\n`);
    const res = await kubectl('apply', '-n', ns, '-f', bad);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('spec.trigger: Unsupported value: "Never"');
    expect(res.stderr).toContain('window.start must be before window.end');

    const good = path.join(dir, 'good.yaml');
    await writeFile(good, `apiVersion: ${GROUP}/${VERSION}\nkind: ReconRun\nmetadata: {name: ssa}\nspec: {jobRef: {name: x}, window: {start: "2024-05-01T00:00:00Z", end: "2024-05-02T00:00:00Z"}}\n`);
    const ssa = await kubectl('apply', '--server-side', '-n', ns, '-f', good);
    expect(ssa.stdout.trim()).toBe('reconrun.raas.dev/ssa serverside-applied');
    expect(server.store.get('rr', ns, 'ssa')?.metadata.managedFields?.[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply' });

    const jobs = await kubectl('get', 'jobs,rr', '-n', ns, '-o', 'name');
    expect(jobs.stdout.trim()).toBe('reconrun.raas.dev/ssa');
  });
});
