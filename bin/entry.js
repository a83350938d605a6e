// How bin/ starts a command: the compiled build in dist/ when it is there and not older
// than the sources, else the TypeScript sources through tsx (a checkout that was edited
// since the last build, or `RAAS_FROM_SOURCE=1`). See docs/adr/0020.
//
// The freshness check walks runner/ and operator/ (about 150 stat calls, ~2 ms), so an edit
// can never run stale compiled code. An installed image has no sources: dist/ is used as is.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Directories compiled into dist/ (scripts/build.mjs). */
export const SOURCE_DIRS = ['runner', 'operator'];
/** Inputs of the build besides those directories: a change to any of them makes dist/ stale. */
const BUILD_INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs'];
export const STAMP_FILE = 'build-stamp.json';

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestIn(path));
    // Tests next to the code are not compiled, so editing one does not make dist/ stale.
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The newest modification time (ms) of anything the build reads, 0 when there are no sources. */
export function newestSourceMtime(root = ROOT) {
  let newest = 0;
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) newest = Math.max(newest, newestIn(join(root, dir)));
  for (const file of BUILD_INPUTS) if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

/**
 * 'dist' or 'source', and why. Pure of side effects so `npm run bench` can print which one
 * its runs used.
 */
export function chooseEntry(env = process.env, root = ROOT) {
  if (env.RAAS_FROM_SOURCE === '1') return { mode: 'source', reason: 'RAAS_FROM_SOURCE=1' };
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', STAMP_FILE), 'utf8'));
  } catch {
    return { mode: 'source', reason: 'no finished build in dist/ (npm run build)' };
  }
  const hasSources = SOURCE_DIRS.some((d) => existsSync(join(root, d)));
  if (!hasSources) return { mode: 'dist', reason: 'installed build (no sources)' };
  const newest = newestSourceMtime(root);
  if (newest > stamp.newestSourceMtimeMs) return { mode: 'source', reason: 'the sources changed after the last build (npm run build)' };
  return { mode: 'dist', reason: 'build is up to date' };
}

/** Imports `module` (e.g. 'runner/cli/main') from dist/ or, through tsx, from the sources. */
export async function importEntry(module, opts = {}) {
  const choice = opts.fromSource ? { mode: 'source' } : chooseEntry();
  if (choice.mode === 'dist') return import(pathToFileURL(join(ROOT, 'dist', `${module}.js`)).href);
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(`raas: ${choice.reason ?? 'this command runs from the sources'} and tsx is not installed; run npm ci (it builds dist/) or npm run build\n`);
    process.exit(2);
  }
  register();
  return import(pathToFileURL(join(ROOT, `${module}.ts`)).href);
}
