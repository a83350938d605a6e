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
// (127.0.0.N) as its pod IP.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './binaries.ts';
import { kubeRequest } from './control-plane.ts';
import { listWatch, type ApiEndpoint, type ListWatch } from './watch-stream.ts';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** What the raas image sets (Dockerfile): entrypoint, working directory, env. */
const IMAGE = { entrypoint: ['node', '/app/bin/raas.js'], cmd: ['--help'], workingDir: '/app', env: { NODE_ENV: 'production', TMPDIR: '/tmp' } };
const TERMINATION_MESSAGE_LIMIT = 4096;

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
}

interface RunningPod {
  uid: string;
  key: string;
  child?: ChildProcess;
  dir: string;
  stopping: boolean;
  done: Promise<void>;
  deadlineTimer?: NodeJS.Timeout;
  probeTimer?: NodeJS.Timeout;
}

class ConfigError extends Error {}

export class ProcessKubelet {
  readonly nodeName: string;
  private watch: ListWatch | undefined;
  private readonly pods = new Map<string, RunningPod>();
  private readonly finished = new Set<string>();
  private readonly binding = new Set<string>();
  private readonly waiting = new Map<string, Json>();
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
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const patched = await this.req('PATCH', `/api/v1/nodes/${this.nodeName}/status`, {
      status: {
        capacity: { cpu: '2', memory: '24Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '2', memory: '24Gi', pods: '110', 'ephemeral-storage': '100Gi' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'process kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: this.nodeName }],
        nodeInfo: { kubeletVersion: 'raas-process-kubelet', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'process://local', kernelVersion: '', osImage: 'raas', kubeProxyVersion: '', machineID: '', systemUUID: '', bootID: '' },
      },
    }, 'application/merge-patch+json');
    if (patched.status !== 200) throw new Error(`Node ${this.nodeName} status: ${patched.status}`);
    this.watch = listWatch<Json>(this.o.api, '/api/v1/pods', (type, pod) => this.onPod(type, pod), (err) => this.o.log?.('pod watch failed; listing again', { error: err.message }));
    // Pods waiting on a missing Secret/ConfigMap are retried, as kubelet does.
    this.retryTimer = setInterval(() => {
      for (const pod of this.waiting.values()) void this.sync(pod);
    }, 2_000);
    this.retryTimer.unref();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const pod of [...this.waiting.values()]) void this.sync(pod);
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

  private onPod(type: string, pod: Json): void {
    if (this.stopped) return;
    const md = obj(pod.metadata);
    const key = `${str(md.namespace)}/${str(md.name)}`;
    if (type === 'DELETED') {
      this.waiting.delete(key);
      const p = this.pods.get(key);
      if (p && p.uid === md.uid) this.kill(String(md.namespace), String(md.name));
      return;
    }
    void this.sync(pod).catch((err: unknown) => this.o.log?.('pod sync failed', { pod: key, error: (err as Error).message }));
  }

  private async sync(pod: Json): Promise<void> {
    if (this.stopped) return;
    const md = obj(pod.metadata);
    const spec = obj(pod.spec);
    const ns = String(md.namespace);
    const name = String(md.name);
    const key = `${ns}/${name}`;
    const uid = String(md.uid);
    const running = this.pods.get(key);
    if (md.deletionTimestamp) {
      this.waiting.delete(key);
      if (running && running.uid === uid) {
        if (!running.stopping) {
          running.stopping = true;
          running.child?.kill('SIGTERM');
          const grace = Number(spec.terminationGracePeriodSeconds ?? 30);
          setTimeout(() => running.child?.kill('SIGKILL'), Math.min(grace, 30) * 1000).unref();
        }
        await running.done;
      }
      if (spec.nodeName === this.nodeName || !spec.nodeName) {
        // The final delete, as kubelet sends once the containers are gone.
        await this.req('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } });
      }
      return;
    }
    if (!spec.nodeName) {
      if (this.binding.has(uid)) return;
      this.binding.add(uid);
      const res = await this.req('POST', `/api/v1/namespaces/${ns}/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns, uid }, target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName } });
      if (res.status !== 201) this.binding.delete(uid);
      return;
    }
    if (spec.nodeName !== this.nodeName) return;
    const phase = str(obj(pod.status).phase);
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

  private async startPod(pod: Json): Promise<void> {
    const md = obj(pod.metadata);
    const spec = obj(pod.spec);
    const ns = String(md.namespace);
    const name = String(md.name);
    const uid = String(md.uid);
    const key = `${ns}/${name}`;
    const container = arr(spec.containers)[0];
    if (!container) return;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const dir = await mkdtemp(join(tmpdir(), 'raas-pod-'));
    const entry: RunningPod = { uid, key, dir, stopping: false, done };
    this.pods.set(key, entry);
    const startedAt = now();
    const podIP = this.podIp(uid);
    try {
      let prepared: Prepared;
      try {
        prepared = await this.prepare(pod, container, dir, podIP);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // As kubelet: the pod stays Pending with the reason; retried until the object exists.
        await this.patchStatus(ns, name, {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: startedAt }],
          containerStatuses: [{ name: String(container.name), ready: false, restartCount: 0, image: String(container.image), imageID: '', started: false, state: { waiting: { reason: 'CreateContainerConfigError', message: err.message } } }],
        });
        this.pods.delete(key);
        await rm(dir, { recursive: true, force: true });
        resolveDone();
        this.waiting.set(key, pod);
        return;
      }
      const restartAlways = (str(spec.restartPolicy) ?? 'Always') === 'Always';
      const deadline = Number(spec.activeDeadlineSeconds ?? 0);
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
      let ready = false;
      const baseStatus = (): Json => ({ hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], podIP, podIPs: [{ ip: podIP }], startTime: startedAt });
      const running = (since: string) =>
        this.patchStatus(ns, name, {
          ...baseStatus(),
          phase: 'Running',
          conditions: conditions(startedAt, ready),
          containerStatuses: [{ name: String(container.name), ready, started: true, restartCount, image: String(container.image), imageID: `process://${String(container.image)}`, containerID: `process://${uid}`, state: { running: { startedAt: since } } }],
        });
      const probe = obj(container.readinessProbe);
      for (;;) {
        const since = now();
        ready = !probe.httpGet; // without a readiness probe a started container is ready
        await running(since);
        const result = await this.exec(entry, prepared, key);
        const finishedAt = now();
        if (entry.probeTimer) clearInterval(entry.probeTimer);
        const message = await terminationMessage(prepared.terminationLog, container, result);
        const terminated = {
          exitCode: result.code ?? 137,
          reason: deadlineExceeded ? 'DeadlineExceeded' : result.code === 0 ? 'Completed' : 'Error',
          ...(message ? { message } : {}),
          startedAt: since,
          finishedAt,
          containerID: `process://${uid}`,
        };
        this.o.onExit?.(key, result.code, result.output);
        if (this.stopped) break;
        if (restartAlways && !entry.stopping && !deadlineExceeded) {
          restartCount++;
          ready = false;
          await this.patchStatus(ns, name, {
            ...baseStatus(),
            phase: 'Running',
            conditions: conditions(startedAt, false),
            containerStatuses: [{ name: String(container.name), ready: false, started: false, restartCount, image: String(container.image), imageID: '', containerID: `process://${uid}`, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container` } }, lastState: { terminated } }],
          });
          await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** Math.min(restartCount - 1, 4), 10_000)));
          if (entry.stopping || this.stopped) break;
          continue;
        }
        const ok = result.code === 0 && !deadlineExceeded;
        await this.patchStatus(ns, name, {
          ...baseStatus(),
          phase: restartAlways ? 'Running' : ok ? 'Succeeded' : 'Failed',
          ...(deadlineExceeded ? { reason: 'DeadlineExceeded', message: `Pod was active on the node longer than the specified deadline` } : {}),
          conditions: conditions(startedAt, false),
          containerStatuses: [{ name: String(container.name), ready: false, started: false, restartCount, image: String(container.image), imageID: `process://${String(container.image)}`, containerID: `process://${uid}`, state: { terminated } }],
        });
        break;
      }
      this.finished.add(uid);
    } finally {
      if (entry.deadlineTimer) clearTimeout(entry.deadlineTimer);
      if (entry.probeTimer) clearInterval(entry.probeTimer);
      this.pods.delete(key);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      resolveDone();
    }
  }

  private async patchStatus(ns: string, name: string, status: Json): Promise<void> {
    const res = await this.req('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, { status }, 'application/merge-patch+json');
    if (res.status !== 200 && res.status !== 404) this.o.log?.('pod status update failed', { pod: `${ns}/${name}`, status: res.status, body: JSON.stringify(res.body).slice(0, 300) });
  }

  // ---- preparing a container

  private async prepare(pod: Json, container: Json, dir: string, podIP: string): Promise<Prepared> {
    const md = obj(pod.metadata);
    const spec = obj(pod.spec);
    const ns = String(md.namespace);
    const volumesDir = join(dir, 'volumes');
    const mounts: Array<{ containerPath: string; hostPath: string }> = [];
    let serviceAccountHostDir: string | undefined;
    const volumes = new Map(arr(spec.volumes).map((v) => [String(v.name), v]));
    for (const m of arr(container.volumeMounts)) {
      const vol = volumes.get(String(m.name));
      if (!vol) throw new ConfigError(`volume "${String(m.name)}" not found`);
      const hostPath = join(volumesDir, String(m.name));
      if (!mounts.some((x) => x.hostPath === hostPath)) await this.materialise(vol, hostPath, pod);
      const containerPath = String(m.mountPath).replace(/\/+$/, '');
      const sub = str(m.subPath);
      mounts.push({ containerPath, hostPath: sub ? join(hostPath, sub) : hostPath });
      if (containerPath === SERVICE_ACCOUNT_DIR) serviceAccountHostDir = hostPath;
    }
    const terminationPath = str(container.terminationMessagePath) ?? '/dev/termination-log';
    const terminationLog = join(dir, 'termination-log');
    await writeFile(terminationLog, '');
    const tmpMount = mounts.find((x) => x.containerPath === '/tmp');
    const scratchTmp = join(dir, 'tmp');
    await mkdir(scratchTmp, { recursive: true });
    // Longest container path first, so /work/x maps through /work/x rather than /work.
    const table = [...mounts, { containerPath: terminationPath, hostPath: terminationLog }, { containerPath: '/tmp', hostPath: tmpMount?.hostPath ?? scratchTmp }, { containerPath: '/app', hostPath: REPO_ROOT.replace(/\/$/, '') }].sort(
      (a, b) => b.containerPath.length - a.containerPath.length,
    );
    const mapPath = (value: string): string => {
      for (const m of table) {
        if (value === m.containerPath) return m.hostPath;
        if (value.startsWith(`${m.containerPath}/`)) return m.hostPath + value.slice(m.containerPath.length);
      }
      return value;
    };

    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: String(md.name), ...IMAGE.env };
    if (serviceAccountHostDir) {
      const port = String(this.o.api.port);
      Object.assign(env, {
        KUBERNETES_SERVICE_HOST: this.o.api.host,
        KUBERNETES_SERVICE_PORT: port,
        KUBERNETES_SERVICE_PORT_HTTPS: port,
        KUBERNETES_PORT: `tcp://${this.o.api.host}:${port}`,
        KUBERNETES_PORT_443_TCP: `tcp://${this.o.api.host}:${port}`,
        KUBERNETES_PORT_443_TCP_ADDR: this.o.api.host,
        KUBERNETES_PORT_443_TCP_PORT: port,
        KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      });
    }
    Object.assign(env, this.o.extraEnv);
    const field = (path: string): string => {
      const labelRef = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (labelRef) return String(obj(md[labelRef[1]!])[labelRef[2]!] ?? '');
      switch (path) {
        case 'metadata.name':
          return String(md.name);
        case 'metadata.namespace':
          return ns;
        case 'metadata.uid':
          return String(md.uid);
        case 'spec.nodeName':
          return this.nodeName;
        case 'spec.serviceAccountName':
          return String(spec.serviceAccountName ?? 'default');
        case 'status.podIP':
          return podIP;
        case 'status.hostIP':
          return '127.0.0.1';
        default:
          throw new ConfigError(`unsupported fieldRef ${path}`);
      }
    };
    for (const from of arr(container.envFrom)) {
      const prefix = str(from.prefix) ?? '';
      const sref = obj(from.secretRef);
      const cref = obj(from.configMapRef);
      const data = str(sref.name) ? await this.secretData(ns, String(sref.name), sref.optional === true) : str(cref.name) ? await this.configMapData(ns, String(cref.name), cref.optional === true) : {};
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
    }
    for (const e of arr(container.env)) {
      const name = String(e.name);
      if (e.valueFrom === undefined) {
        env[name] = mapPath(expand(str(e.value) ?? '', env));
        continue;
      }
      const vf = obj(e.valueFrom);
      const fieldPath = str(obj(vf.fieldRef).fieldPath);
      const sk = obj(vf.secretKeyRef);
      const ck = obj(vf.configMapKeyRef);
      if (fieldPath) env[name] = field(fieldPath);
      else if (str(sk.name)) {
        const v = (await this.secretData(ns, String(sk.name), sk.optional === true))[String(sk.key)];
        if (v === undefined && sk.optional !== true) throw new ConfigError(`couldn't find key ${String(sk.key)} in Secret ${ns}/${String(sk.name)}`);
        if (v !== undefined) env[name] = v;
      } else if (str(ck.name)) {
        const v = (await this.configMapData(ns, String(ck.name), ck.optional === true))[String(ck.key)];
        if (v === undefined && ck.optional !== true) throw new ConfigError(`couldn't find key ${String(ck.key)} in ConfigMap ${ns}/${String(ck.name)}`);
        if (v !== undefined) env[name] = v;
      } else if (vf.resourceFieldRef) {
        env[name] = '0';
      }
    }
    env.TMPDIR = mapPath(env.TMPDIR ?? '/tmp');
    env.HOME = mapPath(env.HOME ?? '/tmp');
    const command = arr(container.command).length ? arr(container.command).map(String) : IMAGE.entrypoint;
    const args = container.args !== undefined ? arr(container.args).map(String) : arr(container.command).length ? [] : IMAGE.cmd;
    const argv = [...command, ...args].map((a) => mapPath(expand(a, env)));
    const exe = argv[0] === 'node' ? process.execPath : argv[0]!;
    return { exe, args: argv.slice(1), env, cwd: mapPath(str(container.workingDir) ?? IMAGE.workingDir), terminationLog, ...(serviceAccountHostDir ? { serviceAccountHostDir } : {}), probe: obj(container.readinessProbe), ports: arr(container.ports), podIP };
  }

  private async materialise(vol: Json, hostPath: string, pod: Json): Promise<void> {
    const md = obj(pod.metadata);
    const ns = String(md.namespace);
    await mkdir(hostPath, { recursive: true });
    if (vol.emptyDir !== undefined) return;
    const writeItems = async (data: Record<string, string>, items: Json[]) => {
      const list = items.length ? items.map((i) => ({ key: String(i.key), path: String(i.path) })) : Object.keys(data).map((k) => ({ key: k, path: k }));
      for (const { key, path } of list) {
        if (data[key] === undefined) continue;
        await mkdir(dirname(join(hostPath, path)), { recursive: true });
        await writeFile(join(hostPath, path), data[key]!);
      }
    };
    if (vol.secret) {
      const s = obj(vol.secret);
      await writeItems(await this.secretData(ns, String(s.secretName), s.optional === true), arr(s.items));
      return;
    }
    if (vol.configMap) {
      const c = obj(vol.configMap);
      await writeItems(await this.configMapData(ns, String(c.name), c.optional === true), arr(c.items));
      return;
    }
    if (vol.projected) {
      for (const source of arr(obj(vol.projected).sources)) {
        if (source.serviceAccountToken) {
          const t = obj(source.serviceAccountToken);
          const sa = String(obj(pod.spec).serviceAccountName ?? 'default');
          const res = await this.req<{ status?: { token?: string }; message?: string }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { expirationSeconds: Number(t.expirationSeconds ?? 3607), ...(t.audience ? { audiences: [String(t.audience)] } : {}), boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: String(md.name), uid: String(md.uid) } },
          });
          const token = res.body?.status?.token;
          if (!token) throw new ConfigError(`service account token for ${ns}/${sa}: ${res.status} ${res.body?.message ?? ''}`);
          await writeFile(join(hostPath, String(t.path ?? 'token')), token);
        } else if (source.configMap) {
          const c = obj(source.configMap);
          await writeItems(await this.configMapData(ns, String(c.name), c.optional === true), arr(c.items));
        } else if (source.secret) {
          const s = obj(source.secret);
          await writeItems(await this.secretData(ns, String(s.name), s.optional === true), arr(s.items));
        } else if (source.downwardAPI) {
          for (const item of arr(obj(source.downwardAPI).items)) {
            const fp = str(obj(item.fieldRef).fieldPath);
            if (fp === 'metadata.namespace') await writeFile(join(hostPath, String(item.path)), ns);
            else if (fp === 'metadata.name') await writeFile(join(hostPath, String(item.path)), String(md.name));
          }
        }
      }
      return;
    }
    if (vol.downwardAPI) return;
    throw new ConfigError(`volume "${String(vol.name)}": only emptyDir, secret, configMap and projected volumes are supported by the process kubelet`);
  }

  private async secretData(ns: string, name: string, optional: boolean): Promise<Record<string, string>> {
    const res = await this.req<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
    if (res.status === 404) {
      if (optional) return {};
      throw new ConfigError(`secret "${name}" not found`);
    }
    return Object.fromEntries(Object.entries(res.body?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  private async configMapData(ns: string, name: string, optional: boolean): Promise<Record<string, string>> {
    const res = await this.req<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);
    if (res.status === 404) {
      if (optional) return {};
      throw new ConfigError(`configmap "${name}" not found`);
    }
    return res.body?.data ?? {};
  }

  // ---- running

  private exec(entry: RunningPod, p: Prepared, key: string): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      let exe = p.exe;
      let args = p.args;
      if (p.serviceAccountHostDir) {
        // A private mount namespace puts the token where client libraries look for it.
        args = ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mkdir -p "$0" 2>/dev/null; mount --bind "$1" "$0" && shift 2 && exec "$@"', SERVICE_ACCOUNT_DIR, p.serviceAccountHostDir, exe, ...args];
        exe = 'unshare';
      }
      const logFile = join(entry.dir, 'container.log');
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
      if (p.probe.httpGet) this.startProbe(entry, p, key);
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
    const get = obj(p.probe.httpGet);
    const portRef = get.port;
    const port = typeof portRef === 'number' ? portRef : Number(p.ports.find((x) => x.name === portRef)?.containerPort ?? portRef);
    const period = Number(p.probe.periodSeconds ?? 10) * 1000;
    let ready = false;
    const check = () => {
      const req = httpRequest({ host: p.podIP, port, path: String(get.path ?? '/'), timeout: 2000 }, (res) => {
        res.resume();
        const ok = (res.statusCode ?? 500) < 400;
        if (ok !== ready) {
          ready = ok;
          void this.setReady(key, ok);
        }
      });
      req.on('error', () => {
        if (ready) {
          ready = false;
          void this.setReady(key, false);
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

  private async setReady(key: string, ready: boolean): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const res = await this.req<Json>('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
    if (res.status !== 200) return;
    const status = obj(res.body.status);
    const started = String(status.startTime ?? now());
    const cs = arr(status.containerStatuses).map((c) => ({ ...c, ready }));
    await this.patchStatus(ns, name, { conditions: conditions(started, ready), containerStatuses: cs });
  }
}

interface Prepared {
  exe: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  terminationLog: string;
  serviceAccountHostDir?: string;
  probe: Json;
  ports: Json[];
  podIP: string;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function conditions(since: string, ready: boolean): Json[] {
  const t = now();
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: since },
    { type: 'Initialized', status: 'True', lastTransitionTime: since },
    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t, ...(ready ? {} : { reason: 'ContainersNotReady' }) },
    { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: t, ...(ready ? {} : { reason: 'ContainersNotReady' }) },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: since },
  ];
}

/** $(VAR) expansion as kubelet does it; $$ escapes, unknown references stay as written. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && env[name] !== undefined ? env[name] : m));
}

/** The file the container wrote (at most 4096 bytes), or the log tail with FallbackToLogsOnError. */
async function terminationMessage(file: string, container: Json, result: { code: number | null; output: string }): Promise<string> {
  const written = await readFile(file).catch(() => Buffer.alloc(0));
  if (written.length) return written.subarray(0, TERMINATION_MESSAGE_LIMIT).toString('utf8');
  if (str(container.terminationMessagePolicy) === 'FallbackToLogsOnError' && result.code !== 0) {
    const lines = result.output.split('\n').slice(-80).join('\n');
    return Buffer.from(lines).subarray(-2048).toString('utf8');
  }
  return '';
}
