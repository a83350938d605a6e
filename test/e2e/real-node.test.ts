// The README's cluster walkthrough on a real node: the image built from this checkout
// (scripts/build-image.sh, buildah), run by a real kubelet with containerd and runc, the
// chart installed by the real helm with its defaults. What only a real node shows is
// asserted here: the image's contents and entrypoint, uid 10001 with a read-only root and
// no capabilities, the termination message as kubelet read it from /dev/termination-log,
// service-account tokens and the API server reached from a pod's own network namespace,
// S3 from inside a pod, OOM kills by the memory cgroup, a leader pod killed.
//
// It starts its own control plane and node (it is the one test that needs root, containerd
// and an image). Without them it skips with the reason; under CI=true it fails.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImage, startRealNodeSandbox, type RealNodeSandbox } from '../../operator/sandbox/real-node-sandbox.ts';
import { docBlock } from '../docs/doc-blocks.ts';
import { repoRoot } from '../support/helm.ts';
import { sharedService } from '../support/require-service.ts';
import { waitFor } from '../support/cluster.ts';
import { KUBECTL, kubectlJson, ok, sh, type Json } from '../support/real-node.ts';

const world = sharedService(
  'the real node (root, containerd, runc, kubelet: scripts/install-kube.sh, scripts/install-node.sh)',
  async () => {
    // RAAS_REAL_NODE_IMAGE: run an image already in podman's storage instead of building
    // (when iterating on the node itself); otherwise this checkout's image, reused when unchanged.
    const ref = process.env.RAAS_REAL_NODE_IMAGE ?? (await buildImage(() => undefined));
    const dir = await mkdtemp(join(tmpdir(), 'raas-real-node-e2e-'));
    // The node with the image under the chart's default name (raas:0.1.0), as `kind load` gives it; no chart yet.
    const sandbox = await startRealNodeSandbox({ kubeconfig: join(dir, 'kubeconfig'), namespace: 'finance', image: ref, installChart: false, progress: () => undefined }, () => undefined);
    const env = { KUBECONFIG: join(dir, 'kubeconfig'), PATH: `${dirname(sandbox.helm)}:${process.env.PATH ?? ''}` };
    try {
      // covers docs block ops-install: the install of docs/operations.md, its lines as
      // written (the chart's defaults: two operator replicas, leader election, the web page).
      const install = await sh('bash', ['-euo', 'pipefail', '-c', docBlock('ops-install').code], env, 600_000);
      if (install.code !== 0) throw new Error(`the ops-install block failed (${install.code}): ${install.err}${install.out}\nkubelet: ${await sandbox.node.logTail('kubelet', 15)}`);
      // The runners' S3 settings, as a cluster gives them: a Secret named in spec.runner.envFrom.
      await ok(KUBECTL, ['-n', 'finance', 'create', 'secret', 'generic', 'sandbox-s3', ...Object.entries({ ...sandbox.s3.env, AWS_ENDPOINT_URL: sandbox.s3EndpointForPods }).map(([k, v]) => `--from-literal=${k}=${v}`)], env);
    } catch (err) {
      await sandbox.stop();
      throw err;
    }
    // The image's id (its config digest) as podman built it, taken once: what every container
    // must run, even if the tag is rebuilt elsewhere while the suite runs.
    const digest = `sha256:${(await ok('podman', ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', 'image', 'inspect', '--format', '{{.Id}}', sandbox.image])).trim()}`;
    return { sandbox, dir, env, digest };
  },
  async (w) => {
    await w.sandbox.stop();
    await rm(w.dir, { recursive: true, force: true });
  },
);

async function runPod(s: RealNodeSandbox, env: Record<string, string>, runName: string): Promise<Json> {
  const pods = await kubectlJson(env, '-n', 'finance', 'get', 'pods');
  // The runner pod carries its ReconRun's name (cut to a label's 63 characters).
  const pod = (pods.items as Json[]).find((p) => { const l = String(p.metadata.labels?.['raas.dev/run'] ?? ''); return l !== '' && runName.startsWith(l); });
  if (!pod) throw new Error(`no runner pod for ${runName} among ${(pods.items as Json[]).map((p) => p.metadata.name).join(', ')}; kubelet: ${await s.node.logTail('kubelet', 10)}`);
  return pod;
}

describe('the walkthrough on a real node (containerd, runc, kubelet)', { timeout: 1_800_000 }, () => {
  it('installs the chart with its defaults: two operator replicas and the web page, running the built image as uid 10001 read-only', async (ctx) => {
    const { sandbox: s, env, digest } = await world(ctx);
    for (const deploy of ['raas', 'raas-web']) {
      const out = await ok(KUBECTL, ['-n', 'raas-system', 'rollout', 'status', `deploy/${deploy}`, '--timeout=180s'], env);
      expect(out).toMatch(/successfully rolled out/);
    }
    const pods = (await kubectlJson(env, '-n', 'raas-system', 'get', 'pods')).items as Json[];
    expect(pods.filter((p) => p.metadata.labels['app.kubernetes.io/component'] === 'operator')).toHaveLength(2);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const p of pods) {
      expect(p.spec.nodeName).toBe(s.node.nodeName);
      expect(p.status.podIP.startsWith(s.node.network.hostIp.replace(/\.1$/, '.'))).toBe(true);
      for (const c of p.status.containerStatuses as Json[]) {
        expect(c.ready, `${p.metadata.name}/${c.name}`).toBe(true);
        expect(c.imageID).toBe(digest);
        const id = await ok(KUBECTL, ['-n', 'raas-system', 'exec', p.metadata.name, '-c', c.name, '--', 'sh', '-c', 'id -u; id -g; grep CapEff /proc/self/status; touch /app/x 2>&1 || true; touch /tmp/x && echo tmp-ok'], env);
        expect(id).toMatch(/^10001\n10001\nCapEff:\t0000000000000000\n/);
        expect(id).toMatch(/Read-only file system/);
        expect(id).toMatch(/tmp-ok/);
      }
    }
  });

  it('runs a backfill in a runner pod that reads S3 from its own network namespace, with the right counts, and downloads the results', async (ctx) => {
    const { sandbox: s, env, dir, digest } = await world(ctx);
    await ok(KUBECTL, ['apply', '-n', 'finance', '-f', 'examples/sandbox/reconjob.yaml'], env);
    await ok('node', ['bin/kubectl-recon.js', 'backfill', 'orders-vs-settlements', '-n', 'finance', '--from', '2024-01-01', '--to', '2024-01-01'], env);
    const run = await waitFor('the backfill run to finish', async () => {
      const rr = ((await kubectlJson(env, '-n', 'finance', 'get', 'reconruns')).items as Json[])[0];
      return rr?.status?.phase === 'Succeeded' || rr?.status?.phase === 'Failed' ? rr : undefined;
    }, 300_000);
    expect(run.status, JSON.stringify(run.status)).toMatchObject({ phase: 'Succeeded', counts: { matched: 15, mismatched: 2, leftOnly: 1, rightOnly: 1 } });
    const pod = await runPod(s, env, run.metadata.name);
    const c = (pod.status.containerStatuses as Json[])[0] ?? {};
    // The runner's report as kubelet read it from /dev/termination-log in the container.
    expect(pod.spec.containers[0].terminationMessagePath).toBe('/dev/termination-log');
    expect(c.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(JSON.parse(c.state.terminated.message)).toMatchObject({ counts: { matched: 15, mismatched: 2, leftOnly: 1, rightOnly: 1 } });
    expect(c.imageID).toBe(digest);
    expect(pod.status.podIP.startsWith(s.node.network.hostIp.replace(/\.1$/, '.'))).toBe(true);

    const download = join(dir, 'download');
    const res = await ok('node', ['bin/kubectl-recon.js', 'results', run.metadata.name, '-n', 'finance', '--download', download], { ...env, ...s.s3.env });
    expect(res).toMatch(/matched/);
    const files = await readdir(download, { recursive: true });
    expect(files.some((f) => String(f).endsWith('summary.json'))).toBe(true);
    const summaryFile = files.find((f) => String(f).endsWith('summary.json'));
    expect(JSON.parse(await readFile(join(download, String(summaryFile)), 'utf8'))).toMatchObject({ counts: { matched: 15 } });
  });

  it('answers on the web page at the pod its Service selects, signing a token in through the API server from the pod', async (ctx) => {
    const { sandbox: s, env } = await world(ctx);
    // What kube-proxy would do (this node has none): the Service's selector and target port
    // to a ready pod's address on the pod bridge, reached from the host.
    const svc = await kubectlJson(env, '-n', 'raas-system', 'get', 'service', 'raas-web');
    const selector = Object.entries(svc.spec.selector as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = ((await kubectlJson(env, '-n', 'raas-system', 'get', 'pods', '-l', selector)).items as Json[]).filter((p) => p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
    expect(pods.length).toBeGreaterThan(0);
    const port = (pods[0]!.spec.containers[0].ports as Json[]).find((p) => p.name === svc.spec.ports[0].targetPort)?.containerPort as number;
    const base = `http://${String(pods[0]!.status.podIP)}:${port}`;
    expect(pods[0]!.status.podIP.startsWith(s.node.network.hostIp.replace(/\.1$/, '.'))).toBe(true);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>raas results<\/title>/);
    const who = await fetch(`${base}/api/v1/whoami`, { headers: { authorization: `Bearer ${s.controlPlane.adminToken}` } });
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ username: 'raas-admin' });
  });

  it('answers through kubectl port-forward to the web and operator Services, as the chart\'s NOTES say', async (ctx) => {
    const { env } = await world(ctx);
    // kubectl port-forward dials the pod's own loopback (containerd enters its network
    // namespace): the containers must listen on all its interfaces, not only the pod IP.
    for (const [service, path, expected] of [['raas-web', '/', /<title>raas results<\/title>/], ['raas', '/healthz', /ok/i]] as const) {
      const forward = spawn(KUBECTL, ['-n', 'raas-system', 'port-forward', `service/${service}`, ':8080'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      forward.stdout.on('data', (c: Buffer) => (text += c.toString()));
      forward.stderr.on('data', (c: Buffer) => (text += c.toString()));
      try {
        const port = await waitFor(`kubectl port-forward service/${service}`, () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(text)?.[1] ?? (forward.exitCode !== null && new Error(text)), 60_000);
        expect(port, text).toMatch(/^\d+$/);
        const res = await fetch(`http://127.0.0.1:${String(port)}${path}`);
        expect(res.status, `${service}${path} through port-forward: ${text}`).toBe(200);
        expect(await res.text()).toMatch(expected);
      } finally {
        forward.kill();
      }
    }
  });

  it('reports a runner pod OOMKilled by a small memory limit as OOMKilled on its ReconRun', async (ctx) => {
    const { sandbox: s, env } = await world(ctx);
    const job = (await readFile(join(repoRoot, 'examples', 'sandbox', 'reconjob.yaml'), 'utf8'))
      .replace('name: orders-vs-settlements', 'name: starved')
      .replace('  runner:\n', '  runner:\n    resources: { limits: { memory: 24Mi }, requests: { memory: 24Mi } }\n');
    await new Promise<void>((resolve, reject) => {
      const p = execFile(KUBECTL, ['apply', '-n', 'finance', '-f', '-'], { env: { ...process.env, ...env } }, (err) => (err ? reject(err) : resolve()));
      p.stdin?.end(job);
    });
    await ok('node', ['bin/kubectl-recon.js', 'backfill', 'starved', '-n', 'finance', '--from', '2024-01-01', '--to', '2024-01-01'], env);
    const run = await waitFor('the starved run to fail', async () => {
      const rr = ((await kubectlJson(env, '-n', 'finance', 'get', 'reconruns')).items as Json[]).find((r) => r.spec?.jobRef?.name === 'starved' || String(r.metadata.name).startsWith('starved'));
      return rr?.status?.phase === 'Failed' || rr?.status?.phase === 'Succeeded' ? rr : undefined;
    }, 300_000);
    expect(run.status, JSON.stringify(run.status)).toMatchObject({ phase: 'Failed', failedStage: 'pod' });
    expect(run.status.conditions).toContainEqual(expect.objectContaining({ type: 'Failed', status: 'True', reason: 'OOMKilled' }));
    expect(run.status.message).toMatch(/OOMKilled \(container memory limit 24Mi\)/);
    // What the memory cgroup did, as kubelet reported it.
    const pod = await runPod(s, env, run.metadata.name);
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });

  it('finishes a run after the leading operator pod is killed: the other replica takes the Lease', async (ctx) => {
    const { env, dir } = await world(ctx);
    const lease = await kubectlJson(env, '-n', 'raas-system', 'get', 'lease', 'raas-leader');
    const leader = String(lease.spec.holderIdentity);
    const operators = ((await kubectlJson(env, '-n', 'raas-system', 'get', 'pods', '-l', 'app.kubernetes.io/component=operator')).items as Json[]).map((p) => String(p.metadata.name));
    expect(operators).toContain(leader);
    // What the run must report, from the same data compared locally.
    const local = JSON.parse(await ok('node', ['bin/raas.js', 'run', '-q', '--json', '-f', 'examples/quickstart/reconjob.yaml', '--date', '2024-01-02', '--out', join(dir, 'local')])) as Json;
    await ok('node', ['bin/kubectl-recon.js', 'backfill', 'orders-vs-settlements', '-n', 'finance', '--from', '2024-01-02', '--to', '2024-01-02'], env);
    // The leader dies at once (no graceful Lease release), while the run is in flight.
    await ok(KUBECTL, ['-n', 'raas-system', 'delete', 'pod', leader, '--grace-period=0', '--force', '--wait=false'], env);
    const next = await waitFor('another replica to take the Lease', async () => {
      const l = await kubectlJson(env, '-n', 'raas-system', 'get', 'lease', 'raas-leader');
      return l.spec.holderIdentity && l.spec.holderIdentity !== leader ? String(l.spec.holderIdentity) : undefined;
    }, 120_000);
    // The other original replica, or the pod the ReplicaSet started in the dead one's place
    // (whichever acquires first once the Lease expires): a live operator pod, never the dead one.
    const live = ((await kubectlJson(env, '-n', 'raas-system', 'get', 'pods', '-l', 'app.kubernetes.io/component=operator')).items as Json[]).map((p) => String(p.metadata.name));
    expect(live).toContain(next);
    expect(next).not.toBe(leader);
    const run = await waitFor('the 2024-01-02 run to finish', async () => {
      const rr = ((await kubectlJson(env, '-n', 'finance', 'get', 'reconruns')).items as Json[]).find((r) => JSON.stringify(r.spec).includes('2024-01-02') && String(r.metadata.name).startsWith('orders-vs-settlements'));
      return rr?.status?.phase === 'Succeeded' || rr?.status?.phase === 'Failed' ? rr : undefined;
    }, 300_000);
    expect(run.status.phase, JSON.stringify(run.status)).toBe('Succeeded');
    expect(run.status.counts).toMatchObject(local.counts as Json);
  });
});
