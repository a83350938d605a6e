// `npm run bench:operator`: measures the operator against the targets in docs/design.md, Performance targets, on a real
// control plane (etcd, kube-apiserver, kube-controller-manager from scripts/install-kube.sh;
// ADR 0006), with the operator as its own process (`node bin/raas.js operator`) under the
// chart's ServiceAccount and RBAC (rendered by the real helm; the admin when helm is missing).
//
//   - N ReconJobs (default 1000, --jobs N) exist before the operator starts, so the time
//     from spawn to N CronJobs and N Ready ReconJobs is the cold start a restarted
//     operator faces. Counted from watches, not by listing (listing 1,000 objects every
//     50 ms would load the cores the operator runs on).
//   - Steady RSS of the operator process while idle with N jobs cached (VmRSS, 500 ms).
//   - Status latency for M manual runs (--runs M, default 20): the operator creates the
//     Job, the real Job controller creates its pod; there is no kubelet, so this process
//     writes the pod's terminated status (with a runner report) as kubelet would, and the
//     real Job controller marks the Job finished. Timed from the Job's finish
//     (SuccessCriteriaMet/Complete, as seen by a watch) to ReconRun phase Succeeded (the
//     same watch); the time from the pod's termination is printed too.
//   - A restart: the operator stopped and started again over the same N jobs, timed until
//     it has reconciled each one (its /metrics), with the writes it sent (ideally none).
//   - For the cold start, the API requests it took (the API server's own counters) and
//     the CPU seconds of each process, so a slow figure says where the time went.
//
// It is a report: misses print MISS and still exit 0. Exit 1 only when the operator
// died or a deadline passed, because then the numbers mean nothing.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJobName } from '../../operator/desired/names.ts';
import { freePort } from '../../operator/sandbox/control-plane.ts';
import { listWatch, type ListWatch } from '../../operator/sandbox/watch-stream.ts';
import { compactSummary, type RunSummary } from '../../runner/run/summary.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { findHelm } from '../support/helm.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NAMESPACES = ['bench-a', 'bench-b', 'bench-c', 'bench-d'];
const POLL_MS = 20;
const RECONCILE_DEADLINE_MS = 5 * 60_000;
const RUN_DEADLINE_MS = 60_000;
const STEADY_MS = 20_000;
const RSS_SAMPLE_MS = 500;
const CREATE_CONCURRENCY = 16;

// docs/design.md, Performance targets: "within seconds" is read as under 10 s: more than that is no longer seconds.
const TARGET_RECONCILE_MS = 10_000;
const TARGET_RSS_BYTES = 150 * 1024 * 1024;
const TARGET_STATUS_MS = 2_000;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object') : []);
const md = (o: Json) => obj(o.metadata) as { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
const keyOf = (o: Json) => `${md(o).namespace}/${md(o).name}`;

class BenchFailure extends Error {}

function intFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new BenchFailure(`${name} needs a positive whole number`);
  return n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const ms = (t: number) => (t >= 10_000 ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`);
const ratio = (value: number, target: number) => `${(value / target).toFixed(2)}×`;
const sleep = (t: number) => new Promise<void>((r) => setTimeout(r, t));

function vmRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    // The process is gone; the exit handler reports that.
    return undefined;
  }
}

function hasTrueCondition(o: Json, ...types: string[]): boolean {
  return arr(obj(o.status).conditions).some((c) => types.includes(String(c.type)) && c.status === 'True');
}

function reconJob(name: string, namespace: string): Json {
  return {
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconJob',
    metadata: { name, namespace },
    spec: {
      left: { name: 'left', uri: 's3://left/{{ window.startDate }}.csv' },
      right: { name: 'right', uri: 's3://right/{{ window.startDate }}.csv' },
      keys: [{ column: 'id' }],
      schedule: { cron: '0 2 * * *', timeZone: 'UTC' },
    },
  };
}

/** The runner's real termination report (runner/run/summary.ts) for a balanced one-row run. */
function terminationMessage(job: string, run: string): string {
  const summary: RunSummary = {
    job,
    run,
    window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' },
    balanced: true,
    counts: { left: 1, right: 1, matched: 1, mismatched: 0, leftOnly: 0, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
    mismatchedByColumn: {},
    diffTotals: {},
    summaries: {},
    results: { uri: 's3://results/x/', files: [], summaryUri: 's3://results/x/summary.json', mode: 'AllDiffs', format: 'csv' },
    timings: { stageMs: 1, compareMs: 1, writeMs: 1 },
  };
  return compactSummary(summary);
}

/**
 * The API server's request counters (apiserver_request_total) by verb and resource, watches
 * left out: the cold start is bound by API round trips, so the bench prints how many it took.
 */
async function apiRequests(cluster: TestCluster): Promise<Map<string, number>> {
  const res = await cluster.cp.request<string>('GET', '/metrics');
  const counts = new Map<string, number>();
  for (const line of String(res.body).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.verb === 'WATCH') continue;
    const k = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(k, (counts.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

function requestDelta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after].map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)]).filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]);
}

/**
 * CPU seconds (user + system) of this process's children and of the operator, by command
 * name, from /proc: where the cold start's CPU went.
 */
function childCpu(extra: number[]): Map<string, number> {
  const tick = 100; // USER_HZ on Linux
  const out = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const ppid = Number(fields[1]);
    const pid = Number(entry);
    if (ppid !== process.pid && !extra.includes(pid)) continue;
    const name = extra.includes(pid) ? 'operator' : comm;
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / tick);
  }
  return out;
}

interface OperatorProcess {
  pid: number;
  /** Why it died, if it did without being stopped. */
  failure(): string | undefined;
  /** SIGTERM (a clean stop: the Lease is released, a --cpu-prof gets written), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** `node bin/raas.js operator` as the chart runs it: leader election on, 16 workers, JSON logs at warn. */
function startOperatorProcess(kubeconfig: string, port: number, name: string): OperatorProcess {
  // RAAS_BENCH_NODE_ARGS: extra node flags for the operator, e.g. --cpu-prof --cpu-prof-dir=/tmp/p.
  const nodeArgs = (process.env.RAAS_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'bin/raas.js'), 'operator', '--kubeconfig', kubeconfig, '--port', String(port)], {
    cwd: REPO,
    env: { ...process.env, RAAS_LOG_LEVEL: 'warn', RAAS_HTTP_HOST: '127.0.0.1', POD_NAMESPACE: 'raas-system', POD_NAME: name, RAAS_RUNNER_IMAGE: 'raas:bench' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new BenchFailure('could not start the operator');
  // Only the tail of stderr is kept: at warn level it is small, but a crash loop is not.
  let stderrTail = '';
  child.stderr.on('data', (b: Buffer) => (stderrTail = (stderrTail + b.toString('utf8')).slice(-4000)));
  let exited: string | undefined;
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) exited = `operator exited (code ${code}, signal ${signal})\n${stderrTail}`;
  });
  return {
    pid,
    failure: () => exited,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The first time each object (ns/name) was seen satisfying `test`, from a watch. */
function firstSeen(cluster: TestCluster, path: string, test: (o: Json) => boolean): { seen: Map<string, number>; watch: ListWatch } {
  const seen = new Map<string, number>();
  const api = { host: cluster.cp.host, port: cluster.cp.port, caPem: cluster.cp.caPem, token: cluster.cp.adminToken };
  const watch = listWatch<Json>(api, path, (type, o) => {
    const k = keyOf(o);
    if (type !== 'DELETED' && !seen.has(k) && test(o)) seen.set(k, performance.now());
  });
  return { seen, watch };
}

async function main(): Promise<number> {
  const jobs = intFlag('--jobs', 1000);
  const runs = Math.min(intFlag('--runs', 20), jobs);
  const tCluster = performance.now();
  const cluster = await startTestCluster({ noKubelet: true });
  const watches: ListWatch[] = [];
  try {
    console.log(`control plane ready after ${ms(performance.now() - tCluster)}`);
    for (const ns of NAMESPACES) await cluster.namespace(ns);
    let kubeconfig = cluster.kubeconfig;
    let identity = 'the admin (helm not found: scripts/install-helm.sh renders the chart RBAC)';
    if (findHelm()) {
      kubeconfig = (await cluster.installChartRbac()).kubeconfig;
      identity = 'the chart ServiceAccount raas-system/raas and its ClusterRole';
    } else {
      await cluster.namespace('raas-system');
    }

    const names = Array.from({ length: jobs }, (_, i) => ({ ns: NAMESPACES[i % NAMESPACES.length]!, name: `job-${String(i).padStart(5, '0')}` }));
    const tCreate = performance.now();
    await pool(names, CREATE_CONCURRENCY, async ({ ns, name }) => {
      await cluster.create('reconjobs', ns, reconJob(name, ns));
    });
    console.log(`${jobs} ReconJobs created in ${ms(performance.now() - tCreate)}; operator runs as ${identity}`);

    const crons = firstSeen(cluster, '/apis/batch/v1/cronjobs', () => true);
    const ready = firstSeen(cluster, '/apis/raas.dev/v1alpha1/reconjobs', (o) => hasTrueCondition(o, 'Ready'));
    watches.push(crons.watch, ready.watch);
    // The watches list first: wait until they have (nothing exists yet, so an empty view is a synced one).
    await sleep(500);
    if (crons.seen.size || ready.seen.size) throw new BenchFailure('CronJobs or Ready ReconJobs exist before the operator started; the control plane is not fresh');

    const requestsBefore = await apiRequests(cluster);
    const cpuBefore = childCpu([]);
    const port = await freePort();
    const t0 = performance.now();
    let op = startOperatorProcess(kubeconfig, port, 'raas-bench');
    const pid = op.pid;

    // Every wait also checks the child, so a crash fails at once instead of at a deadline.
    const waitFor = async <T>(what: string, deadlineMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> => {
      const end = performance.now() + deadlineMs;
      for (;;) {
        const failed = op.failure();
        if (failed) throw new BenchFailure(failed);
        const v = await probe();
        if (v !== undefined) return v;
        if (performance.now() > end) throw new BenchFailure(`deadline passed waiting for ${what}`);
        await sleep(POLL_MS);
      }
    };

    try {
      await waitFor(`${jobs} CronJobs and Ready ReconJobs`, RECONCILE_DEADLINE_MS, () => (crons.seen.size >= jobs && ready.seen.size >= jobs ? true : undefined));
      const firstCron = Math.min(...crons.seen.values()) - t0;
      const cronMs = Math.max(...crons.seen.values()) - t0;
      const readyMs = Math.max(...ready.seen.values()) - t0;
      const cpuAfter = childCpu([pid]);
      const cpu = [...cpuAfter].map(([k, v]): [string, number] => [k, v - (cpuBefore.get(k) ?? 0)]).filter(([k, v]) => v > 0.05 && k !== 'node').sort((a, b) => b[1] - a[1]);
      console.log(`CPU during the cold start: ${cpu.map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')} (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`);
      const delta = requestDelta(requestsBefore, await apiRequests(cluster));
      const total = delta.reduce((a, [, d]) => a + d, 0);
      // Includes the controller manager's own requests (e.g. the CronJob controller reading each CronJob).
      console.log(`API requests during the cold start (all clients, watches excluded): ${total}, ${(total / jobs).toFixed(1)} per ReconJob; ${delta.slice(0, 8).map(([k, d]) => `${k} ${d}`).join(', ')}`);
      console.log(`first CronJob after ${ms(firstCron)} (process start-up, informer sync, leader election)`);
      console.log(`reconciled: ${jobs} CronJobs after ${ms(cronMs)}, all Ready after ${ms(readyMs)} (from spawn); ${((jobs * 1000) / (readyMs - firstCron)).toFixed(0)} jobs/s after the first`);

      const rss: number[] = [];
      const steadyEnd = performance.now() + STEADY_MS;
      while (performance.now() < steadyEnd) {
        const failed = op.failure();
        if (failed) throw new BenchFailure(failed);
        const v = vmRss(pid);
        if (v !== undefined) rss.push(v);
        await sleep(RSS_SAMPLE_MS);
      }
      if (!rss.length) throw new BenchFailure('no RSS samples');
      console.log(`memory: ${rss.length} samples over ${STEADY_MS / 1000} s`);

      const jobDone = firstSeen(cluster, '/apis/batch/v1/jobs', (o) => hasTrueCondition(o, 'SuccessCriteriaMet', 'Complete', 'Failed', 'FailureTarget'));
      const runDone = firstSeen(cluster, '/apis/raas.dev/v1alpha1/reconruns', (o) => ['Succeeded', 'Failed'].includes(String(obj(o.status).phase)));
      watches.push(jobDone.watch, runDone.watch);
      const fromJob: number[] = [];
      const fromPod: number[] = [];
      for (const { ns, name } of names.slice(0, runs)) {
        const runName = `${name}-bench`;
        await cluster.create('reconruns', ns, {
          apiVersion: 'raas.dev/v1alpha1',
          kind: 'ReconRun',
          metadata: { name: runName, namespace: ns },
          spec: { jobRef: { name }, window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, trigger: 'Manual' },
        });
        const jobName = runJobName(runName);
        // The real Job controller creates the pod (with its job-tracking finalizer).
        const pod = await waitFor(`the pod of Job ${jobName}`, RUN_DEADLINE_MS, async () => (await cluster.list('v1/pods', ns, `batch.kubernetes.io/job-name=${jobName}`))[0]);
        const containerName = String(arr(obj(pod.spec).containers)[0]?.name ?? 'runner');
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const tPod = performance.now();
        const res = await cluster.cp.request('PUT', `/api/v1/namespaces/${ns}/pods/${md(pod).name}/status`, {
          ...pod,
          status: {
            phase: 'Succeeded',
            startTime: now,
            conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now }],
            containerStatuses: [
              {
                name: containerName,
                ready: false,
                restartCount: 0,
                image: 'raas:bench',
                imageID: '',
                state: { terminated: { exitCode: 0, reason: 'Completed', message: terminationMessage(name, runName), startedAt: now, finishedAt: now } },
              },
            ],
          },
        });
        if (res.status !== 200) throw new BenchFailure(`pod status write: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        const key = `${ns}/${runName}`;
        const tRun = await waitFor(`${runName} to finish`, RUN_DEADLINE_MS, () => runDone.seen.get(key));
        const tJob = await waitFor(`Job ${jobName} finished`, RUN_DEADLINE_MS, () => jobDone.seen.get(`${ns}/${jobName}`));
        const run = await cluster.get('reconruns', ns, runName);
        if (obj(run?.status).phase !== 'Succeeded') throw new BenchFailure(`${runName} went ${String(obj(run?.status).phase)}: ${String(obj(run?.status).message)}`);
        fromJob.push(tRun - tJob);
        fromPod.push(tRun - tPod);
      }

      // A restart: every CronJob exists and every ReconJob is Ready, so the new process
      // should find nothing to write. Done when it has reconciled each ReconJob once (its
      // resync on becoming leader queues them all) and its queues are empty.
      await op.stop();
      const requestsBeforeRestart = await apiRequests(cluster);
      const tRestart = performance.now();
      op = startOperatorProcess(kubeconfig, port, 'raas-bench-restarted');
      await waitFor('the restarted operator to reconcile every ReconJob', RECONCILE_DEADLINE_MS, async () => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
        const done = Number(/^raas_reconcile_duration_seconds_count\{kind="reconjob"\} (\d+)/m.exec(text)?.[1] ?? 0);
        const depth = [...text.matchAll(/^raas_workqueue_depth\{queue="[^"]+"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
        return done >= jobs && depth === 0 ? true : undefined;
      });
      const restartMs = performance.now() - tRestart;
      const restartDelta = requestDelta(requestsBeforeRestart, await apiRequests(cluster));
      const restartWrites = restartDelta.filter(([k]) => !/^(GET|LIST) /.test(k));
      console.log(`restart: every ReconJob reconciled ${ms(restartMs)} after spawn; writes: ${restartWrites.map(([k, d]) => `${k} ${d}`).join(', ') || 'none'}`);

      const rows: [string, number, number, (n: number) => string][] = [
        [`${jobs} ReconJobs -> CronJobs (from spawn)`, cronMs, TARGET_RECONCILE_MS, ms],
        [`${jobs} ReconJobs Ready (from spawn)`, readyMs, TARGET_RECONCILE_MS, ms],
        [`restart with ${jobs} ReconJobs: all reconciled (from spawn)`, restartMs, TARGET_RECONCILE_MS, ms],
        ['operator RSS, steady (median)', median(rss), TARGET_RSS_BYTES, mb],
        ['operator RSS, max while idle', Math.max(...rss), TARGET_RSS_BYTES, mb],
        [`status latency after the Job finished, median (${runs} runs)`, median(fromJob), TARGET_STATUS_MS, ms],
        [`status latency after the Job finished, max (${runs} runs)`, Math.max(...fromJob), TARGET_STATUS_MS, ms],
        [`status latency after the pod terminated, median`, median(fromPod), TARGET_STATUS_MS, ms],
        [`status latency after the pod terminated, max`, Math.max(...fromPod), TARGET_STATUS_MS, ms],
      ];
      const cells = rows.map(([label, value, target, fmt]) => [label, fmt(value), `< ${fmt(target)}`, ratio(value, target), value < target ? 'PASS' : 'MISS']);
      const heads = ['measure', 'value', 'target §7', 'ratio', 'result'];
      const w = heads.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
      const line = (c: string[]) => c.map((x, i) => (i === 1 || i === 3 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ').trimEnd();
      console.log(`\n${line(heads)}`);
      for (const c of cells) console.log(line(c));
      return 0;
    } finally {
      await op.stop();
    }
  } finally {
    for (const w of watches) w.stop();
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`operator bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
