// Runs the docs' runnable shell blocks (test/docs/runnable.ts) exactly as written, with bash
// -e, in a clean copy of the checkout (no dist/, no earlier results), and compares what they
// print with the output block the docs show.
//
// `npm ci`, the quick start's first line, is the one substitution: by default the copy gets
// a symlink to this checkout's node_modules (which `npm ci` made; `.ci/run` runs `npm ci`
// itself on a clean machine) and the line is skipped. RAAS_DOCS_NPM_CI=1 runs it for real
// in the copy.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docBlock, outputMismatch, repoRoot } from './doc-blocks.ts';
import { RUNNABLE } from './runnable.ts';

const realNpmCi = process.env.RAAS_DOCS_NPM_CI === '1';
const SKIP_TOP = new Set(['node_modules', '.git', '.tools', '.tmp', 'dist', 'raas-out', 'coverage']);
const copies: string[] = [];

function cleanCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'raas-docs-'));
  copies.push(dir);
  cpSync(repoRoot, dir, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(repoRoot.length).replace(/^\/+/, '');
      const top = rel.split('/')[0]!;
      return !SKIP_TOP.has(top) && !top.startsWith('.dist-');
    },
  });
  if (!realNpmCi) symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(dir, 'node_modules'));
  return dir;
}

afterAll(() => {
  for (const d of copies) rmSync(d, { recursive: true, force: true });
});

describe(`docs shell blocks, run as written${realNpmCi ? '' : ' (npm ci replaced by the checkout\'s node_modules; RAAS_DOCS_NPM_CI=1 runs it)'}`, () => {
  it.each(Object.entries(RUNNABLE))('%s', { timeout: realNpmCi ? 600_000 : 120_000 }, (id, how) => {
    const block = docBlock(id);
    const script = realNpmCi ? block.code : block.code.replace(/^npm ci$/m, 'true # npm ci: node_modules linked from the checkout');
    const cwd = cleanCopy();
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: realNpmCi ? 580_000 : 110_000,
      // Offline unless npm ci runs for real: `npx raas` must find this package, never fetch one.
      env: { ...process.env, ...(realNpmCi ? { npm_config_prefer_offline: 'true' } : { npm_config_offline: 'true' }), npm_config_update_notifier: 'false' },
    });
    expect(r.status, `${block.file}:${block.line} (${id}) failed:\n${r.stderr}`).toBe(0);
    if (how.compareOutput) {
      expect(block.output, `${block.file}:${block.line}: ${id} should be followed by a text block of its output`).toBeDefined();
      expect(outputMismatch(block.output!, r.stdout), `${block.file}:${block.line}: the output shown differs from what ${id} prints:\n${r.stdout}`).toBeUndefined();
    }
  });
});
