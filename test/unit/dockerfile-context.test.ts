// The Dockerfile may only COPY what .dockerignore lets into the build context: a copied
// path the ignore file drops fails every `docker build .` / buildah build with "no items
// matching" (or, for a folder, silently copies less). Docker's ignore rules are applied by
// @balena/dockerignore, which follows Docker's own matcher (last rule wins, `!` re-includes,
// a folder rule covers what is below it).
import dockerignoreModule from '@balena/dockerignore';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The package is CommonJS (module.exports = the factory) while its types declare an ES
// default export; the default import is the factory at run time.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;
const ROOT = join(import.meta.dirname, '..', '..');

/** The build-context sources of every COPY/ADD (not `--from=` a stage) in a Dockerfile. */
export function contextSources(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m?.[2]) continue;
    const words = m[2].trim().split(/\s+/);
    if (words.some((w) => /^--from=/i.test(w))) continue;
    const args = words.filter((w) => !w.startsWith('--'));
    out.push(...args.slice(0, -1).map((s) => s.replace(/^\.\//, '').replace(/\/$/, '')));
  }
  return out;
}

function filesUnder(root: string, rel: string): string[] {
  const path = join(root, rel);
  if (!statSync(path).isDirectory()) return [rel];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' ? [] : filesUnder(root, rel ? `${rel}/${name}` : name)));
}

/** The copied sources of which nothing would reach the build context, with the reason. */
export function droppedSources(dockerfile: string, ignoreFile: string, root: string): string[] {
  const ig = dockerignore({ ignorecase: false }).add(ignoreFile);
  const problems: string[] = [];
  for (const src of contextSources(dockerfile)) {
    let files: string[];
    try {
      files = filesUnder(root, src);
    } catch {
      problems.push(`${src}: not in the repository`);
      continue;
    }
    const kept = files.filter((f) => !ig.ignores(relative(root, join(root, f)).split(sep).join('/')));
    if (kept.length === 0) problems.push(`${src}: dropped by .dockerignore`);
  }
  return problems;
}

describe('Dockerfile build context', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

  it('finds the context sources of COPY lines, not those copied from a stage', () => {
    expect(contextSources('FROM x AS b\nCOPY a.json b.json ./\nCOPY --from=b /app/dist ./dist\nCOPY \\\n  scripts/build.mjs ./scripts/\nADD --chown=1:1 crds/ ./crds')).toEqual(['a.json', 'b.json', 'scripts/build.mjs', 'crds']);
  });

  it('reports a copied file or folder the ignore file drops', () => {
    // The allow-list as it was before scripts/build.mjs and crds/ were added to it.
    const old = ignore.split('\n').filter((l) => l !== '!scripts/build.mjs' && l !== '!crds/').join('\n');
    expect(droppedSources(dockerfile, old, ROOT)).toEqual(['scripts/build.mjs: dropped by .dockerignore', 'crds: dropped by .dockerignore']);
  });

  it('copies nothing that .dockerignore drops', () => {
    expect(contextSources(dockerfile)).toContain('scripts/build.mjs');
    expect(droppedSources(dockerfile, ignore, ROOT)).toEqual([]);
  });

  it('keeps tests and local databases out of the context', () => {
    const ig = dockerignore({ ignorecase: false }).add(ignore);
    expect(ig.ignores('runner/cli/main.test.ts')).toBe(true);
    expect(ig.ignores('bin/entry.d.ts')).toBe(true);
    expect(ig.ignores('bin/entry.js')).toBe(false);
    expect(ig.ignores('test/unit/dockerfile-context.test.ts')).toBe(true);
    expect(ig.ignores('examples/quickstart/x.duckdb')).toBe(true);
    expect(ig.ignores('runner/cli/main.ts')).toBe(false);
  });
});
