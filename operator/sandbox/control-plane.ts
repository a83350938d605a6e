// A real Kubernetes control plane on loopback (docs/design.md, Real parts): etcd, kube-apiserver (token
// authentication, RBAC, service-account signing keys, the default admission plugins) and
// kube-controller-manager (Job, CronJob, garbage collector, namespace, service-account,
// TTL-after-finished, ReplicaSet/Deployment, root-CA publisher). No scheduler and no
// kubelet: the process kubelet (process-kubelet.ts) binds and runs pods.
// Used by `raas sandbox` and by the tests (test/support/control-plane.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubeBinaries, type KubeBinaries } from './binaries.ts';

export interface ControlPlaneUser {
  name: string;
  groups?: string[];
}

export interface ControlPlaneOptions {
  /** Extra token-authenticated users (static token file); each gets a random token. */
  users?: ControlPlaneUser[];
  binaries?: KubeBinaries;
  /** Keep the working directory (logs, etcd data) after stop(). */
  keepDir?: boolean;
  /** Extra kube-apiserver flags (e.g. feature gates). */
  apiServerFlags?: string[];
  /** kube-controller-manager controllers besides the default set (a real node needs node-lifecycle-controller). */
  extraControllers?: string[];
}

export interface KubeconfigOptions {
  namespace?: string;
  /** A bearer token; default the admin's. */
  token?: string;
  user?: string;
}

export interface ControlPlane extends ControlPlaneAddress {
  /** https://127.0.0.1:PORT */
  url: string;
  kubeconfigYaml(o?: KubeconfigOptions): string;
  /** A token for a ServiceAccount through the TokenRequest API (as kubelet gets one). */
  serviceAccountToken(namespace: string, name: string, o?: { expirationSeconds?: number; audiences?: string[]; boundPod?: { name: string; uid: string } }): Promise<string>;
  /** A JSON request as the admin (or with `token`); resolves with status and parsed body. */
  request<T = unknown>(method: string, path: string, body?: unknown, o?: { token?: string; contentType?: string }): Promise<{ status: number; body: T }>;
  /** Stops and starts kube-apiserver on the same port and etcd (open watches break). */
  restartApiServer(): Promise<void>;
  /** The last lines of a component's log (etcd, kube-apiserver, kube-controller-manager). */
  logTail(component: string, lines?: number): Promise<string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts one component with its output appended to `logFile`; `env` adds to (or overrides) PATH and HOME. */
export function startProcess(name: string, exe: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): Proc {
  const log = createWriteStream(logFile, { flags: 'a' });
  // Its own process group: a terminal's Ctrl-C (SIGINT to the whole foreground group) then
  // reaches only the process that started it, which stops the components in order; killed
  // at once with the rest, they would leave that shutdown talking to a dead API server.
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...env } });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(127));
  });
  void exited.then(() => log.end());
  return { name, child, exited };
}

async function stopProcess(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 8_000);
  await p.exited;
  clearTimeout(timer);
}

/** One HTTPS request to the API server with a bearer token, trusting only its CA. */
export function kubeRequest<T>(
  base: { host: string; port: number; caPem?: string; insecure?: boolean },
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpsRequest(
      {
        host: base.host,
        port: base.port,
        method,
        path,
        ...(base.caPem ? { ca: base.caPem } : {}),
        rejectUnauthorized: !base.insecure,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (e.g. /readyz answers "ok"): keep the text.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function until(what: string, probe: () => Promise<boolean>, exited: Array<Promise<number | null>>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: string | undefined;
  for (const [i, e] of exited.entries()) void e.then((code) => (dead ??= `process ${i} exited with ${code}`));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

export async function startControlPlane(o: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bins = o.binaries ?? findKubeBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'raas-kube-'));
  const certDir = join(dir, 'certs');
  await mkdir(certDir, { recursive: true });
  const host = '127.0.0.1';
  const [etcdPort, etcdPeerPort, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];

  // Service-account signing key: the API server signs tokens with it, the token controller
  // and TokenReview verify them.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const adminToken = randomBytes(24).toString('hex');
  const userTokens: Record<string, string> = {};
  const tokenLines = [`${adminToken},raas-admin,raas-admin-uid,"system:masters"`];
  for (const u of o.users ?? []) {
    const t = randomBytes(24).toString('hex');
    userTokens[u.name] = t;
    tokenLines.push(`${t},${u.name},${u.name}-uid${u.groups?.length ? `,"${u.groups.join(',')}"` : ''}`);
  }
  await writeFile(join(dir, 'tokens.csv'), `${tokenLines.join('\n')}\n`, { mode: 0o600 });

  const procs: Record<string, Proc | undefined> = {};
  const logOf = (name: string) => join(dir, `${name}.log`);
  const stopAll = async () => {
    await stopProcess(procs['kube-controller-manager']);
    await stopProcess(procs['kube-apiserver']);
    await stopProcess(procs.etcd);
  };

  try {
    procs.etcd = startProcess('etcd', bins.etcd, [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://${host}:${etcdPort}`,
      `--advertise-client-urls=http://${host}:${etcdPort}`,
      `--listen-peer-urls=http://${host}:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://${host}:${etcdPeerPort}`,
      `--initial-cluster=default=http://${host}:${etcdPeerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ], logOf('etcd'));
    const etcdExited = procs.etcd.exited;
    await until('etcd', async () => {
      const res = await fetch(`http://${host}:${etcdPort}/health`);
      return res.ok;
    }, [etcdExited]).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await tail(logOf('etcd'), 20)}`, { cause: err });
    });

    const apiArgs = [
      `--etcd-servers=http://${host}:${etcdPort}`,
      `--bind-address=${host}`,
      `--advertise-address=${host}`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      // The `kubernetes` Service would get 127.0.0.1 as its endpoint, which Endpoints
      // validation refuses; in-cluster clients get the real address from the process kubelet.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      ...(o.apiServerFlags ?? []),
    ];
    const startApi = async () => {
      procs['kube-apiserver'] = startProcess('kube-apiserver', bins.kubeApiServer, apiArgs, logOf('kube-apiserver'));
      const apiExited = procs['kube-apiserver'].exited;
      await until('kube-apiserver', async () => {
        const r = await kubeRequest({ host, port: apiPort, insecure: true }, adminToken, 'GET', '/readyz');
        return r.status === 200;
      }, [apiExited, etcdExited]).catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}\n${await tail(logOf('kube-apiserver'), 30)}`, { cause: err });
      });
    };
    await startApi();
    // The self-signed serving certificate file holds the certificate and the CA that signed it.
    const caPem = await readFile(join(certDir, 'apiserver.crt'), 'utf8');
    const base = { host, port: apiPort, caPem };

    const kubeconfigYaml = (k: KubeconfigOptions = {}): string => kubeconfigText({ host, port: apiPort, caPem, adminToken }, k);
    await writeFile(join(dir, 'admin.kubeconfig'), kubeconfigYaml(), { mode: 0o600 });

    procs['kube-controller-manager'] = startProcess('kube-controller-manager', bins.kubeControllerManager, [
      `--kubeconfig=${join(dir, 'admin.kubeconfig')}`,
      '--leader-elect=false',
      `--bind-address=${host}`,
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      `--controllers=${['job-controller', 'cronjob-controller', 'garbage-collector-controller', 'namespace-controller', 'serviceaccount-controller', 'ttl-after-finished-controller', 'replicaset-controller', 'deployment-controller', 'root-ca-certificate-publisher-controller', ...(o.extraControllers ?? [])].join(',')}`,
      `--root-ca-file=${join(certDir, 'apiserver.crt')}`,
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      '--use-service-account-credentials=false',
      // Faster garbage collection and namespace cleanup in tests; production defaults are higher.
      '--concurrent-gc-syncs=5',
    ], logOf('kube-controller-manager'));
    const kcmExited = procs['kube-controller-manager'].exited;
    await until('kube-controller-manager', async () => {
      const r = await kubeRequest({ host, port: kcmPort, insecure: true }, undefined, 'GET', '/healthz');
      return r.status === 200;
    }, [kcmExited]).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await tail(logOf('kube-controller-manager'), 30)}`, { cause: err });
    });
    // The service-account controller makes `default` in every namespace; pods need it.
    await until('the default ServiceAccount', async () => (await kubeRequest(base, adminToken, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200, [kcmExited]);

    const cp: ControlPlane = {
      ...connectControlPlane({ host, port: apiPort, caPem, adminToken, userTokens, dir }),
      async restartApiServer() {
        await stopProcess(procs['kube-apiserver']);
        await startApi();
      },
      logTail: (component, lines = 40) => tail(logOf(component), lines),
      async stop() {
        await stopAll();
        if (!o.keepDir) await rm(dir, { recursive: true, force: true });
      },
    };
    return cp;
  } catch (err) {
    await stopAll();
    if (!o.keepDir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

/** What a client needs to reach a running control plane (the test run's shared one, say). */
export interface ControlPlaneAddress {
  host: string;
  port: number;
  /** PEM of the CA that signed the API server's serving certificate. */
  caPem: string;
  adminToken: string;
  /** Tokens of the extra users, by name. */
  userTokens: Record<string, string>;
  dir: string;
}

/** A kubeconfig for the control plane at `a`, as the admin or with another token. */
export function kubeconfigText(a: Pick<ControlPlaneAddress, 'host' | 'port' | 'caPem' | 'adminToken'>, k: KubeconfigOptions = {}): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: raas',
    '  cluster:',
    `    server: https://${a.host}:${a.port}`,
    `    certificate-authority-data: ${Buffer.from(a.caPem).toString('base64')}`,
    'users:',
    `- name: ${yamlString(k.user ?? 'raas-admin')}`,
    '  user:',
    `    token: ${yamlString(k.token ?? a.adminToken)}`,
    'contexts:',
    '- name: raas',
    '  context:',
    '    cluster: raas',
    `    user: ${yamlString(k.user ?? 'raas-admin')}`,
    `    namespace: ${yamlString(k.namespace ?? 'default')}`,
    'current-context: raas',
    '',
  ].join('\n');
}

/**
 * A client's view of a control plane started elsewhere: requests, kubeconfigs and tokens.
 * It does not own the processes: restarting or stopping them is refused.
 */
export function connectControlPlane(a: ControlPlaneAddress): ControlPlane {
  const base = { host: a.host, port: a.port, caPem: a.caPem };
  const notOwned = (what: string) => () => Promise.reject(new Error(`cannot ${what}: this control plane is shared (started elsewhere); start your own with startControlPlane`));
  return {
    url: `https://${a.host}:${a.port}`,
    host: a.host,
    port: a.port,
    caPem: a.caPem,
    adminToken: a.adminToken,
    userTokens: a.userTokens,
    dir: a.dir,
    kubeconfigYaml: (k) => kubeconfigText(a, k),
    async serviceAccountToken(namespace, name, t = {}) {
      const res = await kubeRequest<{ status?: { token?: string }; message?: string }>(base, a.adminToken, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(t.audiences ? { audiences: t.audiences } : {}),
          expirationSeconds: t.expirationSeconds ?? 3600,
          ...(t.boundPod ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: t.boundPod.name, uid: t.boundPod.uid } } : {}),
        },
      });
      const token = res.body?.status?.token;
      if (res.status !== 201 || !token) throw new Error(`TokenRequest for ${namespace}/${name}: ${res.status} ${res.body?.message ?? ''}`);
      return token;
    },
    request: (method, path, body, r = {}) => kubeRequest(base, r.token ?? a.adminToken, method, path, body, r.contentType),
    restartApiServer: notOwned('restart the API server'),
    logTail: () => Promise.resolve('(shared control plane: its logs are in the process that started it)'),
    stop: notOwned('stop it'),
  };
}
