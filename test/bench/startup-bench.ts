// First part of `npm run bench`: start-up and many small jobs, whole process.
//   - `raas --help`, N times (target: median under 0.25 s);
//   - a 10k x 10k local Parquet recon, --runs times back to back, one process each, the way
//     a cluster runs many small daily recons (target: median under 0.5 s); median and p95;
//   - a few of the same runs from the sources through tsx (RAAS_FROM_SOURCE=1), to show what
//     the compiled build saves.
// Every small run must report the same counts. Targets are printed, never asserted.
//
//   npm run bench:startup -- [--runs 200] [--help-runs 20] [--source-runs 5]
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../../runner/run/summary.ts';
import { ensureBenchData } from './generate-data.ts';
import { benchManifestYaml, ensureBuild, quantile } from './common.ts';
import { measure, type Measured } from './measure.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RAAS = join(ROOT, 'bin/raas.js');
const HELP_TARGET_MS = 250;
const SMALL_TARGET_MS = 500;
const SMALL_ROWS = 10_000;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function count(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) fail(`${flag} "${text}" must be a whole number`);
  return n;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const mb = (b: number) => `${Math.round(b / 1024 ** 2)} MB`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function line(label: string, ms: Measured[]): string {
  const wall = ms.map((m) => m.wallMs);
  const cpu = ms.flatMap((m) => (m.cpuMs !== undefined ? [m.cpuMs] : []));
  return (
    `${label.padEnd(38)} runs ${String(ms.length).padStart(3)}  median ${secs(quantile(wall, 0.5))}  p95 ${secs(quantile(wall, 0.95))}  ` +
    `min ${secs(Math.min(...wall))}  cpu median ${cpu.length ? secs(quantile(cpu, 0.5)) : 'n/a'}  peak RSS ${mb(Math.max(...ms.map((m) => m.peakRssBytes)))}`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { runs: { type: 'string' }, 'help-runs': { type: 'string' }, 'source-runs': { type: 'string' } },
    strict: true,
  });
  const runs = count(values.runs, '--runs', 200);
  const helpRuns = count(values['help-runs'], '--help-runs', 20);
  const sourceRuns = count(values['source-runs'], '--source-runs', 5);
  const log = (l: string) => process.stderr.write(`bench: ${l}\n`);

  const build = ensureBuild(log);
  console.log(`start-up and small jobs: bin/raas.js runs ${build}`);

  const help: Measured[] = [];
  for (let i = 0; i < helpRuns; i++) {
    const m = await measure(process.execPath, [RAAS, '--help'], { cwd: ROOT });
    if (m.exitCode !== 0) fail(`raas --help exited with ${m.exitCode}: ${m.stderr.trim()}`);
    help.push(m);
  }

  const data = await ensureBenchData(join(ROOT, '.tmp/bench'), SMALL_ROWS, log);
  const manifest = join(data.dir, 'reconjob.yaml');
  await writeFile(manifest, benchManifestYaml());
  const out = join(data.dir, 'out-small');
  const small = async (env: NodeJS.ProcessEnv): Promise<{ m: Measured; counts: string }> => {
    await rm(out, { recursive: true, force: true });
    const args = [RAAS, 'run', '-f', manifest, '--start', '2024-01-01', '--end', '2024-01-02', '--out', out, '--json', '-q'];
    const m = await measure(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
    if (m.exitCode !== 0) fail(`raas run exited with ${m.exitCode}: ${m.stderr.trim()}`);
    return { m, counts: JSON.stringify((JSON.parse(m.stdout) as RunSummary).counts) };
  };
  const compiled: Measured[] = [];
  const answers = new Set<string>();
  for (let i = 0; i < runs; i++) {
    const r = await small({});
    compiled.push(r.m);
    answers.add(r.counts);
    if ((i + 1) % 50 === 0) log(`small recon ${i + 1}/${runs}`);
  }
  const source: Measured[] = [];
  for (let i = 0; i < sourceRuns; i++) {
    const r = await small({ RAAS_FROM_SOURCE: '1' });
    source.push(r.m);
    answers.add(r.counts);
  }
  await rm(out, { recursive: true, force: true });
  if (answers.size !== 1) {
    console.error(`!!!!!!!! MISMATCH: the small runs disagree on the counts: ${[...answers].join(' / ')}`);
    process.exit(1);
  }

  console.log(line('raas --help', help));
  if (compiled.length) console.log(line(`raas run ${SMALL_ROWS / 1000}k x ${SMALL_ROWS / 1000}k (compiled)`, compiled));
  if (source.length) console.log(line(`raas run ${SMALL_ROWS / 1000}k x ${SMALL_ROWS / 1000}k (sources via tsx)`, source));
  console.log(`counts of every small run: ${[...answers][0]}`);
  console.log('\nstart-up targets (reported, not enforced; wall time of the whole process):');
  if (help.length) {
    const h = quantile(help.map((m) => m.wallMs), 0.5);
    console.log(`  raas --help          median < ${secs(HELP_TARGET_MS)}   measured ${secs(h)}   ${verdict(h < HELP_TARGET_MS)}`);
  }
  if (compiled.length) {
    const s = quantile(compiled.map((m) => m.wallMs), 0.5);
    console.log(`  10k-row local recon  median < ${secs(SMALL_TARGET_MS)}   measured ${secs(s)}   ${verdict(s < SMALL_TARGET_MS)}`);
  }
  console.log('');
}

await main();
