// Shared by the benchmark scripts: the manifest raas runs, the compiled-build check, quantiles.
import { execFileSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// bin/entry.js is what bin/raas.js uses to pick dist/ or the sources; asking it directly
// means the benchmark reports the path its runs really take.
import { chooseEntry } from '../../bin/entry.js';
import { BENCH_COLUMNS } from './generate-data.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The ReconJob raas runs on the bench files (key + the given columns, exact comparison, AllDiffs as Parquet). */
export function benchManifestYaml(columns: readonly string[] = BENCH_COLUMNS.basic): string {
  // Paths are relative to the manifest, which sits next to the data in the cache dir.
  return `apiVersion: raas.dev/v1alpha1
kind: ReconJob
metadata:
  name: bench
spec:
  left: { name: left, uri: left.parquet, format: parquet }
  right: { name: right, uri: right.parquet, format: parquet }
  keys:
    - { column: id }
  compare:
${columns.map((c) => `    - { column: ${c} }`).join('\n')}
  output: { mode: AllDiffs, format: parquet }
`;
}

/**
 * Builds dist/ when it is missing or stale, so the benchmark measures what an image runs,
 * and returns a description of the path bin/raas.js takes.
 */
export function ensureBuild(log: (line: string) => void): string {
  let choice = chooseEntry(process.env, ROOT);
  if (choice.mode === 'source' && process.env.RAAS_FROM_SOURCE !== '1') {
    log(`building dist/ (${choice.reason}) ...`);
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    choice = chooseEntry(process.env, ROOT);
  }
  return choice.mode === 'dist' ? `the compiled build (dist/: ${choice.reason})` : `the sources through tsx (${choice.reason})`;
}

/** Nearest-rank quantile: p95 of 200 runs is the 190th fastest, a run that really happened. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Compiles a bench child script to .tmp/bench/ (packages stay in node_modules) and returns the .mjs path. */
export function compileBenchScript(source: string): string {
  const out = join(ROOT, '.tmp/bench', `${source.split('/').pop()!.replace(/\.ts$/, '')}.mjs`);
  buildSync({ entryPoints: [source], outfile: out, bundle: true, packages: 'external', format: 'esm', platform: 'node', target: 'node20.19', logLevel: 'warning' });
  return out;
}

/**
 * The environment of a raas process as the image runs it. NODE_EXTRA_CA_CERTS (a host whose
 * TLS goes through its own CA sets it for every process) makes Node read and parse the whole
 * CA bundle before any code runs, ~75 ms per start on the two-core measuring machine; the
 * image sets no such thing, and a bench reading local files makes no TLS connection.
 */
export function imageEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ca, ...rest } = env;
  return rest;
}
