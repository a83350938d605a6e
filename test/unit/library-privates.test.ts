// The code relies on three private parts of libraries (no public API does the job). Each is
// pinned here by behaviour, so a dependency upgrade that renames or removes one fails this
// test loudly instead of silently losing what it gave:
//  - client-node ListWatch's `resourceVersion` (operator/kube/informer.ts clears it so a
//    restarted watch relists; without it a stalled watch never replays missed events);
//  - client-node KubeConfig's `createAgent` (operator/kube/client.ts wraps it so API calls
//    share keep-alive connections; without it every call pays a TLS handshake);
//  - pg-cursor's `_result` (runner/stage/database.ts reads the column list of a query that
//    returned no rows, which the read callback does not pass; without it an empty table
//    would lose its columns).
import { KubeConfig, makeInformer, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import Cursor from 'pg-cursor';
import { describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../operator/kube/client.ts';

// A cluster nobody listens on: the watch fails at once, which is all these checks need.
const deadCluster = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

describe('private library fields the code relies on', () => {
  it('client-node ListWatch: clearing resourceVersion makes the next start list again', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(deadCluster);
    let lists = 0;
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      lists++;
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '5' }, items: [] };
    };
    const informer = makeInformer(kc, '/api/v1/namespaces/x/configmaps', list);
    informer.on('error', () => undefined);
    const start = () => informer.start().catch(() => undefined);
    await start();
    await informer.stop();
    expect(lists).toBe(1);
    expect((informer as unknown as { latestResourceVersion(): string }).latestResourceVersion()).toBe('5');
    // A plain restart resumes from the remembered version: no list.
    await start();
    await informer.stop();
    expect(lists).toBe(1);
    // The field informer.ts writes: present, a string, and read by the next start.
    const fields = informer as unknown as Record<string, unknown>;
    expect(typeof fields.resourceVersion).toBe('string');
    fields.resourceVersion = '';
    await start();
    await informer.stop();
    expect(lists).toBe(2);
  });

  it('client-node KubeConfig: createAgent exists and is the one place agents are made (so connections are shared)', async () => {
    expect(typeof (KubeConfig.prototype as unknown as Record<string, unknown>).createAgent).toBe('function');
    const kc = loadKubeConfig(undefined, deadCluster);
    const a: RequestOptions = {};
    const b: RequestOptions = {};
    await kc.applyToFetchOptions(a);
    await kc.applyToFetchOptions(b);
    expect(a.agent).toBeDefined();
    // Two calls, one keep-alive agent: the wrapper from operator/kube/client.ts is in effect.
    expect(a.agent).toBe(b.agent);
  });

  it('pg-cursor: a cursor keeps its result (with the fields) in _result', () => {
    const cursor = new Cursor('SELECT 1 AS one', [], { rowMode: 'array' });
    const result = (cursor as unknown as { _result?: { fields?: unknown } })._result;
    expect(result).toBeDefined();
    expect(Array.isArray(result?.fields)).toBe(true);
  });
});
