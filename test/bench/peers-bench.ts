// `npm run bench:peers` (docs/design.md, Performance targets): raas against datacompy on pandas, Polars and
// Spark (local[2]) on the same Parquet files, at several sizes. Every engine runs in its own
// process, interleaved (one round of all engines, then the next), and is measured the same
// way: wall time, CPU time and peak RSS of the whole process tree (Spark's JVM included).
// Every engine must report the same matched / mismatched / left-only / right-only counts;
// a size where they disagree is flagged and its ratios are not printed. Targets are printed,
// never asserted.
//
// The Python side lives in a venv under .tmp/bench/venv, created from PyPI on first use
// (datacompy, pandas, polars, pyarrow, pyspark); a peer whose packages (or, for Spark, Java)
// are missing is skipped with the reason.
//
//   npm run bench:peers -- [--sizes 10000,1000000,10000000] [--engines raas,raas-spark,pandas,polars,spark]
//                          [--repeat 1] [--timeout 900]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../../runner/run/summary.ts';
import { benchManifestYaml, ensureBuild, imageEnv, quantile } from './common.ts';
import { ensureBenchData } from './generate-data.ts';
import { measure, type Measured } from './measure.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const VENV = join(ROOT, '.tmp/bench/venv');
const PYTHON = join(VENV, 'bin/python');
const PEER_SCRIPT = join(ROOT, 'test/bench/peers/peer_compare.py');
const PIP_PACKAGES = ['datacompy', 'pandas', 'polars', 'pyarrow', 'pyspark'];

type Engine = 'raas' | 'raas-spark' | 'pandas' | 'polars' | 'spark';
const ENGINES: readonly Engine[] = ['raas', 'raas-spark', 'pandas', 'polars', 'spark'];
const LABEL: Record<Engine, string> = { raas: 'raas', 'raas-spark': 'raas on Spark local[2]', pandas: 'datacompy on pandas', polars: 'datacompy on Polars', spark: 'datacompy on Spark local[2]' };
/** raas must be at least this many times faster (whole-process wall time), per docs/design.md, Performance targets. */
const SPEED_TARGET: Record<Exclude<Engine, 'raas' | 'raas-spark'>, number> = { pandas: 10, polars: 2, spark: 10 };
const IMPORTS: Record<Exclude<Engine, 'raas' | 'raas-spark'>, string> = {
  pandas: 'import datacompy, pandas, pyarrow',
  polars: 'import datacompy, polars',
  spark: 'import datacompy.spark, pyspark',
};

interface Counts {
  matched: number;
  mismatched: number;
  leftOnly: number;
  rightOnly: number;
}

interface Sample {
  m: Measured;
  counts: Counts;
  versions?: Record<string, string>;
}

const log = (l: string) => process.stderr.write(`bench: ${l}\n`);

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** Creates the venv and installs the peers from PyPI when they do not import yet. Returns why a peer cannot run, per peer. */
function preparePython(peers: Array<Exclude<Engine, 'raas' | 'raas-spark'>>): Map<Engine, string> {
  const skipped = new Map<Engine, string>();
  if (peers.length === 0) return skipped;
  const python3 = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (python3.status !== 0) {
    for (const p of peers) skipped.set(p, 'python3 is not installed');
    return skipped;
  }
  const importsOk = (p: Exclude<Engine, 'raas' | 'raas-spark'>) => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', IMPORTS[p]], { encoding: 'utf8' }).status === 0;
  if (!peers.every(importsOk)) {
    log(`creating ${VENV} and installing ${PIP_PACKAGES.join(', ')} from PyPI (once; several minutes) ...`);
    if (!existsSync(PYTHON)) {
      const v = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
      if (v.status !== 0) {
        for (const p of peers) skipped.set(p, `python3 -m venv failed: ${(v.stderr || v.stdout).trim().split('\n').pop()}`);
        return skipped;
      }
    }
    // One package at a time, so one that cannot be installed skips only the peers needing it.
    for (const pkg of PIP_PACKAGES) {
      const r = spawnSync(PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0) log(`pip install ${pkg} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    }
  }
  for (const p of peers) {
    const r = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', IMPORTS[p]], { encoding: 'utf8' }) : undefined;
    if (!r || r.status !== 0) skipped.set(p, `cannot import its packages (${IMPORTS[p]}): ${(r?.stderr ?? 'no venv').trim().split('\n').pop()}`);
  }
  if (peers.includes('spark') && !skipped.has('spark')) {
    const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
    if (java.status !== 0) skipped.set('spark', 'java is not installed (Spark needs Java 17)');
  }
  return skipped;
}

function parseList(text: string, flag: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) fail(`${flag} needs at least one value`);
  return items;
}

async function runRaas(manifest: string, out: string, workDir: string, timeoutMs: number, spark = false): Promise<Sample> {
  await rm(out, { recursive: true, force: true });
  const args = [join(ROOT, 'bin/raas.js'), 'run', '-f', manifest, '--start', '2024-01-01', '--end', '2024-01-02', '--out', out, '--json', '-q', ...(spark ? ['--engine', 'spark'] : [])];
  // On Spark, the same master as datacompy's Spark peer, so the two compare like for like.
  const m = await measure(process.execPath, args, { cwd: ROOT, env: { ...imageEnv(process.env), RAAS_WORK_DIR: workDir, ...(spark ? { RAAS_SPARK_MASTER: 'local[2]' } : {}) }, timeoutMs });
  if (m.exitCode !== 0) throw new Error(`raas exited with ${m.exitCode}${m.timedOut ? ' (timed out)' : ''}: ${m.stderr.trim().split('\n').pop()}`);
  const c = (JSON.parse(m.stdout) as RunSummary).counts;
  return { m, counts: { matched: c.matched, mismatched: c.mismatched, leftOnly: c.leftOnly, rightOnly: c.rightOnly } };
}

async function runPeer(engine: Exclude<Engine, 'raas' | 'raas-spark'>, left: string, right: string, timeoutMs: number): Promise<Sample> {
  const m = await measure(PYTHON, [PEER_SCRIPT, engine, left, right], { cwd: ROOT, env: { ...process.env, PYTHONWARNINGS: 'ignore' }, timeoutMs });
  if (m.exitCode !== 0) {
    const last = m.stderr.trim().split('\n').filter((l) => !/^\s*at |^\s*$/.test(l)).pop() ?? '';
    throw new Error(`${LABEL[engine]} exited with ${m.exitCode}${m.timedOut ? ` (killed after ${timeoutMs / 1000} s)` : ''}: ${last.slice(0, 300)}`);
  }
  const line = m.stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as { counts: Counts; versions: Record<string, string> };
  return { m, counts: parsed.counts, versions: parsed.versions };
}

const secs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const gb = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GB` : `${Math.round(b / 1024 ** 2)} MB`);
const countText = (c: Counts) => `${c.matched}/${c.mismatched}/${c.leftOnly}/${c.rightOnly}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      sizes: { type: 'string', default: '10000,1000000,10000000' },
      engines: { type: 'string', default: ENGINES.join(',') },
      repeat: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '900' },
    },
    strict: true,
  });
  const sizes = parseList(values.sizes, '--sizes').map((s) => {
    const n = Number(s.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < 1000) fail(`--sizes entry "${s}" must be a whole number of at least 1000`);
    return n;
  });
  const engines = parseList(values.engines, '--engines').map((e) => {
    if (!(ENGINES as readonly string[]).includes(e)) fail(`--engines entry "${e}" must be one of ${ENGINES.join(', ')}`);
    return e as Engine;
  });
  if (!engines.includes('raas')) fail('--engines must include raas (the ratios are against it)');
  const repeat = Number(values.repeat);
  const timeoutMs = Number(values.timeout) * 1000;
  if (!Number.isSafeInteger(repeat) || repeat < 1) fail(`--repeat "${values.repeat}" must be a whole number of at least 1`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail(`--timeout "${values.timeout}" must be a number of seconds`);

  const build = ensureBuild(log);
  const peers = engines.filter((e): e is Exclude<Engine, 'raas' | 'raas-spark'> => e !== 'raas' && e !== 'raas-spark');
  const skipped = preparePython(peers);
  const active = engines.filter((e) => !skipped.has(e));
  console.log(`raas vs datacompy peers: sizes ${sizes.map((s) => s.toLocaleString('en-US')).join(', ')} rows per side, ${repeat} run(s) each, interleaved; raas runs ${build}`);
  if (process.env.NODE_EXTRA_CA_CERTS) console.log('raas runs without NODE_EXTRA_CA_CERTS, as the image does (Node reads that bundle at every start; no TLS is used here)');
  for (const [e, why] of skipped) console.log(`  SKIPPED ${LABEL[e]}: ${why}`);

  const versions: Record<string, string> = {};
  const markdown: string[] = ['| rows per side | engine | wall | CPU | peak RSS | counts m/mm/lo/ro | wall vs raas |', '|---|---|---|---|---|---|---|'];
  let disagreements = 0;
  for (const size of sizes) {
    const data = await ensureBenchData(join(ROOT, '.tmp/bench'), size, log);
    const manifest = join(data.dir, 'reconjob.yaml');
    await writeFile(manifest, benchManifestYaml());
    const samples = new Map<Engine, Sample[]>();
    const failures = new Map<Engine, string>();
    for (let r = 1; r <= repeat; r++) {
      for (const e of active) {
        if (failures.has(e)) continue;
        try {
          const s =
            e === 'raas' || e === 'raas-spark' ? await runRaas(manifest, join(data.dir, 'out-peers'), data.dir, timeoutMs, e === 'raas-spark') : await runPeer(e, data.left, data.right, timeoutMs);
          samples.set(e, [...(samples.get(e) ?? []), s]);
          Object.assign(versions, s.versions ?? {});
          log(`${size.toLocaleString('en-US')} rows, run ${r}/${repeat}: ${LABEL[e].padEnd(28)} ${secs(s.m.wallMs)}  cpu ${s.m.cpuMs !== undefined ? secs(s.m.cpuMs) : 'n/a'}  ${gb(s.m.peakRssBytes)}  counts ${countText(s.counts)}`);
        } catch (err) {
          failures.set(e, (err as Error).message);
          log(`${size.toLocaleString('en-US')} rows: ${LABEL[e]} FAILED: ${(err as Error).message}`);
        }
      }
    }
    await rm(join(data.dir, 'out-peers'), { recursive: true, force: true });

    const raas = samples.get('raas');
    if (!raas) fail(`raas failed at ${size} rows: ${failures.get('raas')}`);
    const answer = countText(raas[0]!.counts);
    const disagree = [...samples].filter(([, ss]) => ss.some((s) => countText(s.counts) !== answer)).map(([e]) => e);
    const stat = (ss: Sample[]) => ({
      wall: quantile(ss.map((s) => s.m.wallMs), 0.5),
      cpu: ss.every((s) => s.m.cpuMs !== undefined) ? quantile(ss.map((s) => s.m.cpuMs!), 0.5) : undefined,
      rss: Math.max(...ss.map((s) => s.m.peakRssBytes)),
    });
    const base = stat(raas);
    console.log(`\n${size.toLocaleString('en-US')} x ${size.toLocaleString('en-US')} rows (counts matched/mismatched/left-only/right-only; raas: ${answer})`);
    console.log(`  ${'engine'.padEnd(28)} ${'wall'.padStart(8)} ${'CPU'.padStart(8)} ${'peak RSS'.padStart(9)}  counts                     wall/raas  CPU/raas  RSS/raas  target`);
    for (const e of active) {
      const ss = samples.get(e);
      if (!ss) {
        console.log(`  ${LABEL[e].padEnd(28)} FAILED: ${failures.get(e)}`);
        markdown.push(`| ${size.toLocaleString('en-US')} | ${LABEL[e]} | failed | | | | |`);
        continue;
      }
      const st = stat(ss);
      const same = !disagree.includes(e);
      const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && same ? `${(a / b).toFixed(1)}x` : '');
      let target = '';
      const onSpark = samples.get('raas-spark');
      if (e === 'spark' && same && onSpark && !disagree.includes('raas-spark')) {
        // raas on Spark must beat datacompy on Spark at every size (same master, local[2]).
        const sparkWall = stat(onSpark).wall;
        target = `raas on Spark faster (${(st.wall / sparkWall).toFixed(1)}x): ${st.wall > sparkWall ? 'PASS' : 'MISS'}; `;
      }
      if (e !== 'raas' && e !== 'raas-spark' && same) {
        const need = SPEED_TARGET[e];
        target += `>= ${need}x faster than raas: ${st.wall / base.wall >= need ? 'PASS' : 'MISS'}`;
        if (e === 'polars' && size >= 10_000_000) target += `; RSS < 1/3: ${base.rss < st.rss / 3 ? 'PASS' : 'MISS'}`;
      }
      console.log(
        `  ${LABEL[e].padEnd(28)} ${secs(st.wall).padStart(8)} ${(st.cpu !== undefined ? secs(st.cpu) : 'n/a').padStart(8)} ${gb(st.rss).padStart(9)}  ` +
          `${(same ? countText(ss[0]!.counts) : `DIFFERENT ${countText(ss[0]!.counts)}`).padEnd(26)} ${ratio(st.wall, base.wall).padStart(9)} ${ratio(st.cpu, base.cpu).padStart(9)} ${ratio(st.rss, base.rss).padStart(9)}  ${target}`,
      );
      markdown.push(
        `| ${size.toLocaleString('en-US')} | ${LABEL[e]} | ${secs(st.wall)} | ${st.cpu !== undefined ? secs(st.cpu) : 'n/a'} | ${gb(st.rss)} | ${same ? countText(ss[0]!.counts) : `**different** ${countText(ss[0]!.counts)}`} | ${e === 'raas' ? '1x' : ratio(st.wall, base.wall)} |`,
      );
    }
    if (disagree.length) {
      disagreements++;
      console.log(`  !!!!!!!! MISMATCH: ${disagree.map((e) => LABEL[e]).join(', ')} report other counts than raas; the ratios at this size mean nothing until that is explained`);
    }
  }
  console.log(`\nversions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ') || 'n/a'}`);
  console.log('\nmarkdown (for docs/performance.md):\n' + markdown.join('\n'));
  if (disagreements) process.exit(1);
}

await main();
