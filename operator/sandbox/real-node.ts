// A real node for the control plane (control-plane.ts): kubelet with containerd and runc,
// kube-scheduler to bind pods to it, and Debian's CNI plugins giving each pod its own
// network namespace on a private pod range on a bridge this module makes. Used by
// `raas sandbox --node containerd` and the real-node e2e test. Root only.
//
// Networking without kube-proxy or DNS: the pod range is one /24 on a bridge of our own;
// pods take addresses from its lower half, Services from its upper half
// (--service-cluster-ip-range), and the bridge also holds the `kubernetes` Service's
// address, where a forwarder passes port 443 to the API server on 127.0.0.1. So the
// KUBERNETES_SERVICE_HOST kubelet gives every pod is reachable, and the API server's own
// certificate (which names that address) verifies. Nothing is routed off the bridge: pods
// get no default route, the host does not forward, and other Service addresses answer
// nothing. Host ports a pod must reach (an S3 server) are forwarded the same way by
// expose(). Every host setting and why: docs/adr/0100-real-node.md.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './binaries.ts';
import { freePort, startProcess as startLogged, type ControlPlane, type Proc } from './control-plane.ts';

const run = promisify(execFile);

/** The Debian packages' paths (scripts/install-node.sh). */
const CNI_BIN_DIR = '/usr/lib/cni';
const READY_TIMEOUT_MS = 120_000;
/** The pause image scripts/install-node.sh makes from the local base (no registry). */
export const DEFAULT_SANDBOX_IMAGE = 'localhost/raas-pause:trixie';

export interface NodeBinaries {
  kubelet: string;
  kubeScheduler: string;
  containerd: string;
  ctr: string;
  runc: string;
  podman: string;
}

export class NodeUnavailableError extends Error {}

function which(name: string, dirs: string[]): string | undefined {
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** What the real node needs on this host, or an error naming what is missing and how to get it. */
export function findNodeBinaries(env: NodeJS.ProcessEnv = process.env): NodeBinaries {
  const kubeDirs = [env.KUBEBUILDER_ASSETS, join(REPO_ROOT, '.tools', 'bin')].filter((d): d is string => !!d);
  const sysDirs = (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin']);
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('it runs as root (containerd, kubelet, network namespaces)');
  const kubelet = which('kubelet', kubeDirs);
  const kubeScheduler = which('kube-scheduler', kubeDirs);
  if (!kubelet || !kubeScheduler) problems.push(`kubelet and kube-scheduler in ${kubeDirs.join(' or ')} (scripts/install-kube.sh)`);
  const containerd = which('containerd', sysDirs);
  const ctr = which('ctr', sysDirs);
  const runc = which('runc', sysDirs);
  const podman = which('podman', sysDirs);
  if (!containerd || !ctr || !runc || !podman || !existsSync(join(CNI_BIN_DIR, 'bridge'))) {
    problems.push('containerd, runc, podman and the CNI plugins (scripts/install-node.sh)');
  }
  if (problems.length || !kubelet || !kubeScheduler || !containerd || !ctr || !runc || !podman) {
    throw new NodeUnavailableError(`the real node needs ${problems.join('; ')}`);
  }
  return { kubelet, kubeScheduler, containerd, ctr, runc, podman };
}

export interface PodNetwork {
  bridge: string;
  /** e.g. 10.213.7.0/24 */
  subnet: string;
  /** The bridge's address: the host as pods see it. */
  hostIp: string;
  /** The `kubernetes` Service's ClusterIP, also on the bridge. */
  apiServiceIp: string;
  /** Flags the control plane must start with (its Service range inside the pod range). */
  apiServerFlags: string[];
  /**
   * Controllers the control plane must run for a node: node-lifecycle-controller takes the
   * not-ready taint kubelet registers with off once the node is Ready (no pod is scheduled before).
   */
  extraControllers: string[];
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args)).stdout;
}

/**
 * A bridge with a private /24 no interface of this host uses yet: .1 is the host, pods get
 * .10-.126, Services .128/25 (.129 is the `kubernetes` Service, also held by the bridge).
 */
export async function createPodNetwork(): Promise<PodNetwork> {
  const used = await ip('-o', '-4', 'addr', 'show');
  const routes = await ip('-o', '-4', 'route', 'show', 'table', 'all');
  const links = await ip('-o', 'link', 'show');
  for (let attempt = 0; attempt < 64; attempt++) {
    const n = 1 + Math.floor(Math.random() * 254);
    const prefix = `10.213.${n}`;
    const bridge = `raasbr${n}`;
    if (used.includes(` ${prefix}.`) || routes.includes(`${prefix}.`) || links.includes(` ${bridge}:`)) continue;
    try {
      await ip('link', 'add', 'name', bridge, 'type', 'bridge');
    } catch {
      continue; // another node took this one between the listing and now
    }
    try {
      await ip('addr', 'add', `${prefix}.1/24`, 'dev', bridge);
      await ip('addr', 'add', `${prefix}.129/24`, 'dev', bridge);
      await ip('link', 'set', bridge, 'up');
    } catch (err) {
      await ip('link', 'delete', bridge).catch(() => undefined);
      throw err;
    }
    return {
      bridge,
      subnet: `${prefix}.0/24`,
      hostIp: `${prefix}.1`,
      apiServiceIp: `${prefix}.129`,
      // The API server reaches kubelet (logs, exec, port-forward) at its bridge address, never
      // by looking the node's name up in DNS.
      apiServerFlags: [`--service-cluster-ip-range=${prefix}.128/25`, '--kubelet-preferred-address-types=InternalIP'],
      extraControllers: ['node-lifecycle-controller'],
      async remove() {
        await ip('link', 'delete', bridge).catch(() => undefined);
      },
    };
  }
  throw new NodeUnavailableError('no free 10.213.N.0/24 pod range for the real node');
}

/** ${RAAS_TOOLS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/raas}/node, as scripts/install-node.sh. */
function nodeCacheDir(): string {
  return join(process.env.RAAS_TOOLS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'raas'), 'node');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A containerd root (content store, unpacked images) under the cache that no live node uses,
 * kept across nodes. Unpacking the image writes some 50,000 files and removing them takes
 * as long, so a node that made a fresh root in a temporary folder spent most of its start
 * importing and most of its stop deleting. A real node keeps its images too. Each root
 * is claimed with a lock file holding the owner's pid; a lock whose owner is gone is taken over.
 */
async function claimContainerdRoot(): Promise<{ root: string; release(): Promise<void> }> {
  const base = join(nodeCacheDir(), 'containerd');
  await mkdir(base, { recursive: true });
  for (let n = 0; n < 32; n++) {
    const lock = join(base, `${n}.lock`);
    const take = async () => writeFile(lock, `${process.pid}\n`, { flag: 'wx' }).then(() => true, () => false);
    let taken = await take();
    if (!taken) {
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) continue;
      await rm(lock, { force: true });
      taken = await take();
    }
    if (taken) return { root: join(base, String(n)), release: () => rm(lock, { force: true }) };
  }
  throw new NodeUnavailableError(`all 32 containerd roots under ${base} are in use by live nodes`);
}

/** A node component, started like the control plane's, with the system folders on PATH (containerd, runc and iptables live in sbin). */
function startProcess(name: string, exe: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): Proc {
  return startLogged(name, exe, args, logFile, { PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}`, ...env });
}

async function stopProcess(p: Proc | undefined, graceMs = 5_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

async function waitUntil(what: string, probe: () => Promise<boolean>, proc: Proc[], timeoutMs: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = proc.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new Error(`${what}: ${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode})${logFile ? `\n${await tail(logFile, 30)}` : ''}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${logFile ? `\n${await tail(logFile, 30)}` : ''}`);
}

/**
 * A TCP forwarder from listenHost:listenPort to 127.0.0.1:targetPort. close() also ends the
 * connections in flight: a server's own close waits for them, and a pod's keep-alive
 * connection to the S3 server would hold it (and the S3 server's shutdown) open.
 */
async function forward(listenHost: string, listenPort: number, targetPort: number): Promise<{ close(): void; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    sockets.add(inbound).add(outbound);
    const done = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', done).on('close', done);
    outbound.on('error', done).on('close', done);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => resolve());
  });
  const addr = server.address();
  return {
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    port: typeof addr === 'object' && addr ? addr.port : listenPort,
  };
}

export interface RealNodeOptions {
  controlPlane: ControlPlane;
  network: PodNetwork;
  /** Images in podman's storage to import into containerd (e.g. localhost/raas:0.1.0). */
  images: string[];
  sandboxImage?: string;
  binaries?: NodeBinaries;
  nodeName?: string;
  /** Keep the working directory (logs) after stop(). */
  keepDir?: boolean;
}

export interface RealNode {
  nodeName: string;
  network: PodNetwork;
  dir: string;
  /** Makes a service on 127.0.0.1:port reachable from pods; returns the URL host:port pods use. */
  expose(port: number): Promise<string>;
  /** `ctr -n k8s.io ...` against this node's containerd. */
  ctr(...args: string[]): Promise<string>;
  logTail(component: 'containerd' | 'kubelet' | 'kube-scheduler', lines?: number): Promise<string>;
  stop(): Promise<void>;
}

function containerdConfig(dir: string, root: string, sandboxImage: string, runc: string): string {
  return `version = 2
root = ${JSON.stringify(root)}
state = ${JSON.stringify(join(dir, 'containerd', 'state'))}

[grpc]
  address = ${JSON.stringify(join(dir, 'containerd.sock'))}

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(join(dir, 'containerd', 'opt'))}

[plugins."io.containerd.grpc.v1.cri"]
  # No registry: the pod sandbox ("pause") image is a local image whose command blocks.
  sandbox_image = ${JSON.stringify(sandboxImage)}
  # Lowering a container's oom_score_adj below containerd's own needs CAP_SYS_RESOURCE.
  restrict_oom_score_adj = true
  # The streaming server (exec, logs, port-forward) on loopback, on a free port.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = ${JSON.stringify(runc)}
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${JSON.stringify(CNI_BIN_DIR)}
    conf_dir = ${JSON.stringify(join(dir, 'cni'))}
    max_conf_num = 1
`;
}

function cniConfig(dir: string, network: PodNetwork): string {
  const prefix = network.hostIp.replace(/\.1$/, '');
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'raas-pods',
      plugins: [
        {
          type: 'bridge',
          bridge: network.bridge,
          // The bridge already holds the host's addresses; the plugin neither sets a gateway
          // nor a default route nor masquerading, so nothing from a pod leaves the bridge.
          isGateway: false,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: join(dir, 'cni-ipam'),
            ranges: [[{ subnet: network.subnet, rangeStart: `${prefix}.10`, rangeEnd: `${prefix}.126` }]],
            routes: [],
          },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}

function kubeletConfig(o: { network: PodNetwork; port: number; healthzPort: number; dir: string; socket: string }): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://${o.socket}
address: ${o.network.hostIp}
port: ${o.port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${o.healthzPort}
# The API server reaches this kubelet only for logs, exec and port-forward, on the pod bridge.
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
# Host settings (docs/adr/0100-real-node.md): cgroup v1 controllers, no systemd cgroups, no
# per-QoS cgroup tree and no node-allocatable enforcement, swap tolerated.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
# No cluster DNS: pods resolve nothing (a resolv.conf that points at their own loopback).
resolvConf: ${join(o.dir, 'resolv.conf')}
clusterDomain: cluster.local
# Never evict or garbage-collect images on a developer's disk; the images are imported, not pulled.
evictionHard:
  nodefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.available: "0%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
`;
}

export async function startRealNode(o: RealNodeOptions): Promise<RealNode> {
  const bins = o.binaries ?? findNodeBinaries();
  const cp = o.controlPlane;
  const network = o.network;
  const nodeName = o.nodeName ?? `raas-node-${network.bridge.replace(/^raasbr/, '')}`;
  const sandboxImage = o.sandboxImage ?? DEFAULT_SANDBOX_IMAGE;
  const dir = await mkdtemp(join(tmpdir(), 'raas-node-'));
  const socket = join(dir, 'containerd.sock');
  const procs: Record<string, Proc | undefined> = {};
  const forwarders: Array<{ close(): void }> = [];
  let claim: { root: string; release(): Promise<void> } | undefined;
  const logOf = (name: string) => join(dir, `${name}.log`);
  const ctr = async (...args: string[]) => (await run(bins.ctr, ['--address', socket, '--namespace', 'k8s.io', ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;

  const stopAll = async () => {
    for (const f of forwarders) f.close();
    await stopProcess(procs['kube-scheduler']);
    // Pods are stopped by kubelet, which tears their sandboxes and network namespaces down
    // through CNI; deleting them from the API is how it is told to. With one second of grace,
    // not none: a pod deleted with none is gone from the API at once, and kubelet then stops
    // its containers with the grace period of the pod's spec (the chart's operator: 30 s).
    if (procs.kubelet && procs.kubelet.child.exitCode === null) {
      const pods = await cp.request<{ items?: Array<{ metadata: { name: string; namespace: string } }> }>('GET', `/api/v1/pods?fieldSelector=spec.nodeName=${nodeName}`).catch(() => undefined);
      await Promise.all(
        (pods?.body.items ?? []).map((p) => cp.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { gracePeriodSeconds: 1 }).catch(() => undefined)),
      );
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const tasks = await ctr('tasks', 'list', '-q').catch(() => '');
        if (!tasks.trim()) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await stopProcess(procs.kubelet);
    // Whatever kubelet left: kill the tasks so no shim or container outlives the node.
    if (procs.containerd && procs.containerd.child.exitCode === null) {
      for (const id of (await ctr('tasks', 'list', '-q').catch(() => '')).split('\n').filter(Boolean)) {
        await ctr('tasks', 'kill', '--signal', 'SIGKILL', id).catch(() => undefined);
        await ctr('tasks', 'delete', '--force', id).catch(() => undefined);
      }
      // The root is kept for the next node: its containers (and their writable layers) go,
      // the images stay.
      for (const id of (await ctr('containers', 'list', '-q').catch(() => '')).split('\n').filter(Boolean)) {
        await ctr('containers', 'delete', id).catch(() => undefined);
      }
    }
    await stopProcess(procs.containerd);
    // Mounts left below the folder (rootfs, secret tmpfs) are taken down before removing it.
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''))
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && (m.startsWith(`${dir}/`) || (!!claim && m.startsWith(`${claim.root}/`))))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
    await claim?.release();
    claim = undefined;
  };

  try {
    await mkdir(join(dir, 'cni'), { recursive: true });
    await writeFile(join(dir, 'cni', '10-raas.conflist'), cniConfig(dir, network));
    claim = await claimContainerdRoot();
    await writeFile(join(dir, 'containerd.toml'), containerdConfig(dir, claim.root, sandboxImage, bins.runc));
    // Pods get a resolver that answers nothing rather than the host's: no DNS query leaves.
    await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');

    procs.containerd = startProcess('containerd', bins.containerd, ['--config', join(dir, 'containerd.toml'), '--log-level', 'warn'], logOf('containerd'));
    await waitUntil('containerd', async () => existsSync(socket) && (await ctr('version')).includes('Server'), [procs.containerd], 30_000, logOf('containerd'));

    await importImages(bins, ctr, [sandboxImage, ...o.images]);

    // The `kubernetes` Service's address on the bridge, forwarded to the API server.
    forwarders.push(await forward(network.apiServiceIp, 443, cp.port));

    const kubeconfig = join(dir, 'kubelet.kubeconfig');
    await writeFile(kubeconfig, cp.kubeconfigYaml(), { mode: 0o600 });
    const [port, healthzPort, schedulerPort] = [await freePort(), await freePort(), await freePort()];
    await writeFile(join(dir, 'kubelet.yaml'), kubeletConfig({ network, port, healthzPort, dir, socket }));
    procs.kubelet = startProcess('kubelet', bins.kubelet, [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${nodeName}`,
      `--node-ip=${network.hostIp}`,
      '--v=1',
    ], logOf('kubelet'));

    procs['kube-scheduler'] = startProcess('kube-scheduler', bins.kubeScheduler, [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      `--cert-dir=${join(dir, 'scheduler-pki')}`,
    ], logOf('kube-scheduler'));

    await waitUntil(`node ${nodeName} Ready`, async () => {
      const r = await cp.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', `/api/v1/nodes/${nodeName}`);
      return r.status === 200 && !!r.body.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, [procs.containerd, procs.kubelet, procs['kube-scheduler']], READY_TIMEOUT_MS, logOf('kubelet'));

    return {
      nodeName,
      network,
      dir,
      async expose(targetPort) {
        const f = await forward(network.hostIp, 0, targetPort);
        forwarders.push(f);
        return `${network.hostIp}:${f.port}`;
      },
      ctr,
      logTail: (component, lines = 40) => tail(logOf(component), lines),
      async stop() {
        await stopAll();
        if (!o.keepDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      },
    };
  } catch (err) {
    await stopAll();
    if (!o.keepDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * podman save | ctr import, through one archive for all images (they share the base layer).
 * The archive is kept under ~/.cache/raas/node/images by the images' ids, so the next node
 * with the same images imports without saving again; older archives are removed.
 */
async function importImages(bins: NodeBinaries, ctr: (...args: string[]) => Promise<string>, images: string[]): Promise<void> {
  const podman = [bins.podman, '--runtime', bins.runc, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  let ids: string;
  try {
    ids = (await run(podman[0]!, [...podman.slice(1), 'image', 'inspect', '--format', '{{.Id}}', ...images])).stdout;
  } catch (err) {
    throw new NodeUnavailableError(`images ${images.join(', ')} are not all in podman's storage (scripts/install-node.sh, scripts/build-image.sh): ${(err as Error).message.split('\n').slice(-2).join(' ')}`);
  }
  const key = createHash('sha256').update(images.join('\0')).update(ids).digest('hex').slice(0, 16);
  const cacheDir = join(nodeCacheDir(), 'images');
  const archive = join(cacheDir, `${key}.tar`);
  if (!existsSync(archive)) {
    await mkdir(cacheDir, { recursive: true });
    for (const old of await readdir(cacheDir)) if (old.endsWith('.tar')) await rm(join(cacheDir, old), { force: true });
    const tmp = `${archive}.${process.pid}.tmp`;
    await run(podman[0]!, [...podman.slice(1), 'save', '--multi-image-archive', '--format', 'docker-archive', '-o', tmp, ...images], { maxBuffer: 16 * 1024 * 1024 });
    await rename(tmp, archive);
  }
  await ctr('images', 'import', archive);
  // The root is kept across nodes: images no longer wanted (an earlier build) are removed,
  // and containerd's garbage collector then removes their layers.
  const listing = (await ctr('images', 'list')).split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 2);
  const wanted = new Set(listing.filter(([ref]) => images.some((i) => ref === i || ref === `docker.io/library/${i}`)).map((f) => f[2]));
  const stale = listing.filter((f) => !wanted.has(f[2])).map(([ref]) => ref!);
  // Only when every wanted image was found by its name: never remove what is about to run.
  if (stale.length && wanted.size > 0 && images.every((i) => listing.some(([ref]) => ref === i || ref === `docker.io/library/${i}`))) await ctr('images', 'remove', ...stale);
}
