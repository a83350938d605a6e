// Plays the kubelet, the Job controller and the CronJob controller against the test API
// server: every Job gets a Pod that runs the REAL runner (bin/raas.js) with the env the
// pod spec declares, and the Job's and Pod's status (termination message included) are
// written the way Kubernetes writes them. `fireCronJob` creates a CronJob's Job with the
// real naming rule (<cronjob>-<scheduled minutes since the epoch>).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeApiServer, KObject } from './api-server.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface JobSimulatorOptions {
  server: KubeApiServer;
  /** Extra env for every runner (e.g. AWS_* for the S3 test server when not given by Secrets). */
  extraEnv?: Record<string, string>;
  /** Called with each finished run's output, for debugging failing tests. */
  onExit?: (job: string, code: number | null, output: string) => void;
  /** Don't start pods for new Jobs until resume() (to test an operator restart mid-run). */
  paused?: boolean;
}

export class JobSimulator {
  private readonly running = new Map<string, Promise<void>>();
  private readonly children = new Set<ChildProcess>();
  private unsubscribe: (() => void) | undefined;
  private paused: boolean;
  private readonly waiting: KObject[] = [];
  private stopped = false;

  constructor(private readonly o: JobSimulatorOptions) {
    this.paused = o.paused ?? false;
  }

  start(): void {
    this.unsubscribe = this.o.server.onChange((e) => {
      if (e.type !== 'ADDED' || e.gvr.group !== 'batch' || e.gvr.resource !== 'jobs') return;
      if (this.paused) this.waiting.push(e.object);
      else this.launch(e.object);
    });
    // Jobs created before the simulator started (e.g. across a simulated restart).
    for (const job of this.o.server.store.list('batch/v1/jobs')) {
      if (!obj(job.status).startTime) this.launch(job);
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const j of this.waiting.splice(0)) this.launch(j);
  }

  /** Resolves when every started Job has finished. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.allSettled([...this.running.values()]);
  }

  /** What the CronJob controller does at `scheduledTime`: one Job named <cronjob>-<minutes>. */
  fireCronJob(namespace: string, name: string, scheduledTime: Date): KObject {
    const store = this.o.server.store;
    const cron = store.get('batch/v1/cronjobs', namespace, name);
    if (!cron) throw new Error(`no CronJob ${namespace}/${name}`);
    const tmpl = obj(obj(cron.spec).jobTemplate);
    const minutes = Math.floor(scheduledTime.getTime() / 60_000);
    const meta = obj(tmpl.metadata);
    const job = store.create('batch/v1/jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: `${name}-${minutes}`,
        namespace,
        labels: { ...obj(meta.labels) },
        annotations: { ...obj(meta.annotations), 'batch.kubernetes.io/cronjob-scheduled-timestamp': scheduledTime.toISOString() },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: String(obj(cron.metadata).uid), controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(obj(tmpl.spec)),
    });
    store.updateStatus('batch/v1/cronjobs', { ...cron, status: { ...obj(cron.status), lastScheduleTime: scheduledTime.toISOString().replace(/\.\d+Z$/, 'Z') } });
    return job;
  }

  private launch(job: KObject): void {
    const md = obj(job.metadata);
    const key = `${str(md.namespace)}/${str(md.name)}`;
    if (this.running.has(key) || this.stopped) return;
    const p = this.runJob(job)
      .catch((err: unknown) => this.o.onExit?.(key, null, `simulator error: ${(err as Error).stack ?? String(err)}`))
      .finally(() => this.running.delete(key));
    this.running.set(key, p);
  }

  private now(): string {
    return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  }

  private async runJob(job: KObject): Promise<void> {
    const store = this.o.server.store;
    const md = obj(job.metadata);
    const ns = str(md.namespace)!;
    const jobName = str(md.name)!;
    const template = obj(obj(job.spec).template);
    const podSpec = structuredClone(obj(template.spec));
    const container = arr(podSpec.containers)[0];
    if (!container) throw new Error(`Job ${jobName} has no container`);
    const labels = { ...obj(obj(template.metadata).labels), 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName, 'controller-uid': String(md.uid) };
    const pod = store.create('v1/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${jobName.slice(0, 57)}-${randomBytes(3).toString('hex').slice(0, 5)}`,
        namespace: ns,
        labels,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: String(md.uid), controller: true, blockOwnerDeletion: true }],
      },
      spec: podSpec,
    });
    const podName = str(obj(pod.metadata).name)!;
    const started = this.now();
    store.updateStatus('batch/v1/jobs', { ...store.get('batch/v1/jobs', ns, jobName)!, status: { active: 1, ready: 0, startTime: started } });
    store.updateStatus('v1/pods', {
      ...store.get('v1/pods', ns, podName)!,
      status: { phase: 'Running', startTime: started, containerStatuses: [{ name: String(container.name), ready: true, restartCount: 0, image: String(container.image), state: { running: { startedAt: started } } }] },
    });

    const work = await mkdtemp(join(tmpdir(), 'raas-pod-'));
    const terminationLog = join(work, 'termination-log');
    const env = this.resolveEnv(ns, container, labels, podName);
    env.RAAS_TERMINATION_LOG = terminationLog;
    env.RAAS_WORK_DIR = work;
    const command = [...arr(container.command), ...arr(container.args)].map(String);
    const [exe, ...args] = command.map((a) => (a.startsWith('/app/') ? join(REPO, a.slice('/app/'.length)) : a));
    const deadline = Number(obj(job.spec).activeDeadlineSeconds ?? 0);
    const { code, output, deadlineExceeded } = await this.exec(exe === 'node' ? process.execPath : exe!, args, env, deadline);
    const message = await readFile(terminationLog, 'utf8').catch(() => '');
    await rm(work, { recursive: true, force: true });
    this.o.onExit?.(`${ns}/${jobName}`, code, output);
    if (this.stopped) return;

    const finished = this.now();
    const ok = code === 0 && !deadlineExceeded;
    store.setPodLog(ns, podName, output);
    const currentPod = store.get('v1/pods', ns, podName);
    if (currentPod) {
      store.updateStatus('v1/pods', {
        ...currentPod,
        status: {
          phase: ok ? 'Succeeded' : 'Failed',
          startTime: started,
          containerStatuses: [
            {
              name: String(container.name),
              ready: false,
              restartCount: 0,
              image: String(container.image),
              state: { terminated: { exitCode: code ?? 137, reason: ok ? 'Completed' : 'Error', message: message || (str(container.terminationMessagePolicy) === 'FallbackToLogsOnError' && !ok ? output.slice(-2048) : ''), startedAt: started, finishedAt: finished } },
            },
          ],
        },
      });
    }
    const currentJob = store.get('batch/v1/jobs', ns, jobName);
    if (!currentJob) return;
    const conditions = ok
      ? [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: finished, lastTransitionTime: finished },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: finished, lastTransitionTime: finished },
        ]
      : [
          deadlineExceeded
            ? { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', lastProbeTime: finished, lastTransitionTime: finished }
            : { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: finished, lastTransitionTime: finished },
        ];
    store.updateStatus('batch/v1/jobs', {
      ...currentJob,
      status: { active: 0, ready: 0, startTime: started, ...(ok ? { succeeded: 1, completionTime: finished } : { failed: 1 }), conditions },
    });
  }

  private resolveEnv(ns: string, container: Json, podLabels: Record<string, unknown>, podName: string): Record<string, string> {
    const store = this.o.server.store;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...this.o.extraEnv };
    const secretData = (name: string): Record<string, string> => {
      const s = store.get('v1/secrets', ns, name);
      const data = obj(s?.data);
      return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]));
    };
    const configData = (name: string): Record<string, string> => Object.fromEntries(Object.entries(obj(store.get('v1/configmaps', ns, name)?.data)).map(([k, v]) => [k, String(v)]));
    for (const from of arr(container.envFrom)) {
      const sref = str(obj(from.secretRef).name);
      const cref = str(obj(from.configMapRef).name);
      if (sref) Object.assign(env, secretData(sref));
      if (cref) Object.assign(env, configData(cref));
    }
    for (const e of arr(container.env)) {
      const name = String(e.name);
      if (typeof e.value === 'string') {
        env[name] = e.value;
        continue;
      }
      const vf = obj(e.valueFrom);
      const fieldPath = str(obj(vf.fieldRef).fieldPath);
      if (fieldPath) {
        const m = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
        if (m) env[name] = String(podLabels[m[1]!] ?? '');
        else if (fieldPath === 'metadata.name') env[name] = podName;
        else if (fieldPath === 'metadata.namespace') env[name] = ns;
        continue;
      }
      const sk = obj(vf.secretKeyRef);
      if (str(sk.name)) env[name] = secretData(String(sk.name))[String(sk.key)] ?? '';
      const ck = obj(vf.configMapKeyRef);
      if (str(ck.name)) env[name] = configData(String(ck.name))[String(ck.key)] ?? '';
    }
    return env;
  }

  private exec(exe: string, args: string[], env: Record<string, string>, deadlineSeconds: number): Promise<{ code: number | null; output: string; deadlineExceeded: boolean }> {
    return new Promise((resolve) => {
      const child = spawn(exe, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      let output = '';
      let deadlineExceeded = false;
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = deadlineSeconds > 0 ? setTimeout(() => ((deadlineExceeded = true), child.kill('SIGKILL')), deadlineSeconds * 1000) : undefined;
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        this.children.delete(child);
        resolve({ code, output, deadlineExceeded });
      });
      child.on('error', (err) => {
        if (timer) clearTimeout(timer);
        this.children.delete(child);
        resolve({ code: 127, output: `${output}\n${err.message}`, deadlineExceeded });
      });
    });
  }
}
