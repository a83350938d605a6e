// `npm run bench:operator`: measures the operator against the DESIGN §7 targets, with the
// in-process Kubernetes API test server standing in for the cluster.
//
//   - N ReconJobs (default 1000, --jobs N) exist before the operator starts, so the time
//     from spawn to N CronJobs is the cold-start reconcile a restarted operator faces.
//   - Steady RSS of the operator process while idle with N jobs cached (VmRSS, 500 ms).
//   - Status latency: this process plays the Job controller and kubelet for M manual runs
//     (--runs M, default 20) and times Job Complete -> ReconRun phase Succeeded.
//
// It is a report: misses print MISS and still exit 0. Exit 1 only when the operator
// died or a deadline passed, because then the numbers mean nothing.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allCrds } from '../../operator/api/crds.ts';
import { startKubeApiServer, type KObject } from '../support/kube/api-server.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NAMESPACES = ['bench-a', 'bench-b', 'bench-c', 'bench-d'];
const POLL_MS = 50;
const RECONCILE_DEADLINE_MS = 5 * 60_000;
const RUN_DEADLINE_MS = 60_000;
const STEADY_MS = 20_000;
const RSS_SAMPLE_MS = 500;

// DESIGN §7. "Within seconds" is read as under 10 s: more than that is no longer seconds.
const TARGET_RECONCILE_MS = 10_000;
const TARGET_RSS_BYTES = 150 * 1024 * 1024;
const TARGET_STATUS_MS = 2_000;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object') : []);

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

function isReady(o: KObject): boolean {
  return arr(obj(o.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
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

function terminationMessage(job: string, run: string): string {
  return JSON.stringify({
    phase: 'Succeeded',
    job,
    run,
    window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' },
    balanced: true,
    counts: { left: 1, right: 1, matched: 1, mismatched: 0, leftOnly: 0, rightOnly: 0, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
    mismatchedByColumn: {},
    diffTotals: {},
    summaries: {},
    results: { uri: '/tmp/x', files: [], summaryUri: '/tmp/x/summary.json' },
  });
}

async function main(): Promise<number> {
  const jobs = intFlag('--jobs', 1000);
  const runs = Math.min(intFlag('--runs', 20), jobs);
  const api = await startKubeApiServer({ crds: allCrds() });
  const store = api.store;
  const work = await mkdtemp(join(tmpdir(), 'raas-op-bench-'));
  const kubeconfig = join(work, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);

  for (const ns of NAMESPACES) store.create('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const names: { ns: string; name: string }[] = [];
  for (let i = 0; i < jobs; i++) {
    const ns = NAMESPACES[i % NAMESPACES.length]!;
    const name = `job-${String(i).padStart(5, '0')}`;
    store.create('reconjobs', reconJob(name, ns));
    names.push({ ns, name });
  }

  const t0 = performance.now();
  const child = spawn(process.execPath, [join(REPO, 'bin/raas.js'), 'operator', '--kubeconfig', kubeconfig, '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, RAAS_LEADER_ELECTION: 'false', RAAS_LOG_LEVEL: 'warn', RAAS_HTTP_HOST: '127.0.0.1', POD_NAMESPACE: 'bench-a', RAAS_RUNNER_IMAGE: 'raas:bench' },
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

  // Every wait also checks the child, so a crash fails at once instead of at a deadline.
  const waitFor = async <T>(what: string, deadlineMs: number, probe: () => T | undefined): Promise<T> => {
    const end = performance.now() + deadlineMs;
    for (;;) {
      if (exited) throw new BenchFailure(exited);
      const v = probe();
      if (v !== undefined) return v;
      if (performance.now() > end) throw new BenchFailure(`deadline passed waiting for ${what}`);
      await sleep(POLL_MS);
    }
  };

  try {
    const [cronMs, readyMs] = await (async () => {
      let cron: number | undefined;
      let first: number | undefined;
      await waitFor(`${jobs} CronJobs and Ready ReconJobs`, RECONCILE_DEADLINE_MS, () => {
        const n = store.list('batch/v1/cronjobs').length;
        // The first CronJob separates process start-up (Node, tsx, informer sync) from reconcile throughput.
        if (first === undefined && n > 0) console.log(`first CronJob after ${ms((first = performance.now() - t0))}`);
        if (cron === undefined && n >= jobs) cron = performance.now() - t0;
        if (cron === undefined) return undefined;
        return store.list('reconjobs').every(isReady) ? true : undefined;
      });
      return [cron!, performance.now() - t0];
    })();
    console.log(`reconciled: ${jobs} CronJobs after ${ms(cronMs)}, all Ready after ${ms(readyMs)} (from spawn)`);

    const rss: number[] = [];
    const steadyEnd = performance.now() + STEADY_MS;
    while (performance.now() < steadyEnd) {
      if (exited) throw new BenchFailure(exited);
      const v = vmRss(pid);
      if (v !== undefined) rss.push(v);
      await sleep(RSS_SAMPLE_MS);
    }
    if (!rss.length) throw new BenchFailure('no RSS samples');
    console.log(`memory: ${rss.length} samples over ${STEADY_MS / 1000} s`);

    const latencies: number[] = [];
    for (const { ns, name } of names.slice(0, runs)) {
      const runName = `${name}-bench`;
      store.create('reconruns', {
        apiVersion: 'raas.dev/v1alpha1',
        kind: 'ReconRun',
        metadata: { name: runName, namespace: ns, labels: { 'raas.dev/job': name } },
        spec: { jobRef: { name }, window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, trigger: 'Manual' },
      });
      const job = await waitFor(`the Job of ${runName}`, RUN_DEADLINE_MS, () =>
        store.list('batch/v1/jobs', ns).find((j) => j.metadata.labels?.['raas.dev/run'] === runName),
      );
      const jobName = job.metadata.name!;
      const template = obj(obj(job.spec).template);
      const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      // A real pod terminates before the Job controller marks the Job Complete, so the pod
      // (with the runner's report) is written first and the clock starts at the Job write.
      store.create('v1/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${jobName.slice(0, 57)}-bench`,
          namespace: ns,
          labels: { ...obj(obj(template.metadata).labels), 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName, 'raas.dev/job': name },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: String(job.metadata.uid), controller: true, blockOwnerDeletion: true }],
        },
        spec: structuredClone(obj(template.spec)),
      });
      const pod = store.get('v1/pods', ns, `${jobName.slice(0, 57)}-bench`)!;
      const containerName = String(arr(obj(template.spec).containers)[0]?.name ?? 'runner');
      store.updateStatus('v1/pods', {
        ...pod,
        status: {
          phase: 'Succeeded',
          startTime: started,
          containerStatuses: [
            {
              name: containerName,
              ready: false,
              restartCount: 0,
              image: 'raas:bench',
              state: { terminated: { exitCode: 0, reason: 'Completed', message: terminationMessage(name, runName), startedAt: started, finishedAt: started } },
            },
          ],
        },
      });
      const current = store.get('batch/v1/jobs', ns, jobName)!;
      const tDone = performance.now();
      store.updateStatus('batch/v1/jobs', {
        ...current,
        status: {
          active: 0,
          ready: 0,
          succeeded: 1,
          startTime: started,
          completionTime: started,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: started, lastTransitionTime: started },
            { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: started, lastTransitionTime: started },
          ],
        },
      });
      await waitFor(`${runName} to be Succeeded`, RUN_DEADLINE_MS, () => {
        const r = store.get('reconruns', ns, runName);
        const phase = obj(r?.status).phase;
        if (phase === 'Failed') throw new BenchFailure(`${runName} went Failed: ${String(obj(r?.status).message)}`);
        return phase === 'Succeeded' ? true : undefined;
      });
      latencies.push(performance.now() - tDone);
    }

    const rows: [string, string, string, boolean][] = [
      [`${jobs} ReconJobs -> CronJobs (from spawn)`, ms(cronMs), `< ${ms(TARGET_RECONCILE_MS)}`, cronMs < TARGET_RECONCILE_MS],
      [`${jobs} ReconJobs Ready (from spawn)`, ms(readyMs), `< ${ms(TARGET_RECONCILE_MS)}`, readyMs < TARGET_RECONCILE_MS],
      ['operator RSS, steady (median)', mb(median(rss)), `< ${mb(TARGET_RSS_BYTES)}`, median(rss) < TARGET_RSS_BYTES],
      ['operator RSS, max while idle', mb(Math.max(...rss)), `< ${mb(TARGET_RSS_BYTES)}`, Math.max(...rss) < TARGET_RSS_BYTES],
      [`run status latency, median (${runs} runs)`, ms(median(latencies)), `< ${ms(TARGET_STATUS_MS)}`, median(latencies) < TARGET_STATUS_MS],
      [`run status latency, max (${runs} runs)`, ms(Math.max(...latencies)), `< ${ms(TARGET_STATUS_MS)}`, Math.max(...latencies) < TARGET_STATUS_MS],
    ];
    const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(8, ...rows.map((r) => r[1].length)), Math.max(...rows.map((r) => r[2].length))];
    console.log(`\n${'measure'.padEnd(w[0]!)}  ${'value'.padStart(w[1]!)}  ${'target §7'.padEnd(w[2]!)}  result`);
    for (const [label, value, target, ok] of rows) console.log(`${label.padEnd(w[0]!)}  ${value.padStart(w[1]!)}  ${target.padEnd(w[2]!)}  ${ok ? 'PASS' : 'MISS'}`);
    return 0;
  } finally {
    stopping = true;
    child.kill('SIGKILL');
    await api.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`operator bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
