import { describe, expect, it } from 'vitest';
import type { ReconJobSpec } from '../../runner/spec/schema.ts';
import { explicitRunEnv, manifestJson, podSpecForRun, scheduledRunEnv } from './pod-spec.ts';
import type { V1Container, V1PodSpec } from './k8s-types.ts';
import { reconJob } from '../../test/support/desired-fixtures.ts';

const opts = { image: 'ghcr.io/raas/raas:1.0.0' };

function runner(spec: V1PodSpec): V1Container {
  expect(spec.containers).toHaveLength(1);
  const c = spec.containers[0];
  if (!c) throw new Error('no container');
  return c;
}

const values = (c: V1Container): Record<string, string | undefined> =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

describe('podSpecForRun', () => {
  const spec = podSpecForRun(reconJob(), opts, []);
  const c = runner(spec);

  it('runs `raas run --json` in a container named runner with the operator image', () => {
    expect(c.name).toBe('runner');
    expect(c.image).toBe('ghcr.io/raas/raas:1.0.0');
    expect(c.command).toEqual(['node', '/app/bin/raas.js', 'run', '--json']);
    expect(c).not.toHaveProperty('imagePullPolicy');
    expect(spec.restartPolicy).toBe('Never');
  });

  it('passes the contract env (operator/README.md)', () => {
    expect(values(c)).toEqual({
      RAAS_MANIFEST: manifestJson(reconJob()),
      RAAS_TERMINATION_LOG: '/dev/termination-log',
      RAAS_WORK_DIR: '/work',
    });
  });

  it('passes the manifest without status or server-set metadata', () => {
    const job = { ...reconJob(), status: { observedGeneration: 3 } };
    expect(JSON.parse(manifestJson(job))).toEqual({
      apiVersion: 'raas.dev/v1alpha1',
      kind: 'ReconJob',
      metadata: { name: 'orders-vs-settlements', namespace: 'finance' },
      spec: reconJob().spec,
    });
  });

  it('reports through the termination log, falling back to the log tail on error', () => {
    expect(c.terminationMessagePath).toBe('/dev/termination-log');
    expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('is hardened as docs/design.md, Safety, says', () => {
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec).not.toHaveProperty('serviceAccountName');
    expect(spec.enableServiceLinks).toBe(false);
  });

  it('gives writable emptyDirs at /work and /tmp only', () => {
    expect(c.volumeMounts).toEqual([
      { name: 'work', mountPath: '/work' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'work', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ]);
  });

  it('has no resources, envFrom or memory limit unless the spec says so', () => {
    expect(c).not.toHaveProperty('resources');
    expect(c).not.toHaveProperty('envFrom');
    expect(values(c)).not.toHaveProperty('RAAS_MEMORY_LIMIT');
  });

  const runnerCases: [string, ReconJobSpec['runner'], (spec: V1PodSpec, c: V1Container) => void][] = [
    ['image', { image: 'registry.local/raas:dev' }, (_s, c) => expect(c.image).toBe('registry.local/raas:dev')],
    [
      'resources',
      { resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } } },
      (_s, c) => expect(c.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } }),
    ],
    ['resources.limits only', { resources: { limits: { memory: '1Gi' } } }, (_s, c) => expect(c.resources).toEqual({ limits: { memory: '1Gi' } })],
    [
      'serviceAccountName',
      { serviceAccountName: 'recon-reader' },
      (s) => {
        expect(s.serviceAccountName).toBe('recon-reader');
        expect(s).not.toHaveProperty('automountServiceAccountToken');
      },
    ],
    [
      'envFrom',
      { envFrom: [{ secretRef: { name: 'aws' } }, { configMapRef: { name: 'settings' } }] },
      (_s, c) => expect(c.envFrom).toEqual([{ secretRef: { name: 'aws' } }, { configMapRef: { name: 'settings' } }]),
    ],
    ['empty envFrom', { envFrom: [] }, (_s, c) => expect(c).not.toHaveProperty('envFrom')],
    ['memoryLimit', { memoryLimit: '3GB' }, (_s, c) => expect(values(c).RAAS_MEMORY_LIMIT).toBe('3GB')],
  ];

  it.each(runnerCases)('maps spec.runner.%s', (_name, runnerSpec, check) => {
    const s = podSpecForRun(reconJob({ ...(runnerSpec ? { runner: runnerSpec } : {}) }), opts, []);
    check(s, runner(s));
  });

  it('passes the results catalog Secret as RAAS_CATALOG_URL, by reference only', () => {
    const c = runner(podSpecForRun(reconJob({ output: { catalog: { postgres: { secretRef: { name: 'recon-db' } }, table: 'recon_runs' } } }), opts, []));
    expect(c.env).toContainEqual({ name: 'RAAS_CATALOG_URL', valueFrom: { secretKeyRef: { name: 'recon-db', key: 'url' } } });
    const withKey = runner(podSpecForRun(reconJob({ output: { catalog: { postgres: { secretRef: { name: 'recon-db', key: 'dsn' } } } } }), opts, []));
    expect(withKey.env).toContainEqual({ name: 'RAAS_CATALOG_URL', valueFrom: { secretKeyRef: { name: 'recon-db', key: 'dsn' } } });
    expect(runner(podSpecForRun(reconJob({ output: { catalog: { urlEnv: 'DB' } } }), opts, [])).env?.map((e) => e.name)).not.toContain('RAAS_CATALOG_URL');
  });

  it('sets imagePullPolicy when given', () => {
    expect(runner(podSpecForRun(reconJob(), { ...opts, imagePullPolicy: 'IfNotPresent' }, [])).imagePullPolicy).toBe('IfNotPresent');
  });

  it('appends the run-specific env after the contract env', () => {
    const c2 = runner(podSpecForRun(reconJob(), opts, explicitRunEnv('r1', { start: 'S', end: 'E' })));
    expect(c2.env?.map((e) => e.name)).toEqual([
      'RAAS_MANIFEST',
      'RAAS_TERMINATION_LOG',
      'RAAS_WORK_DIR',
      'RAAS_WINDOW_START',
      'RAAS_WINDOW_END',
      'RAAS_RUN_NAME',
    ]);
  });

  it('does not share mutable parts between pods', () => {
    const a = runner(podSpecForRun(reconJob(), opts, []));
    a.securityContext?.capabilities?.drop?.push('oops');
    a.command?.push('oops');
    const b = runner(podSpecForRun(reconJob(), opts, []));
    expect(b.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(b.command).toEqual(['node', '/app/bin/raas.js', 'run', '--json']);
  });
});

describe('run env', () => {
  it('scheduled runs read the Job name from the pod label', () => {
    expect(scheduledRunEnv().map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath])).toEqual([
      ['RAAS_JOB_NAME', "metadata.labels['job-name']"],
      ['RAAS_RUN_NAME', "metadata.labels['job-name']"],
    ]);
  });

  it('manual runs get the window and run name', () => {
    expect(explicitRunEnv('r1', { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' })).toEqual([
      { name: 'RAAS_WINDOW_START', value: '2024-01-01T00:00:00+00:00' },
      { name: 'RAAS_WINDOW_END', value: '2024-01-02T00:00:00+00:00' },
      { name: 'RAAS_RUN_NAME', value: 'r1' },
    ]);
  });
});
