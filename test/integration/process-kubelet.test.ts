// The process kubelet carries on through an API-server outage: a container that finishes
// while kube-apiserver is down still gets its final status (Succeeded, the termination
// message) once the server is back, the failed writes are logged rather than thrown (an
// unhandled rejection would fail this file), and the next pod runs as usual.
//
// A control plane of its own: it restarts the API server.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessKubelet } from '../../operator/sandbox/process-kubelet.ts';
import { startTestCluster, waitFor, type TestCluster } from '../support/cluster.ts';
import { repoRoot } from '../support/helm.ts';
import { sharedService } from '../support/require-service.ts';

type Json = Record<string, unknown>;
const NS = 'kubelet';
const logs: string[] = [];
const world = sharedService<{ cluster: TestCluster; kubelet: ProcessKubelet }>(
  'the Kubernetes control plane (scripts/install-kube.sh)',
  async () => {
    const cluster = await startTestCluster({ noKubelet: true });
    const { cp } = cluster;
    const kubelet = new ProcessKubelet({ api: { host: cp.host, port: cp.port, caPem: cp.caPem, token: cp.adminToken }, log: (msg, f) => logs.push(`${msg} ${JSON.stringify(f ?? {})}`), retryMaxMs: 500 });
    try {
      await kubelet.start();
      await cluster.namespace(NS);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return { cluster, kubelet };
  },
  async ({ cluster, kubelet }) => {
    await kubelet.stop();
    await cluster.stop();
  },
);

/** A pod whose container waits for `gate` (a container path under /app) and then writes its termination message. */
const pod = (name: string, gate: string): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS },
  spec: {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'raas:test',
        command: ['/bin/sh', '-c', 'while [ ! -e "$GATE" ]; do sleep 0.1; done; printf finished > "$TERMINATION"'],
        env: [
          { name: 'GATE', value: gate },
          { name: 'TERMINATION', value: '/dev/termination-log' },
        ],
      },
    ],
  },
});

const phaseOf = (p: Json | undefined) => (p?.status as { phase?: string } | undefined)?.phase;
const terminated = (p: Json | undefined) =>
  (p?.status as { containerStatuses?: Array<{ state?: { terminated?: { exitCode: number; message?: string } } }> } | undefined)?.containerStatuses?.[0]?.state?.terminated;

describe('process kubelet through an API-server outage', { timeout: 240_000 }, () => {
  it('reports a container that exited while the API server was down, and runs the next pod', async (ctx) => {
    const { cluster } = await world(ctx);
    const gates = join(repoRoot, '.tmp', `kubelet-gates-${process.pid}`);
    await mkdir(gates, { recursive: true });
    try {
      await cluster.create('v1/pods', NS, pod('through-outage', `/app/.tmp/kubelet-gates-${process.pid}/one`));
      await waitFor('the pod Running', async () => phaseOf(await cluster.get('v1/pods', NS, 'through-outage')) === 'Running').catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}\nkubelet log:\n${logs.join('\n')}\npod: ${JSON.stringify(await cluster.get('v1/pods', NS, 'through-outage'))}`);
      });

      // Restart kube-apiserver; open the gate only once the server is really down, so the
      // container's exit (and its status write) falls into the outage.
      const restart = cluster.cp.restartApiServer();
      await waitFor('the API server down', async () => {
        const up = await cluster.cp.request('GET', '/readyz').then(() => true, () => false);
        return !up;
      }, 30_000);
      await writeFile(join(gates, 'one'), '');
      await waitFor('a status write failing and being retried', () => logs.some((l) => l.startsWith('pod status update failed; retrying')), 30_000);
      await restart;

      const done = await waitFor('the pod Succeeded after the outage', async () => {
        const p = await cluster.get('v1/pods', NS, 'through-outage');
        return phaseOf(p) === 'Succeeded' && p;
      }, 60_000);
      expect(terminated(done)).toMatchObject({ exitCode: 0, message: 'finished' });

      // The kubelet's watch came back: a new pod runs to completion.
      await writeFile(join(gates, 'two'), '');
      await cluster.create('v1/pods', NS, pod('after-outage', `/app/.tmp/kubelet-gates-${process.pid}/two`));
      const next = await waitFor('the next pod Succeeded', async () => {
        const p = await cluster.get('v1/pods', NS, 'after-outage');
        return phaseOf(p) === 'Succeeded' && p;
      }, 60_000);
      expect(terminated(next)).toMatchObject({ exitCode: 0, message: 'finished' });
    } finally {
      await rm(gates, { recursive: true, force: true });
    }
  });
});
