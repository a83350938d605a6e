// `raas sandbox` as a user meets it: a child process (a real control plane on loopback) that
// writes a kubeconfig once ready, driven with the real kubectl and the kubectl plugin.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAAS_BIN } from '../support/run-cli.ts';
import { waitFor } from '../support/operator-env.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL) || spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const kubectlBin = existsSync(KUBECTL) ? KUBECTL : 'kubectl';
const PLUGIN = RAAS_BIN.replace(/raas\.js$/, 'kubectl-recon.js');

let dir: string;
let child: ChildProcess | undefined;
let printed = '';
let kubeconfig: string;

function kubectl(...args: string[]) {
  const r = spawnSync(kubectlBin, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function plugin(...args: string[]) {
  const r = spawnSync(process.execPath, [PLUGIN, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.runIf(haveKubectl || process.env.CI === 'true')('raas sandbox with the real kubectl', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    if (!haveKubectl) throw new Error(`kubectl not found at ${KUBECTL} or on PATH (CI=true: failing instead of skipping)`);
    dir = await mkdtemp(join(tmpdir(), 'raas-sandbox-'));
    kubeconfig = join(dir, 'kubeconfig');
    child = spawn(process.execPath, [RAAS_BIN, 'sandbox', '--kubeconfig', kubeconfig, '--log-level', 'warn', '--metrics-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
    // The file is the readiness signal; the printed lines may reach this process a moment later.
    await waitFor('the sandbox kubeconfig and its banner', () => (existsSync(kubeconfig) && printed.includes('stop with Ctrl-C')) || (child!.exitCode !== null && new Error(printed)), 120_000);
    expect(child.exitCode, printed).toBeNull();
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((r) => child!.once('exit', r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('applies a ReconJob, backfills two days, and shows the report with printer columns', async () => {
    expect(printed).toMatch(/kubeconfig written to/);
    expect(await readFile(kubeconfig, 'utf8')).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);
    expect(kubectl('version', '-o', 'json').out).toMatch(/"gitVersion": "v1\.37\.2"/);
    const apply = kubectl('apply', '-f', 'examples/sandbox/reconjob.yaml');
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(/reconjob\.raas\.dev\/orders-vs-settlements created/);
    const wait = kubectl('wait', '--for=condition=Ready', 'reconjob/orders-vs-settlements', '--timeout=60s');
    expect(wait.out + wait.err).toMatch(/condition met/);

    const bf = plugin('backfill', 'orders-vs-settlements', '--from', '2024-01-01', '--to', '2024-01-02');
    expect(bf.code).toBe(0);
    expect(bf.out).toMatch(/2 created, 0 already there/);
    expect(plugin('backfill', 'orders-vs-settlements', '--from', '2024-01-01', '--to', '2024-01-02').out).toMatch(/0 created, 2 already there/);

    const table = await waitFor('both runs Succeeded in kubectl get rr', () => {
      const r = kubectl('get', 'rr');
      return (r.out.match(/Succeeded/g) ?? []).length === 2 ? r.out : undefined;
    }, 120_000);
    const [header, ...rows] = table.trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'JOB', 'WINDOW', 'PHASE', 'BALANCED', 'MATCHED', 'MISMATCHED', 'LEFT-ONLY', 'RIGHT-ONLY', 'AGE']);
    expect(rows[0]!.split(/\s+/).slice(1, 9)).toEqual(['orders-vs-settlements', '2024-01-01T00:00:00+00:00', 'Succeeded', 'false', '15', '2', '1', '1']);

    const json = JSON.parse(kubectl('get', 'reconrun', 'orders-vs-settlements-20240101-20240102', '-o', 'json').out);
    expect(json.status).toMatchObject({ phase: 'Succeeded', balanced: false, diffTotals: { amount: '-9.99' }, results: { summaryUri: 's3://raas-results/orders-vs-settlements/2024-01-01/summary.json' } });
    expect(kubectl('get', 'rj', 'orders-vs-settlements', '-o', 'yaml').out).toMatch(/type: Ready\n\s+status: "True"|status: "True"\n\s+type: Ready/);

    const results = plugin('results', 'orders-vs-settlements-20240101-20240102');
    expect(results.out).toMatch(/mismatched\s+2\s+\(amount 1, currency 1\)/);
    expect(plugin('runs', 'orders-vs-settlements').out.split('\n').filter(Boolean)).toHaveLength(3);

    const metricsUrl = /operator metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(printed)?.[1];
    expect(metricsUrl).toBeDefined();
    const metrics = await (await fetch(metricsUrl!)).text();
    expect(metrics).toMatch(/raas_runs_total\{namespace="default",job="orders-vs-settlements",result="unbalanced"\} 2/);
    expect(metrics).toMatch(/raas_last_run_mismatched\{namespace="default",job="orders-vs-settlements"\} 2/);

    expect(kubectl('delete', 'rj', 'orders-vs-settlements').out).toMatch(/deleted/);
    await waitFor('the runs to go with their job', () => /No resources found/.test(kubectl('get', 'rr').err + kubectl('get', 'rr').out));
  });

  it('kubectl explain shows the schema descriptions', () => {
    const r = kubectl('explain', 'reconjob.spec.compare.tolerance');
    expect(r.code).toBe(0);
    expect(r.out.replace(/\s+/g, " ")).toMatch(/values match when \|right - left\| <= absolute \+ relative \* \|left\|/);
    expect(kubectl('explain', 'reconrun.status.counts').out).toMatch(/matched/);
  });

  it('refuses a malformed --metrics-port', () => {
    const r = spawnSync(process.execPath, [RAAS_BIN, 'sandbox', '--kubeconfig', join(dir, 'x'), '--metrics-port', 'abc'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--metrics-port "abc" must be a port number/);
  });

  it('rejects an invalid ReconJob at apply time with the field named (CRD schema)', () => {
    const r = spawnSync(kubectlBin, ['apply', '-f', '-'], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      encoding: 'utf8',
      input: 'apiVersion: raas.dev/v1alpha1\nkind: ReconJob\nmetadata: { name: bad }\nspec: { left: { uri: a }, right: { uri: b }, keys: [], output: { mode: Diffs } }\n',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.output\.mode/);
    expect(r.stderr).toMatch(/spec\.keys/);
  });
});
