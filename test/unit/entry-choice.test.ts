// bin/entry.js decides whether bin/ runs the compiled build or the sources (ADR 0020): a
// checkout must never run compiled code older than its sources.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseEntry, newestSourceMtime, STAMP_FILE } from '../../bin/entry.js';

let root: string;

async function file(rel: string, mtimeS: number): Promise<void> {
  const path = join(root, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '');
  await utimes(path, mtimeS, mtimeS);
}

async function stamp(newestS: number): Promise<void> {
  await mkdir(join(root, 'dist'), { recursive: true });
  await writeFile(join(root, 'dist', STAMP_FILE), JSON.stringify({ newestSourceMtimeMs: newestS * 1000 }));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'raas-entry-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('chooseEntry', () => {
  it('runs the sources when there is no finished build', async () => {
    await file('runner/a.ts', 1000);
    expect(chooseEntry({}, root)).toMatchObject({ mode: 'source', reason: expect.stringMatching(/no finished build/) });
  });

  it('runs dist/ when no source is newer than the build', async () => {
    await file('runner/a.ts', 1000);
    await file('operator/b.ts', 1500);
    await file('package-lock.json', 900);
    await stamp(1500);
    expect(chooseEntry({}, root).mode).toBe('dist');
  });

  it.each([
    ['a runner module', 'runner/cli/new.ts'],
    ['an operator module', 'operator/web/main.ts'],
    ['the lock file', 'package-lock.json'],
    ['the build script', 'scripts/build.mjs'],
  ])('runs the sources when %s changed after the build', async (_what, rel) => {
    await file('runner/a.ts', 1000);
    await stamp(1000);
    await file(rel, 2000);
    expect(chooseEntry({}, root)).toMatchObject({ mode: 'source', reason: expect.stringMatching(/changed after the last build/) });
  });

  it('ignores tests next to the code (they are not compiled)', async () => {
    await file('runner/a.ts', 1000);
    await stamp(1000);
    await file('runner/a.test.ts', 2000);
    expect(chooseEntry({}, root).mode).toBe('dist');
    expect(newestSourceMtime(root)).toBe(1000 * 1000);
  });

  it('runs dist/ as is in an installed image (no sources)', async () => {
    await stamp(1000);
    expect(chooseEntry({}, root)).toMatchObject({ mode: 'dist', reason: expect.stringMatching(/installed/) });
  });

  it('runs the sources when RAAS_FROM_SOURCE=1, whatever the build', async () => {
    await file('runner/a.ts', 1000);
    await stamp(1000);
    expect(chooseEntry({ RAAS_FROM_SOURCE: '1' }, root).mode).toBe('source');
  });
});
