// Debian's Prometheus for the alert tests (scripts/install-web-test-deps.sh): the chart's
// PrometheusRule rendered by the real helm into a plain rule file, promtool, and a real
// Prometheus server on a loopback port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../operator/sandbox/control-plane.ts';
import { findHelm, repoRoot, runHelm } from './helm.ts';
import { waitFor } from './cluster.ts';

export function findPromTool(name: 'promtool' | 'prometheus'): string {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${name} is not installed (bash scripts/install-web-test-deps.sh installs Debian's prometheus)`);
  return name;
}

/** The chart's alert rules as a Prometheus rule file (the PrometheusRule's spec). */
export async function chartRuleFile(dir: string, values: string[] = [], o: { withoutAnnotations?: boolean } = {}): Promise<string> {
  const helm = findHelm();
  if (!helm) throw new Error('helm is not installed (scripts/install-helm.sh)');
  const home = await mkdtemp(join(tmpdir(), 'raas-helm-'));
  try {
    const res = runHelm(helm, ['template', 'raas', join(repoRoot, 'charts', 'raas'), '-n', 'raas-system', '--set', 'metrics.prometheusRule.enabled=true', ...values.flatMap((v) => ['--set', v]), '--show-only', 'templates/prometheusrule.yaml'], { home });
    if (res.status !== 0) throw new Error(`helm template: ${res.stderr}`);
    const rule = parse(res.stdout) as { spec: { groups: Array<{ rules: Array<Record<string, unknown>> }> } };
    // promtool compares annotations exactly; tests about when and with which labels an alert
    // fires leave the (long, human) texts out.
    if (o.withoutAnnotations) for (const g of rule.spec.groups) for (const r of g.rules) delete r.annotations;
    const file = join(dir, 'raas-rules.yaml');
    await writeFile(file, stringify({ groups: rule.spec.groups }));
    return file;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export interface RunningPrometheus {
  url: string;
  query<T = unknown>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(o: { targets: string[]; ruleFile: string; dir: string }): Promise<RunningPrometheus> {
  const exe = findPromTool('prometheus');
  const port = await freePort();
  const config = join(o.dir, 'prometheus.yml');
  await writeFile(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [o.ruleFile],
      // As the chart's ServiceMonitor: job/namespace as the alerts expect, and the run
      // series' own namespace/job labels kept (honor_labels).
      scrape_configs: [{ job_name: 'raas', honor_labels: true, static_configs: [{ targets: o.targets, labels: { namespace: 'raas-system' } }] }],
    }),
  );
  let log = '';
  const child: ChildProcess = spawn(exe, [`--config.file=${config}`, `--storage.tsdb.path=${join(o.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  try {
    await waitFor('Prometheus ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, 30_000);
  } catch (err) {
    await stop();
    throw new Error(`prometheus did not start: ${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url,
    async query<T>(path: string) {
      const r = await fetch(`${url}${path}`);
      return (await r.json()) as T;
    },
    stop,
  };
}
