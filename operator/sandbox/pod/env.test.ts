import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { PodConfigError, type PodObjects } from './config-error.ts';
import { commandLine, fieldValue, podEnv, referencedObjects } from './env.ts';
import { expand, pathMapper } from './paths.ts';

const pod: V1Pod = {
  metadata: { name: 'run-1', namespace: 'finance', uid: 'u1', labels: { 'job-name': 'orders-123' }, annotations: { a: 'b' } },
  spec: { serviceAccountName: 'raas', containers: [] },
};
const objects = (secrets: Record<string, Record<string, string>> = {}, configMaps: Record<string, Record<string, string>> = {}): PodObjects => ({ secret: (n) => secrets[n], configMap: (n) => configMaps[n] });
const mapPath = pathMapper([
  { containerPath: '/app', hostPath: '/src' },
  { containerPath: '/tmp', hostPath: '/pod/tmp' },
  { containerPath: '/work', hostPath: '/pod/v/work' },
  { containerPath: '/work/deep', hostPath: '/pod/v/deep' },
]);
const env = (container: V1Container, o: PodObjects = objects(), extra: Partial<Parameters<typeof podEnv>[0]> = {}) =>
  podEnv({ pod, container, nodeName: 'node-a', podIP: '127.0.0.5', base: { PATH: '/bin', TMPDIR: '/tmp' }, objects: o, mapPath, ...extra });

describe('container paths and $(VAR)', () => {
  it.each([
    ['/app/bin/raas.js', '/src/bin/raas.js'],
    ['/work/deep/x', '/pod/v/deep/x'],
    ['/work/x', '/pod/v/work/x'],
    ['/workshop', '/workshop'],
    ['/tmp', '/pod/tmp'],
    ['relative/app', 'relative/app'],
  ])('%s maps to %s', (from, to) => expect(mapPath(from)).toBe(to));

  it.each([
    ['$(A)-$(B)', 'a-$(B)'],
    ['$$(A)', '$(A)'],
    ['cost: $$5', 'cost: $5'],
  ])('expand %s', (v, want) => expect(expand(v, { A: 'a' })).toBe(want));
});

describe('podEnv', () => {
  it('env in order: envFrom with prefix, then env with $(VAR) expansion and mapped paths', () => {
    const got = env(
      { name: 'c', envFrom: [{ secretRef: { name: 's3' }, prefix: 'S3_' }, { configMapRef: { name: 'cfg' } }], env: [{ name: 'OUT', value: '/work/$(MODE)' }, { name: 'MODE', value: 'x' }, { name: 'LATER', value: '$(MODE)' }] },
      objects({ s3: { KEY: 'k' } }, { cfg: { MODE: 'from-cm' } }),
    );
    expect(got).toMatchObject({ S3_KEY: 'k', MODE: 'x', OUT: '/pod/v/work/from-cm', LATER: 'x', TMPDIR: '/pod/tmp', HOME: '/pod/tmp', PATH: '/bin' });
  });

  it('downward API fields', () => {
    const c: V1Container = { name: 'c', env: ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['job-name']", "metadata.annotations['a']", 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.hostIP'].map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } })) };
    expect(Object.values(env(c)).slice(2, 11)).toEqual(['run-1', 'finance', 'u1', 'orders-123', 'b', 'node-a', 'raas', '127.0.0.5', '127.0.0.1']);
    expect(() => fieldValue(pod, 'spec.hostname', { nodeName: 'n', podIP: 'i' })).toThrow(new PodConfigError('unsupported fieldRef spec.hostname'));
  });

  it.each([
    ['a missing Secret', { name: 'c', envFrom: [{ secretRef: { name: 'nope' } }] }, 'secret "nope" not found'],
    ['a missing ConfigMap key', { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }] }, "couldn't find key nope in ConfigMap finance/cfg"],
    ['a missing Secret key', { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's3', key: 'nope' } } }] }, "couldn't find key nope in Secret finance/s3"],
  ])('refuses %s (the pod waits with CreateContainerConfigError)', (_what, c, message) => {
    expect(() => env(c as V1Container, objects({ s3: {} }, { cfg: {} }))).toThrow(new PodConfigError(message));
  });

  it('optional references that are missing leave the variable unset', () => {
    const got = env({ name: 'c', envFrom: [{ secretRef: { name: 'nope', optional: true } }], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's3', key: 'k', optional: true } } }] });
    expect(got.X).toBeUndefined();
  });

  it('the in-cluster API variables only when the pod mounts a token; extraEnv after the image env', () => {
    expect(env({ name: 'c' }).KUBERNETES_SERVICE_HOST).toBeUndefined();
    const got = env({ name: 'c', env: [{ name: 'AWS_REGION', value: 'pod' }] }, objects(), { api: { host: '127.0.0.1', port: 6443 }, extraEnv: { AWS_REGION: 'node', TMPDIR: '/tmp' } });
    expect(got).toMatchObject({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443', KUBERNETES_PORT_443_TCP: 'tcp://127.0.0.1:6443', AWS_REGION: 'pod' });
  });

  it('the command line: the image entrypoint and cmd unless the container says otherwise', () => {
    const image = { entrypoint: ['node', '/app/bin/raas.js'], cmd: ['--help'] };
    expect(commandLine({ name: 'c' }, image, {}, mapPath)).toEqual(['node', '/src/bin/raas.js', '--help']);
    expect(commandLine({ name: 'c', args: ['run', '$(F)'] }, image, { F: '/work/f' }, mapPath)).toEqual(['node', '/src/bin/raas.js', 'run', '/pod/v/work/f']);
    expect(commandLine({ name: 'c', command: ['sh', '-c'], args: ['echo'] }, image, {}, mapPath)).toEqual(['sh', '-c', 'echo']);
    expect(commandLine({ name: 'c', command: ['true'] }, image, {}, mapPath)).toEqual(['true']);
  });

  it('referencedObjects lists what the shell must fetch, once each', () => {
    const p: V1Pod = { ...pod, spec: { containers: [], volumes: [{ name: 'a', secret: { secretName: 's1' } }, { name: 'b', projected: { sources: [{ configMap: { name: 'c2' } }, { secret: { name: 's1' } }] } }] } };
    const c: V1Container = { name: 'c', envFrom: [{ secretRef: { name: 's0' } }], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c1', key: 'k' } } }] };
    expect(referencedObjects(p, c)).toEqual({ secrets: ['s0', 's1'], configMaps: ['c1', 'c2'] });
  });
});
