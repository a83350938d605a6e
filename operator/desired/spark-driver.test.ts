import { describe, expect, it } from 'vitest';
import { explicitRunEnv, podSpecForRun } from './pod-spec.ts';
import { DEFAULT_RUNNER_POLICY } from './runner-policy.ts';
import { SPARK_MASTER_IN_CLUSTER, sparkMemory, sparkPolicyProblems } from './spark-driver.ts';
import { reconJob } from '../../test/support/desired-fixtures.ts';
import type { V1Pod } from './k8s-types.ts';
import { labelValue } from './names.ts';

const opts = { image: 'ghcr.io/raas/raas:1.0.0' };

function env(spec: Parameters<typeof reconJob>[0]) {
  const pod = podSpecForRun(reconJob(spec), opts, explicitRunEnv('orders-20240101', { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }));
  return pod.containers[0]!.env ?? [];
}

describe('the runner pod of a spark job is the Spark driver', () => {
  it('a duckdb job gets no Spark env', () => {
    expect(env({}).map((e) => e.name).filter((n) => n.includes('SPARK'))).toEqual([]);
  });

  it('a spark job: in-cluster master, executors as spec.spark says, labels and owner for cleanup', () => {
    const e = env({ engine: 'spark', runner: { serviceAccountName: 'raas-spark' }, spark: { executors: 3, executorCores: 2, executorMemory: '4GiB', image: 'ghcr.io/raas/raas-spark:1.0.0' } });
    const byName = Object.fromEntries(e.map((x) => [x.name, x]));
    expect(byName.RAAS_SPARK_MASTER?.value).toBe(SPARK_MASTER_IN_CLUSTER);
    expect(byName.RAAS_POD_IP?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(byName.RAAS_POD_NAME?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // $(VAR) is expanded by Kubernetes only for variables defined earlier in the list.
    const names = e.map((x) => x.name);
    expect(names.indexOf('RAAS_SPARK_CONF')).toBeGreaterThan(Math.max(names.indexOf('RAAS_RUN_NAME'), names.indexOf('RAAS_POD_IP'), names.indexOf('RAAS_POD_NAME')));
    expect(JSON.parse(byName.RAAS_SPARK_CONF!.value!)).toEqual({
      'spark.kubernetes.namespace': 'finance',
      'spark.kubernetes.container.image': 'ghcr.io/raas/raas-spark:1.0.0',
      'spark.executor.instances': '3',
      'spark.executor.cores': '2',
      'spark.executor.memory': '4096m',
      'spark.driver.host': '$(RAAS_POD_IP)',
      'spark.driver.bindAddress': '$(RAAS_POD_IP)',
      'spark.kubernetes.driver.pod.name': '$(RAAS_POD_NAME)',
      'spark.kubernetes.authenticate.caCertFile': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      'spark.kubernetes.authenticate.oauthTokenFile': '/var/run/secrets/kubernetes.io/serviceaccount/token',
      'spark.kubernetes.executor.label.app.kubernetes.io/managed-by': 'raas',
      'spark.kubernetes.executor.label.raas.dev/job': 'orders-vs-settlements',
      'spark.kubernetes.executor.label.raas.dev/run': '$(RAAS_RUN_NAME)',
      'spark.kubernetes.executor.request.cores': '2',
      'spark.kubernetes.executor.podTemplateContainerName': 'spark-executor',
      'spark.kubernetes.driver.ownPersistentVolumeClaim': 'false',
      'spark.kubernetes.driver.reusePersistentVolumeClaim': 'false',
    });
  });

  it('executor pods are locked down like the runner and, for a manual run or backfill, owned by the ReconRun', () => {
    const job = reconJob({ engine: 'spark', runner: { serviceAccountName: 'raas-spark' }, spark: { executorCpuRequest: '250m' } });
    const run = { name: 'orders-vs-settlements-backfill-20240101-' + 'x'.repeat(40), uid: 'uid-1' };
    const pod = podSpecForRun(job, opts, explicitRunEnv(run.name, { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }), run);
    const byName = Object.fromEntries((pod.containers[0]!.env ?? []).map((x) => [x.name, x.value]));
    const conf = JSON.parse(byName.RAAS_SPARK_CONF!) as Record<string, string>;
    expect(conf['spark.kubernetes.executor.request.cores']).toBe('250m');
    expect(conf['spark.executor.cores']).toBe('1');
    // The run's label as its Job's carries it: cut to a label value's 63 characters.
    expect(conf['spark.kubernetes.executor.label.raas.dev/run']).toBe(labelValue(run.name));
    expect(labelValue(run.name).length).toBeLessThanOrEqual(63);
    const template = JSON.parse(byName.RAAS_SPARK_EXECUTOR_TEMPLATE!) as V1Pod;
    expect(template.metadata?.ownerReferences).toEqual([{ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconRun', name: run.name, uid: 'uid-1' }]);
    expect(template.spec?.automountServiceAccountToken).toBe(false);
    expect(template.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    const c = template.spec?.containers[0];
    expect(c?.name).toBe(conf['spark.kubernetes.executor.podTemplateContainerName']);
    expect(c?.securityContext).toEqual(pod.containers[0]!.securityContext);
    expect(c?.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('a scheduled run (its ReconRun made after the Job) leaves the executors owned by the driver pod alone', () => {
    const pod = podSpecForRun(reconJob({ engine: 'spark', runner: { serviceAccountName: 'raas-spark' } }), opts, []);
    const template = JSON.parse(pod.containers[0]!.env!.find((x) => x.name === 'RAAS_SPARK_EXECUTOR_TEMPLATE')!.value!) as V1Pod;
    expect(template.metadata).toEqual({});
  });

  it('defaults: two executors of one core and 2GB, the runner image', () => {
    const conf = JSON.parse(env({ engine: 'spark', runner: { serviceAccountName: 'raas-spark' } }).find((x) => x.name === 'RAAS_SPARK_CONF')!.value!) as Record<string, string>;
    expect([conf['spark.executor.instances'], conf['spark.executor.cores'], conf['spark.executor.memory'], conf['spark.kubernetes.container.image']]).toEqual(['2', '1', '1907m', 'ghcr.io/raas/raas:1.0.0']);
  });

  it.each([
    ['512MB', '488m'],
    ['2GB', '1907m'],
    ['4GiB', '4096m'],
    ['1.5GiB', '1536m'],
  ])('sparkMemory(%s) = %s', (size, spark) => {
    expect(sparkMemory(size)).toBe(spark);
  });
});

describe('the runner policy covers a spark job', () => {
  const policy = { ...DEFAULT_RUNNER_POLICY, allowedImages: ['ghcr.io/raas/raas-spark:*'], allowedServiceAccounts: ['raas-spark'] };
  it.each([
    [{}, []],
    [{ engine: 'spark' as const, runner: { serviceAccountName: 'raas-spark' } }, []],
    [{ engine: 'spark' as const, runner: { serviceAccountName: 'raas-spark' }, spark: { image: 'ghcr.io/raas/raas-spark:2' } }, []],
    [{ engine: 'spark' as const, runner: { serviceAccountName: 'raas-spark' }, spark: { image: 'evil.example/spark:1' } }, [/^spec\.spark\.image: "evil\.example\/spark:1" is not allowed by the runner policy/]],
    [{ engine: 'spark' as const }, [/^spec\.runner\.serviceAccountName: engine: spark on Kubernetes needs a ServiceAccount/]],
  ])('%j', (spec, expected) => {
    const problems = sparkPolicyProblems(reconJob(spec).spec, policy, opts.image);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(problems[i]).toMatch(re));
  });
});
