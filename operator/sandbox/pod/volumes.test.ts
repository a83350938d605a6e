import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { PodConfigError, type PodObjects } from './config-error.ts';
import { mountPlan, SERVICE_ACCOUNT_DIR } from './volumes.ts';

const objects: PodObjects = { secret: (n) => (n === 'creds' ? { user: 'u', pass: 'p' } : undefined), configMap: (n) => (n === 'cfg' ? { 'a.yaml': 'x: 1' } : undefined) };
const pod = (volumes: NonNullable<V1Pod['spec']>['volumes']): V1Pod => ({ metadata: { name: 'p', namespace: 'finance', uid: 'u1' }, spec: { serviceAccountName: 'raas', containers: [], volumes } });
const mounts = (...m: Array<[string, string, string?]>): V1Container => ({ name: 'c', volumeMounts: m.map(([name, mountPath, subPath]) => ({ name, mountPath, ...(subPath ? { subPath } : {}) })) });

describe('mountPlan', () => {
  it('secret items, configMap, emptyDir; each volume once; subPath and trailing slashes', () => {
    const plan = mountPlan(
      pod([{ name: 'creds', secret: { secretName: 'creds', items: [{ key: 'pass', path: 'nested/pw' }] } }, { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'scratch', emptyDir: {} }]),
      mounts(['creds', '/etc/creds/'], ['cfg', '/etc/cfg'], ['cfg', '/etc/a.yaml', 'a.yaml'], ['scratch', '/tmp']),
      '/pod/volumes',
      objects,
    );
    expect(plan.volumes).toEqual([
      { name: 'creds', hostPath: '/pod/volumes/creds', files: [{ path: 'nested/pw', content: 'p' }], tokens: [] },
      { name: 'cfg', hostPath: '/pod/volumes/cfg', files: [{ path: 'a.yaml', content: 'x: 1' }], tokens: [] },
      { name: 'scratch', hostPath: '/pod/volumes/scratch', files: [], tokens: [] },
    ]);
    expect(plan.mounts).toEqual([
      { containerPath: '/etc/creds', hostPath: '/pod/volumes/creds' },
      { containerPath: '/etc/cfg', hostPath: '/pod/volumes/cfg' },
      { containerPath: '/etc/a.yaml', hostPath: '/pod/volumes/cfg/a.yaml' },
      { containerPath: '/tmp', hostPath: '/pod/volumes/scratch' },
    ]);
    expect(plan.serviceAccountHostDir).toBeUndefined();
  });

  it('the projected service-account volume: a token to request, ca.crt and namespace files', () => {
    const plan = mountPlan(
      pod([{ name: 'sa', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }, { configMap: { name: 'cfg', items: [{ key: 'a.yaml', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } }]),
      mounts(['sa', SERVICE_ACCOUNT_DIR]),
      '/pod/volumes',
      objects,
    );
    expect(plan.volumes[0]).toEqual({ name: 'sa', hostPath: '/pod/volumes/sa', files: [{ path: 'ca.crt', content: 'x: 1' }, { path: 'namespace', content: 'finance' }], tokens: [{ path: 'token', serviceAccount: 'raas', expirationSeconds: 600 }] });
    expect(plan.serviceAccountHostDir).toBe('/pod/volumes/sa');
  });

  it.each([
    ['a mount of an undeclared volume', [], mounts(['nope', '/x']), 'volume "nope" not found'],
    ['a missing Secret', [{ name: 'v', secret: { secretName: 'absent' } }], mounts(['v', '/x']), 'secret "absent" not found'],
    ['a hostPath volume', [{ name: 'v', hostPath: { path: '/etc' } }], mounts(['v', '/x']), 'volume "v": only emptyDir, secret, configMap and projected volumes are supported by the process kubelet'],
  ])('refuses %s', (_what, volumes, container, message) => {
    expect(() => mountPlan(pod(volumes), container, '/pod/volumes', objects)).toThrow(new PodConfigError(message));
  });

  it('an optional missing Secret is an empty folder', () => {
    const plan = mountPlan(pod([{ name: 'v', secret: { secretName: 'absent', optional: true } }]), mounts(['v', '/x']), '/pod/volumes', objects);
    expect(plan.volumes[0]?.files).toEqual([]);
  });
});
