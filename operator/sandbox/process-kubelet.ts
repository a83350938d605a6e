// The process kubelet: plays one node of the real control plane (control-plane.ts) when
// there is no container runtime. It registers a Node, binds pending pods to it (there is
// no scheduler), runs each pod's first container as a local process with the image's
// /app being this checkout, and reports pod status as kubelet does (phase, conditions,
// containerStatuses[].state with exitCode, reason and the termination message).
//
// What it resolves: env (value, $(VAR) expansion, valueFrom fieldRef / secretKeyRef /
// configMapKeyRef), envFrom (with prefix), emptyDir / secret / configMap / projected
// volumes, the termination-message file (FallbackToLogsOnError too), pod
// activeDeadlineSeconds, restartPolicy Always (with backoff), httpGet readiness probes,
// graceful deletion, and for pods that mount a service-account token the projected
// token, ca.crt and namespace plus KUBERNETES_SERVICE_HOST/PORT.
//
// How paths work: a process cannot have its own filesystem here, so container paths are
// mapped to host paths in env values, args and the working directory (/app -> the
// checkout, each volumeMount -> its volume folder, the termination-message path -> a file
// of the pod, TMPDIR -> the /tmp mount). The one fixed path a client library reads
// itself, /var/run/secrets/kubernetes.io/serviceaccount, is bind-mounted in a private
// mount namespace (unshare; root only) — a pod that needs it elsewhere fails with a
// clear message. Not enforced: securityContext (user, read-only root), resource limits,
// image names (every image runs this checkout). Each pod gets its own loopback address
// (127.0.0.N) as its pod IP, and RAAS_HTTP_HOST set to it: raas listens there instead of
// on all interfaces, which here would be the host's.
//
// Layout: the decisions are pure and typed in pod/ (env.ts: the environment and command
// line; volumes.ts: what each volume holds; paths.ts: container-to-host paths; status.ts:
// pod status from a process's life), each with table tests. This file is the shell: the
// watch, the API calls and the processes. It survives the API server going away: every
// background task catches and logs its error, a status write is retried with backoff
// until it lands (a finished run is never left looking Running), and a pod whose sync
// failed is synced again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { V1Container, V1ContainerPort, V1Pod, V1Probe } from '@kubernetes/client-node';
import { REPO_ROOT } from './binaries.ts';
import { kubeRequest } from './control-plane.ts';
import { PodConfigError, type PodObjects } from './pod/config-error.ts';
import { commandLine, podEnv, referencedObjects } from './pod/env.ts';
import { pathMapper } from './pod/paths.ts';
import {
  configErrorStatus,
  crashLoopStatus,
  exitedStatus,
  podConditions,
  restartDelayMs,
  runningStatus,
  terminatedState,
  terminationMessage,
  timestamp,
  type PodStatusPatch,
  type RunContext,
} from './pod/status.ts';
import { mountPlan, SERVICE_ACCOUNT_DIR, type MountPlan } from './pod/volumes.ts';
import { listWatch, type ApiEndpoint, type ListWatch } from './watch-stream.ts';

type Json = Record<string, unknown>;

export { SERVICE_ACCOUNT_DIR };
/** What the raas image sets (Dockerfile): entrypoint, working directory, env. */
const IMAGE = { entrypoint: ['node', '/app/bin/raas.js'], cmd: ['--help'], workingDir: '/app', env: { NODE_ENV: 'production', TMPDIR: '/tmp' } };

export interface ProcessKubeletOptions {
  api: ApiEndpoint;
  nodeName?: string;
  /** Env added to every container (e.g. AWS_* for a test S3 server). */
  extraEnv?: Record<string, string>;
  /** Called with each finished container's output (debugging failed tests). */
  onExit?: (pod: string, code: number | null, output: string) => void;
  /** Don't start new pods until resume(). */
  paused?: boolean;
  log?: (msg: string, fields?: Json) => void;
  /** Longest wait between two attempts of a failed status write. Default 5 s. */
  retryMaxMs?: number;
}

interface RunningPod {
  uid: string;
  key: string;
  child?: ChildProcess;
  dir?: string;
  stopping: boolean;
  done: Promise<void>;
  deadlineTimer?: NodeJS.Timeout;
  probeTimer?: NodeJS.Timeout;
}

const keyOf = (pod: V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const now = () => timestamp(new Date());
const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ProcessKubelet {
  readonly nodeName: string;
  private watch: ListWatch | undefined;
  private readonly pods = new Map<string, RunningPod>();
  private readonly finished = new Set<string>();
  private readonly binding = new Set<string>();
  /** Pods to sync again on the retry tick: paused, waiting for a Secret, or after a failed sync. */
  private readonly waiting = new Map<string, V1Pod>();
  private paused: boolean;
  private stopped = false;
  private nextIp = 2;
  private readonly ips = new Map<string, string>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ProcessKubeletOptions) {
    this.nodeName = o.nodeName ?? 'raas-node';
    this.paused = o.paused ?? false;
  }

  private req<T = Json>(method: string, path: string, body?: unknown, contentType?: string) {
    return kubeRequest<T>(this.o.api, this.o.api.token, method, path, body, contentType);
  }

  async start(): Promise<void> {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.nodeName, labels: { 'kubernetes.io/hostname': this.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
    };
    const created = await this.req('POST', '/api/v1/nodes', node);
    if (created.status !== 201 && created.status !== 409) throw new Error(`register Node ${this.nodeName}: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
    const t = now();
    const patched = await this.req('PATCH', `/api/v1/nodes/${this.nodeName}/status`, {
      status: {
        capacity: { cpu: '2', memory: '24Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '2', memory: '24Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'process kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: this.nodeName }],
        nodeInfo: { kubeletVersion: 'raas-process-kubelet', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'process://local', kernelVersion: '', osImage: 'raas', kubeProxyVersion: '', machineID: '', systemUUID: '', bootID: '' },
      },
    }, 'application/merge-patch+json');
    if (patched.status !== 200) throw new Error(`Node ${this.nodeName} status: ${patched.status}`);
    this.watch = listWatch<V1Pod & Json>(this.o.api, '/api/v1/pods', (type, pod) => this.onPod(type, pod), (err) => this.o.log?.('pod watch failed; listing again', { error: err.message }));
    // Pods waiting on a missing Secret/ConfigMap, or whose sync failed, are retried, as kubelet does.
    this.retryTimer = setInterval(() => {
      for (const pod of [...this.waiting.values()]) this.syncSafely(pod);
    }, 2_000);
    this.retryTimer.unref();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const pod of [...this.waiting.values()]) this.syncSafely(pod);
  }

  /** Kills every process (as a node that dies would) and stops watching. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    if (this.retryTimer) clearInterval(this.retryTimer);
    for (const p of this.pods.values()) {
      p.stopping = true;
      p.child?.kill('SIGKILL');
    }
    await Promise.allSettled([...this.pods.values()].map((p) => p.done));
  }

  /** Kills one pod's process as if its container crashed (SIGKILL); status follows. */
  kill(namespace: string, name: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    const p = this.pods.get(`${namespace}/${name}`);
    if (!p?.child) return false;
    p.child.kill(signal);
    return true;
  }

  /** Resolves when no pod process is running. */
  async idle(): Promise<void> {
    while (this.pods.size) await Promise.allSettled([...this.pods.values()].map((p) => p.done));
  }

  private onPod(type: string, pod: V1Pod): void {
    if (this.stopped) return;
    const key = keyOf(pod);
    if (type === 'DELETED') {
      this.waiting.delete(key);
      const p = this.pods.get(key);
      if (p && p.uid === pod.metadata?.uid) this.kill(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
      return;
    }
    this.syncSafely(pod);
  }

  /** A sync in the background: its failure is logged and the pod synced again on the retry tick, never thrown. */
  private syncSafely(pod: V1Pod): void {
    this.sync(pod).catch((err: unknown) => {
      this.o.log?.('pod sync failed; retrying', { pod: keyOf(pod), error: errMessage(err) });
      if (!this.stopped && !this.waiting.has(keyOf(pod))) this.waiting.set(keyOf(pod), pod);
    });
  }

  private async sync(pod: V1Pod): Promise<void> {
    if (this.stopped) return;
    const md = pod.metadata ?? {};
    const spec = pod.spec;
    const ns = md.namespace ?? '';
    const name = md.name ?? '';
    const key = `${ns}/${name}`;
    const uid = md.uid ?? '';
    const running = this.pods.get(key);
    if (md.deletionTimestamp) {
      this.waiting.delete(key);
      if (running && running.uid === uid) {
        if (!running.stopping) {
          running.stopping = true;
          running.child?.kill('SIGTERM');
          const grace = spec?.terminationGracePeriodSeconds ?? 30;
          setTimeout(() => running.child?.kill('SIGKILL'), Math.min(grace, 30) * 1000).unref();
        }
        await running.done;
      }
      if (spec?.nodeName === this.nodeName || !spec?.nodeName) {
        // The final delete, as kubelet sends once the containers are gone.
        const res = await this.req('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } });
        if (res.status >= 500) throw new Error(`delete pod ${key}: ${res.status}`);
      }
      return;
    }
    if (!spec?.nodeName) {
      if (this.binding.has(uid)) return;
      this.binding.add(uid);
      try {
        const res = await this.req('POST', `/api/v1/namespaces/${ns}/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns, uid }, target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName } });
        if (res.status >= 500) throw new Error(`bind pod ${key}: ${res.status}`);
      } finally {
        // Bound or refused, the next event for the pod says which; a failed call is retried.
        this.binding.delete(uid);
      }
      return;
    }
    if (spec.nodeName !== this.nodeName) return;
    const phase = pod.status?.phase;
    if (running?.uid === uid || this.finished.has(uid) || phase === 'Succeeded' || phase === 'Failed') return;
    if (this.paused) {
      this.waiting.set(key, pod);
      return;
    }
    this.waiting.delete(key);
    await this.startPod(pod);
  }

  private podIp(uid: string): string {
    let ip = this.ips.get(uid);
    if (!ip) {
      const n = this.nextIp++;
      ip = `127.0.${Math.floor(n / 254) % 254}.${(n % 254) + 1}`;
      this.ips.set(uid, ip);
    }
    return ip;
  }

  private async startPod(pod: V1Pod): Promise<void> {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const key = `${ns}/${name}`;
    const container = pod.spec?.containers?.[0];
    if (!container) return;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    // Registered before the first await, so a second sync of the same pod sees it running.
    const entry: RunningPod = { uid, key, stopping: false, done };
    this.pods.set(key, entry);
    const ctx: RunContext = { container: { name: container.name, image: container.image ?? '' }, uid, podIP: this.podIp(uid), startedAt: now() };
    try {
      const dir = await mkdtemp(join(tmpdir(), 'raas-pod-'));
      entry.dir = dir;
      let prepared: Prepared;
      try {
        prepared = await this.prepare(pod, container, dir, ctx.podIP);
      } catch (err) {
        if (!(err instanceof PodConfigError)) throw err;
        // As kubelet: the pod stays Pending with the reason; retried until the object exists.
        await this.patchStatus(ns, name, configErrorStatus(ctx, err.message));
        this.waiting.set(key, pod);
        return;
      }
      const restartAlways = (pod.spec?.restartPolicy ?? 'Always') === 'Always';
      const deadline = pod.spec?.activeDeadlineSeconds ?? 0;
      let deadlineExceeded = false;
      if (deadline > 0) {
        entry.deadlineTimer = setTimeout(() => {
          deadlineExceeded = true;
          entry.stopping = true;
          entry.child?.kill('SIGKILL');
        }, deadline * 1000);
        entry.deadlineTimer.unref();
      }
      let restartCount = 0;
      for (;;) {
        const since = now();
        // Without a readiness probe a started container is ready.
        await this.patchStatus(ns, name, runningStatus(ctx, since, !prepared.probe?.httpGet, restartCount, now()));
        const result = await this.exec(entry, prepared, key);
        const finishedAt = now();
        if (entry.probeTimer) clearInterval(entry.probeTimer);
        const written = await readFile(prepared.terminationLog).catch(() => Buffer.alloc(0));
        const message = terminationMessage(written, container.terminationMessagePolicy, result.code, result.output);
        const terminated = terminatedState(ctx, { code: result.code, deadlineExceeded, message, since, finishedAt });
        this.o.onExit?.(key, result.code, result.output);
        if (this.stopped) break;
        if (restartAlways && !entry.stopping && !deadlineExceeded) {
          restartCount++;
          await this.patchStatus(ns, name, crashLoopStatus(ctx, terminated, restartCount, now()));
          await new Promise((r) => setTimeout(r, restartDelayMs(restartCount)));
          if (entry.stopping || this.stopped) break;
          continue;
        }
        await this.patchStatus(ns, name, exitedStatus(ctx, terminated, { restartAlways, deadlineExceeded, restartCount, now: now() }));
        break;
      }
      this.finished.add(uid);
    } finally {
      if (entry.deadlineTimer) clearTimeout(entry.deadlineTimer);
      if (entry.probeTimer) clearInterval(entry.probeTimer);
      this.pods.delete(key);
      if (entry.dir) await rm(entry.dir, { recursive: true, force: true }).catch(() => undefined);
      resolveDone();
    }
  }

  /**
   * Writes pod status, retrying with backoff while the API server is away or failing
   * (connection errors, 429, 5xx) until it lands, the pod is gone (404) or the node stops:
   * a run's end must reach the API, or its ReconRun would wait for ever.
   */
  private async patchStatus(ns: string, name: string, status: PodStatusPatch): Promise<void> {
    let delay = 200;
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const res = await this.req('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, { status }, 'application/merge-patch+json');
        if (res.status === 200 || res.status === 404) return;
        problem = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        // Anything but "try again later" is a bug in what we sent: retrying would not help.
        if (res.status !== 429 && res.status < 500) {
          this.o.log?.('pod status update refused', { pod: `${ns}/${name}`, error: problem });
          return;
        }
      } catch (err) {
        problem = errMessage(err);
      }
      if (this.stopped) return;
      this.o.log?.('pod status update failed; retrying', { pod: `${ns}/${name}`, attempt, error: problem });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, this.o.retryMaxMs ?? 5_000);
    }
  }

  // ---- preparing a container

  private async fetchObjects(ns: string, pod: V1Pod, container: V1Container): Promise<PodObjects> {
    const refs = referencedObjects(pod, container);
    const get = async (kind: 'secrets' | 'configmaps', name: string): Promise<[string, Record<string, string> | undefined]> => {
      const res = await this.req<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/${kind}/${name}`);
      if (res.status === 404) return [name, undefined];
      if (res.status !== 200) throw new Error(`read ${kind} ${ns}/${name}: ${res.status}`);
      const data = res.body?.data ?? {};
      return [name, kind === 'secrets' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : data];
    };
    const secrets = new Map(await Promise.all(refs.secrets.map((n) => get('secrets', n))));
    const configMaps = new Map(await Promise.all(refs.configMaps.map((n) => get('configmaps', n))));
    return { secret: (n) => secrets.get(n), configMap: (n) => configMaps.get(n) };
  }

  private async prepare(pod: V1Pod, container: V1Container, dir: string, podIP: string): Promise<Prepared> {
    const ns = pod.metadata?.namespace ?? '';
    const objects = await this.fetchObjects(ns, pod, container);
    const plan = mountPlan(pod, container, join(dir, 'volumes'), objects);
    await this.materialise(plan, pod);
    const terminationLog = join(dir, 'termination-log');
    await writeFile(terminationLog, '');
    const tmpMount = plan.mounts.find((x) => x.containerPath === '/tmp');
    const scratchTmp = join(dir, 'tmp');
    await mkdir(scratchTmp, { recursive: true });
    const mapPath = pathMapper([
      ...plan.mounts,
      { containerPath: container.terminationMessagePath ?? '/dev/termination-log', hostPath: terminationLog },
      { containerPath: '/tmp', hostPath: tmpMount?.hostPath ?? scratchTmp },
      { containerPath: '/app', hostPath: REPO_ROOT.replace(/\/$/, '') },
    ]);
    const env = podEnv({
      pod,
      container,
      nodeName: this.nodeName,
      podIP,
      ...(plan.serviceAccountHostDir ? { api: { host: this.o.api.host, port: this.o.api.port } } : {}),
      // Pods here share the host's network, so each is told to listen on its own loopback
      // address, where a real pod listens on all interfaces of its own network namespace
      // (docs/adr/0150-pods-listen-on-all-interfaces.md). What the pod sets wins.
      base: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: pod.metadata?.name ?? '', ...IMAGE.env, RAAS_HTTP_HOST: podIP },
      ...(this.o.extraEnv ? { extraEnv: this.o.extraEnv } : {}),
      objects,
      mapPath,
    });
    const argv = commandLine(container, IMAGE, env, mapPath);
    const exe = argv[0] === 'node' ? process.execPath : argv[0]!;
    return {
      dir,
      exe,
      args: argv.slice(1),
      env,
      cwd: mapPath(container.workingDir ?? IMAGE.workingDir),
      terminationLog,
      ...(plan.serviceAccountHostDir ? { serviceAccountHostDir: plan.serviceAccountHostDir } : {}),
      ...(container.readinessProbe ? { probe: container.readinessProbe } : {}),
      ports: container.ports ?? [],
      podIP,
    };
  }

  /** Writes what the mount plan says; the service-account token comes from a TokenRequest. */
  private async materialise(plan: MountPlan, pod: V1Pod): Promise<void> {
    const ns = pod.metadata?.namespace ?? '';
    for (const vol of plan.volumes) {
      await mkdir(vol.hostPath, { recursive: true });
      for (const f of vol.files) {
        await mkdir(dirname(join(vol.hostPath, f.path)), { recursive: true });
        await writeFile(join(vol.hostPath, f.path), f.content);
      }
      for (const t of vol.tokens) {
        const res = await this.req<{ status?: { token?: string }; message?: string }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${t.serviceAccount}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: t.expirationSeconds, ...(t.audience ? { audiences: [t.audience] } : {}), boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } },
        });
        const token = res.body?.status?.token;
        if (res.status >= 500) throw new Error(`service account token for ${ns}/${t.serviceAccount}: ${res.status}`);
        if (!token) throw new PodConfigError(`service account token for ${ns}/${t.serviceAccount}: ${res.status} ${res.body?.message ?? ''}`);
        await writeFile(join(vol.hostPath, t.path), token);
      }
    }
  }

  // ---- running

  private exec(entry: RunningPod, p: Prepared, key: string): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      let exe = p.exe;
      let args = p.args;
      if (p.serviceAccountHostDir) {
        // A private mount namespace puts the token where client libraries look for it. In the
        // script $0 is the mount point and $1 the folder; after one shift "$@" is the command.
        args = ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mkdir -p "$0" 2>/dev/null; mount --bind "$1" "$0" && shift 1 && exec "$@"', SERVICE_ACCOUNT_DIR, p.serviceAccountHostDir, exe, ...args];
        exe = 'unshare';
      }
      const logFile = join(p.dir, 'container.log');
      const log = createWriteStream(logFile);
      let output = '';
      const child = spawn(exe, args, { cwd: p.cwd, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
      entry.child = child;
      const onData = (d: Buffer) => {
        log.write(d);
        output += d.toString();
        if (output.length > 1_000_000) output = output.slice(-500_000);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      if (p.probe?.httpGet) this.startProbe(entry, p, key);
      child.on('close', (code, signal) => {
        log.end();
        entry.child = undefined;
        resolve({ code: code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : null), output });
      });
      child.on('error', (err) => {
        output += `\n${err.message}`;
      });
    });
  }

  private startProbe(entry: RunningPod, p: Prepared, key: string): void {
    const get = p.probe!.httpGet!;
    const portRef: unknown = get.port;
    const port = typeof portRef === 'number' ? portRef : Number(p.ports.find((x) => x.name === portRef)?.containerPort ?? portRef);
    const period = (p.probe!.periodSeconds ?? 10) * 1000;
    let ready = false;
    const check = () => {
      const req = httpRequest({ host: p.podIP, port, path: get.path ?? '/', timeout: 2000 }, (res) => {
        res.resume();
        const ok = (res.statusCode ?? 500) < 400;
        if (ok !== ready) {
          ready = ok;
          this.setReadySafely(key, ok);
        }
      });
      req.on('error', () => {
        if (ready) {
          ready = false;
          this.setReadySafely(key, false);
        }
      });
      req.on('timeout', () => req.destroy());
      req.end();
    };
    // Probe quickly until ready (tests wait on rollouts), then at the declared period.
    let fast = setInterval(() => {
      check();
      if (ready) {
        clearInterval(fast);
        entry.probeTimer = setInterval(check, Math.max(period, 1000));
        entry.probeTimer.unref();
      }
    }, 250);
    fast.unref();
    entry.probeTimer = fast;
    fast = entry.probeTimer;
  }

  private setReadySafely(key: string, ready: boolean): void {
    this.setReady(key, ready).catch((err: unknown) => this.o.log?.('pod readiness update failed', { pod: key, error: errMessage(err) }));
  }

  private async setReady(key: string, ready: boolean): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const res = await this.req<V1Pod & Json>('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
    if (res.status !== 200) return;
    const status = res.body.status ?? {};
    const started = String(status.startTime ?? now());
    const cs = (status.containerStatuses ?? []).map((c) => ({ ...c, ready })) as unknown as PodStatusPatch['containerStatuses'];
    await this.patchStatus(ns, name, { conditions: podConditions(started, ready, now()), ...(cs ? { containerStatuses: cs } : {}) });
  }
}

interface Prepared {
  /** The pod's scratch folder (volumes, the container log, the termination-message file). */
  dir: string;
  exe: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  terminationLog: string;
  serviceAccountHostDir?: string;
  probe?: V1Probe;
  ports: V1ContainerPort[];
  podIP: string;
}
