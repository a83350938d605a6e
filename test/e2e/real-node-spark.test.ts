// A spark ReconRun on the real node (containerd, runc, kubelet): the operator's runner pod is
// the Spark driver in client mode, Spark's own Kubernetes scheduler starts two executor
// pods from the raas-spark image through the API server, as the ServiceAccount the chart
// makes for the driver; the executors reach the driver at its pod IP over the pod network
// and read and write the run's shared directory in the S3 server. Asserted: the counts are
// those of DuckDB on the same data, the executors existed with the run's labels and owners,
// Spark deleted them when the runner stopped it (their owners still there), the shared
// directory is gone, and the operator itself runs the default image.
//
// It starts its own control plane and node (root, containerd and both images). Without them
// it skips with the reason; under CI=true it fails.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelValue } from '../../operator/desired/names.ts';
import { buildImage, startRealNodeSandbox } from '../../operator/sandbox/real-node-sandbox.ts';
import { waitFor } from '../support/cluster.ts';
import { repoRoot } from '../support/helm.ts';
import { imageDigest, kubectlApply, kubectlJson, ok, type Json } from '../support/real-node.ts';
import { sharedService } from '../support/require-service.ts';
import { jvmsWithArchive } from '../support/spark-processes.ts';

const NS = 'finance';
const DRIVER_SA = 'raas-spark-driver';
/** Where the raas-spark image keeps the driver's class archive (next to RAAS_SPARK_PYTHON's venv). */
const IMAGE_ARCHIVE = '/opt/raas-spark/raas-driver.jsa';

const world = sharedService(
  'the real node with the raas-spark image (root, containerd, runc, kubelet: scripts/install-kube.sh, scripts/install-node.sh, scripts/build-image.sh --target raas-spark)',
  async () => {
    // RAAS_REAL_NODE_IMAGE / RAAS_REAL_NODE_SPARK_IMAGE: images already in podman's storage;
    // otherwise this checkout's, reused when unchanged.
    const image = process.env.RAAS_REAL_NODE_IMAGE ?? (await buildImage(() => undefined));
    const sparkImage = process.env.RAAS_REAL_NODE_SPARK_IMAGE ?? (await buildImage(() => undefined, undefined, 'raas-spark'));
    const dir = await mkdtemp(join(tmpdir(), 'raas-real-node-spark-'));
    const sandbox = await startRealNodeSandbox(
      {
        kubeconfig: join(dir, 'kubeconfig'),
        namespace: NS,
        image,
        extraImages: [sparkImage],
        // The chart's driver ServiceAccount in the job's namespace, and the runner policy
        // allowing it and the raas-spark image.
        helmSet: [`spark.driverNamespaces[0]=${NS}`, `runnerPolicy.allowedServiceAccounts[0]=${DRIVER_SA}`, `runnerPolicy.allowedImages[0]=${sparkImage}`],
        progress: () => undefined,
      },
      () => undefined,
    );
    return { sandbox, dir, image, sparkImage, env: { KUBECONFIG: join(dir, 'kubeconfig') } };
  },
  async (w) => {
    await w.sandbox.stop();
    await rm(w.dir, { recursive: true, force: true });
  },
);

interface SeenExecutor {
  pod: Json;
  running: boolean;
}

describe('a spark ReconRun on a real node', { timeout: 2_400_000 }, () => {
  it('runs with two executor pods that reach the driver at its pod IP, gives DuckDB\'s counts, and Spark deletes its executors and shared directory when the run ends', async (ctx) => {
    const { sandbox: s, env, dir, image, sparkImage } = await world(ctx);
    // What the run must report: DuckDB on the same data in the same S3 server, run here.
    const local = JSON.parse(await ok('node', ['bin/raas.js', 'run', '-q', '--json', '-f', 'examples/sandbox/reconjob.yaml', '--date', '2024-01-01', '--out', join(dir, 'local')], s.s3.env)) as Json;
    expect(local.counts).toMatchObject({ matched: 15 });

    // The sandbox's job on the spark engine: two executors of one core and 512 MiB, each
    // asking the scheduler for a quarter of a CPU so both fit next to the chart's pods.
    const manifest = (await readFile(join(repoRoot, 'examples', 'sandbox', 'reconjob.yaml'), 'utf8'))
      .replace('name: orders-vs-settlements', 'name: orders-spark')
      .replace('spec:\n', "spec:\n  engine: spark\n  spark: { executors: 2, executorCores: 1, executorMemory: 512MiB, executorCpuRequest: 250m }\n")
      .replace('  runner:\n', `  runner:\n    image: ${sparkImage}\n    serviceAccountName: ${DRIVER_SA}\n`);
    await kubectlApply(env, NS, manifest);
    await waitFor('the spark ReconJob to be Ready', async () => {
      const job = await kubectlJson(env, '-n', NS, 'get', 'reconjob', 'orders-spark');
      const ready = (job.status?.conditions as Json[] | undefined)?.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') throw new Error(`ReconJob not Ready: ${ready.message}`);
      return ready?.status === 'True';
    }, 120_000);
    await ok('node', ['bin/kubectl-recon.js', 'backfill', 'orders-spark', '-n', NS, '--from', '2024-01-01', '--to', '2024-01-01'], env);

    // Executor pods live only while the driver runs: watched while the run is in flight.
    const executors = new Map<string, SeenExecutor>();
    const driverJvms = new Map<number, boolean>();
    const run = await waitFor('the spark run to finish', async () => {
      // The driver's JVM in the runner pod, seen from this host: started from the image's class archive.
      for (const jvm of await jvmsWithArchive(IMAGE_ARCHIVE)) driverJvms.set(jvm.pid, driverJvms.get(jvm.pid) || jvm.mapped);
      const pods = (await kubectlJson(env, '-n', NS, 'get', 'pods', '-l', 'spark-role=executor')).items as Json[];
      for (const p of pods) {
        const seen = executors.get(p.metadata.name) ?? { pod: p, running: false };
        seen.pod = p;
        seen.running ||= p.status?.phase === 'Running';
        executors.set(p.metadata.name, seen);
      }
      const rr = ((await kubectlJson(env, '-n', NS, 'get', 'reconruns')).items as Json[]).find((r) => r.spec?.jobRef?.name === 'orders-spark');
      return rr?.status?.phase === 'Succeeded' || rr?.status?.phase === 'Failed' ? rr : undefined;
    }, 1_500_000);
    expect(run.status, JSON.stringify(run.status)).toMatchObject({ phase: 'Succeeded', counts: local.counts as Json });

    // The driver: the run's runner pod, as the chart's driver ServiceAccount, running the raas-spark image.
    const driver = ((await kubectlJson(env, '-n', NS, 'get', 'pods', '-l', `raas.dev/run=${labelValue(run.metadata.name)}`)).items as Json[]).find((p) => p.metadata.labels?.['spark-role'] !== 'executor');
    expect(driver, 'the runner pod').toBeDefined();
    expect(driver!.spec.serviceAccountName).toBe(DRIVER_SA);
    expect(driver!.status.containerStatuses[0].imageID).toBe(await imageDigest(sparkImage));
    expect(JSON.parse(driver!.status.containerStatuses[0].state.terminated.message)).toMatchObject({ counts: local.counts as Json });
    // Its JVM mapped the class archive the image build made (docs/adr/0171-spark-driver-jvm-start.md).
    expect([...driverJvms.values()], 'driver JVMs started with the image archive, by whether they mapped it').toContain(true);

    // Two executors, both ran, each labelled and owned so that they go with the run.
    expect([...executors.keys()], 'executor pods seen').toHaveLength(2);
    for (const { pod, running } of executors.values()) {
      expect(running, `${pod.metadata.name} ran`).toBe(true);
      expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'raas', 'raas.dev/job': 'orders-spark', 'raas.dev/run': labelValue(run.metadata.name) });
      expect(pod.metadata.ownerReferences).toEqual(expect.arrayContaining([
        expect.objectContaining({ kind: 'Pod', name: driver!.metadata.name, uid: driver!.metadata.uid, controller: true }),
        expect.objectContaining({ kind: 'ReconRun', name: run.metadata.name, uid: run.metadata.uid }),
      ]));
      expect(pod.spec.nodeName).toBe(s.node.nodeName);
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      const c = (pod.spec.containers as Json[])[0]!;
      expect(c.image).toBe(sparkImage);
      expect(c.resources.requests).toMatchObject({ cpu: '250m' });
      expect(c.securityContext).toMatchObject({ runAsUser: 10001, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      // Executors dial the driver at its pod IP, across the pod network.
      const driverUrl = (c.env as Json[]).find((e) => e.name === 'SPARK_DRIVER_URL')?.value as string;
      expect(driverUrl).toMatch(new RegExp(`^spark://CoarseGrainedScheduler@${String(driver!.status.podIP).replace(/\./g, '\\.')}:\\d+$`));
      expect(pod.status.podIP).not.toBe(driver!.status.podIP);
    }

    // The runner stops Spark before it exits, and Spark deletes its executor pods: they are
    // gone while the ReconRun, its Job and the driver pod (their owners) are all still there,
    // so it is Spark that deleted them, not the garbage collector.
    await waitFor('Spark to delete its executor pods', async () => ((await kubectlJson(env, '-n', NS, 'get', 'pods', '-l', 'spark-role=executor')).items as Json[]).length === 0, 180_000);
    expect((await kubectlJson(env, '-n', NS, 'get', 'reconrun', run.metadata.name)).metadata.uid).toBe(run.metadata.uid);
    expect((await kubectlJson(env, '-n', NS, 'get', 'pod', driver!.metadata.name)).metadata.uid).toBe(driver!.metadata.uid);
    // The run's shared directory (staged inputs, Spark's result files) is deleted: nothing under .raas-spark/.
    const left = await ok('node', ['-e', `
      const { S3Client, ListObjectsV2Command } = require('@aws-sdk/client-s3');
      new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: process.env.AWS_ENDPOINT_URL }).send(new ListObjectsV2Command({ Bucket: 'raas-results', Prefix: '.raas-spark/' }))
        .then((r) => console.log(JSON.stringify((r.Contents ?? []).map((o) => o.Key))));
    `], s.s3.env);
    expect(JSON.parse(left)).toEqual([]);
    // Only the runner and its executors need the raas-spark image: the operator runs the default one.
    const operators = (await kubectlJson(env, '-n', s.release.namespace, 'get', 'pods', '-l', 'app.kubernetes.io/component=operator')).items as Json[];
    expect(operators.length, 'operator pods').toBeGreaterThan(0);
    for (const o of operators) expect(o.status.containerStatuses[0].imageID, o.metadata.name).toBe(await imageDigest(image));
  });
});
