// Two replicas never act at once, on the real kube-apiserver: its Lease validation (MicroTime
// timestamps with six fractional digits), its optimistic concurrency, and two real operator
// processes under the chart's ServiceAccount, one of them killed mid-run.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { Kube, loadKubeConfig } from '../../operator/kube/client.ts';
import { LeaderElector } from '../../operator/kube/leader.ts';
import { clusterEnvForFile, s3ReconJob, statusOf, waitFor, type ClusterEnv } from '../support/operator-env.ts';
import { RAAS_BIN } from '../support/run-cli.ts';

// No operator in this world: the two child replicas below are the only ones acting.
const world = clusterEnvForFile();

function elector(kubeconfigYaml: string, identity: string, events: string[]) {
  const kube = new Kube(loadKubeConfig(undefined, kubeconfigYaml));
  return new LeaderElector({
    api: kube.coordination,
    namespace: 'raas-system',
    name: 'raas-leader',
    identity,
    leaseDurationSeconds: 2,
    retryPeriodMs: 200,
    onStartedLeading: () => events.push(`${identity} leads`),
    onStoppedLeading: () => events.push(`${identity} stops`),
  });
}

interface Replica {
  name: string;
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
}

function startReplica(env: ClusterEnv, name: string): Replica {
  const lines: Array<Record<string, unknown>> = [];
  const child = spawn(process.execPath, [RAAS_BIN, 'operator'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      KUBECONFIG: env.operatorKubeconfig,
      POD_NAMESPACE: 'raas-system',
      POD_NAME: name,
      RAAS_HTTP_PORT: '0',
      RAAS_HTTP_HOST: '127.0.0.1',
      RAAS_LEASE_DURATION_SECONDS: '3',
      RAAS_RUNNER_IMAGE: 'raas:test',
      RAAS_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => lines.push({ msg: d.toString() }));
  return { name, child, lines };
}

const said = (r: Replica, msg: string) => r.lines.filter((l) => l.msg === msg);

describe('leader election on the real API server', { timeout: 240_000 }, () => {
  it('one elector leads at a time with Leases the API server accepts; the other takes over when it steps down', async (ctx) => {
    const env = await world(ctx);
    const yaml = env.cluster.cp.kubeconfigYaml({ token: await env.cluster.cp.serviceAccountToken('raas-system', 'raas') });
    const events: string[] = [];
    const a = elector(yaml, 'a', events);
    const b = elector(yaml, 'b', events);
    // Both stop whatever happens, so a failure here cannot leave a Lease renewed for the next test.
    ctx.onTestFinished(async () => {
      await a.stop();
      await b.stop();
    });
    a.start();
    await waitFor('a to lead', () => a.isLeader, 20_000);
    b.start();
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      expect(a.isLeader && b.isLeader).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(a.isLeader).toBe(true);
    const lease = await env.get('coordination.k8s.io/v1/leases', 'raas-system', 'raas-leader');
    const spec = lease?.spec as { holderIdentity?: string; renewTime?: string; acquireTime?: string };
    expect(spec.holderIdentity).toBe('a');
    expect(spec.renewTime).toMatch(/\.\d{6}Z$/);
    await a.stop();
    await waitFor('b to take over', () => b.isLeader, 20_000);
    expect(events).toEqual(['a leads', 'a stops', 'b leads']);
    await b.stop();
  });

  it('two operator replicas: exactly one acts; the leader killed mid-run, the other finishes its work, nothing is done twice', async (ctx) => {
    const env = await world(ctx);
    for (const day of ['2024-01-01', '2024-01-02']) {
      await env.s3.client.send(new PutObjectCommand({ Bucket: 'ledger', Key: `orders/${day}.csv`, Body: 'id,amount\n1,10.00\n2,20.00\n' }));
      await env.s3.client.send(new PutObjectCommand({ Bucket: 'psp', Key: `settlements/${day}.csv`, Body: 'id,amount\n1,10.00\n2,20.00\n' }));
    }
    const a = startReplica(env, 'replica-a');
    const b = startReplica(env, 'replica-b');
    try {
      const first = await waitFor('one replica to lead', () => [a, b].find((r) => said(r, 'became leader').length > 0), 30_000);
      const second = first === a ? b : a;
      await env.kube.createCustom('reconjobs', 'finance', s3ReconJob('ha', 'finance', { maxParallelRuns: 1 }));
      await waitFor('Ready', async () => statusOf(await env.get('reconjobs', 'finance', 'ha')).observedGeneration !== undefined, 30_000);
      // Hold the pods so the kill lands while the first run is under way.
      env.cluster.kubelet.pause();
      const { created } = await backfill(env.kube, { namespace: 'finance', job: 'ha', from: '2024-01-01', to: '2024-01-02' }, () => undefined);
      await waitFor('the first run\'s Job', async () => (await env.list('batch/v1/jobs', 'finance', 'raas.dev/job=ha')).length === 1, 30_000);
      expect(said(second, 'became leader')).toHaveLength(0);
      expect(said(second, 'run started')).toHaveLength(0);
      first.child.kill('SIGKILL');
      env.cluster.kubelet.resume();
      await waitFor('the other replica to take over', () => said(second, 'became leader').length > 0, 30_000);
      for (const name of created) {
        const s = await waitFor(`${name} to finish`, async () => {
          const st = statusOf(await env.get('reconruns', 'finance', name));
          return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
        }, 120_000);
        expect(s, env.outputs.slice(-1).join('')).toMatchObject({ phase: 'Succeeded', balanced: true, counts: { matched: 2 } });
        expect(await env.list('batch/v1/jobs', 'finance', `raas.dev/run=${name}`)).toHaveLength(1);
      }
      const lease = await env.get('coordination.k8s.io/v1/leases', 'raas-system', 'raas-leader');
      expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe(second.name);
      // Never a 403: the chart's RBAC covers everything the operator does.
      const forbidden = [...a.lines, ...b.lines].filter((l) => /\b403\b|forbidden/i.test(JSON.stringify(l)));
      expect(forbidden).toEqual([]);
    } finally {
      for (const r of [a, b]) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
      await Promise.all([a, b].map((r) => (r.child.exitCode === null && r.child.signalCode === null ? new Promise((res) => r.child.once('exit', res)) : undefined)));
    }
  });
});
