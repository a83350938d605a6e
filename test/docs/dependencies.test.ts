// docs/development.md says why each dependency is there: every package in package.json has a
// row in its table, and the table names no package the project no longer has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './doc-blocks.ts';

describe('the dependency table of docs/development.md', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const doc = readFileSync(join(repoRoot, 'docs/development.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Dependencies and why'));
  const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| package'));
  const named = new Set(rows.flatMap((r) => [...r.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)));

  it('explains every dependency in package.json', () => {
    const all = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
    expect(all.filter((p) => !named.has(p))).toEqual([]);
  });

  it('names only packages in package.json', () => {
    const all = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]);
    expect([...named].filter((p) => !all.has(p))).toEqual([]);
  });
});
