// Nothing shipped points outside the repository or describes where it was written: no issue
// numbers, no "DESIGN §N" (the design is docs/design.md, referred to by section name), no
// paths to a shared design folder, no "this machine" or core counts. Scans every text file
// of the checkout (code, docs, chart, examples, scripts, tests), except:
// - this file, which has to spell the patterns;
// - for machine descriptions only, docs/adr/: decisions record the conditions they were
//   measured under (issue numbers and outside pointers are still refused there);
// - generated or installed trees (node_modules, dist, .tools, .tmp, .git) and the lockfile.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './doc-blocks.ts';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.tools', '.tmp', '.git', 'coverage', 'raas-out']);
const SKIP_FILES = new Set(['package-lock.json', 'test/docs/no-outside-references.test.ts']);
const BINARY = /\.(png|jpe?g|gif|ico|gz|parquet|duckdb|zip|jar|woff2?)$/i;

const OUTSIDE: Array<[RegExp, string]> = [
  [/DESIGN\s*§/, 'a "DESIGN §N" pointer: name the section of docs/design.md instead'],
  [/\.\.\/shared\/|\/work\/shared|DESIGN\.md|STYLE\.md/, 'a file outside the repository: point into docs/ instead'],
  [/\bissues?\s*#?\d+/i, 'an issue number: say what the code does or why, not which ticket asked for it'],
];
const MACHINE: Array<[RegExp, string]> = [
  [/\bthis (machine|vm|box)\b/i, 'a description of the machine it was written on'],
  [/\b\d+[- ]cores?\b/i, 'a core count of the machine it was written on'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return [];
    if (st.isDirectory()) return SKIP_DIRS.has(name) || name.startsWith('.dist-') ? [] : files(path);
    return BINARY.test(name) ? [] : [path];
  });
}

describe('shipped files point nowhere outside the repository', () => {
  it('have no issue numbers, DESIGN § pointers, outside paths or machine descriptions', () => {
    const problems: string[] = [];
    let scanned = 0;
    for (const path of files(repoRoot)) {
      const rel = relative(repoRoot, path);
      if (SKIP_FILES.has(rel)) continue;
      const text = readFileSync(path, 'utf8');
      if (text.includes('\u0000')) continue;
      scanned++;
      const rules = rel.startsWith('docs/adr/') ? OUTSIDE : [...OUTSIDE, ...MACHINE];
      text.split('\n').forEach((line, i) => {
        for (const [re, what] of rules) if (re.test(line)) problems.push(`${rel}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(scanned).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
