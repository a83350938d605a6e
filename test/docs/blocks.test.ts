// Every shell block in README.md and docs/**/*.md has an id and is run by a test: either
// test/docs/run-blocks.test.ts runs it as written (test/docs/runnable.ts), or a test file
// runs its lines and says "covers docs block <id>". Output in docs is shown as ```text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allBlocks, commandsOf, outputMismatch, parseBlocks, repoRoot, SHELL_LANGS } from './doc-blocks.ts';
import { RUNNABLE } from './runnable.ts';

function testFiles(dir = join(repoRoot, 'test')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** id -> test files that say they cover it (the phrase with a literal id, not a template). */
function coverage(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const file of testFiles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(/covers docs block ([a-z0-9][a-z0-9-]*)/g)) {
      const list = map.get(m[1]!) ?? [];
      list.push(relative(repoRoot, file));
      map.set(m[1]!, list);
    }
  }
  return map;
}

const blocks = allBlocks();
const shell = blocks.filter((b) => SHELL_LANGS.has(b.lang));

describe('docs shell blocks', () => {
  it('exist (the README has its quick start and sandbox walk-through)', () => {
    expect(shell.map((b) => b.id)).toEqual(expect.arrayContaining(['quickstart', 'sandbox-start', 'sandbox-use']));
  });

  it('are fenced as sh and carry a unique <!-- block: id --> marker', () => {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const b of shell) {
      const where = `${b.file}:${b.line}`;
      if (b.lang !== 'sh') problems.push(`${where}: fence the shell block as \`\`\`sh, not \`\`\`${b.lang} (output goes in \`\`\`text)`);
      if (!b.id) problems.push(`${where}: add a line "<!-- block: <unique-id> -->" right above the block`);
      else if (seen.has(b.id)) problems.push(`${where}: block id "${b.id}" is already used at ${seen.get(b.id)}`);
      else seen.set(b.id, where);
    }
    expect(problems).toEqual([]);
  });

  it('are each run by a test', () => {
    const covered = coverage();
    const problems = shell
      .filter((b) => b.id && !(b.id in RUNNABLE) && !covered.has(b.id))
      .map((b) => `${b.file}:${b.line}: block "${b.id}" is run by no test: add it to test/docs/runnable.ts, or run its lines in a test that says "covers docs block ${b.id}"`);
    expect(problems).toEqual([]);
  });

  it('have no stale coverage: every runnable id and every "covers docs block" names a block that exists', () => {
    const ids = new Set(shell.map((b) => b.id));
    const stale = [
      ...Object.keys(RUNNABLE).filter((id) => !ids.has(id)).map((id) => `test/docs/runnable.ts: ${id}`),
      ...[...coverage()].filter(([id]) => !ids.has(id)).map(([id, files]) => `${files.join(', ')}: ${id}`),
    ];
    expect(stale).toEqual([]);
  });
});

describe('doc-blocks helpers', () => {
  const sample = [
    'Intro',
    '<!-- block: demo -->',
    '```sh',
    'echo one \\',
    '  two',
    '# a comment',
    '',
    'echo three',
    '```',
    'prose',
    '```text',
    'one two',
    'path …/x',
    '```',
    '```bash',
    'ls',
    '```',
  ].join('\n');

  it('reads ids, languages, bodies and the output block that follows', () => {
    const [demo, text, bash] = parseBlocks('x.md', sample);
    expect(demo).toMatchObject({ id: 'demo', lang: 'sh', line: 3, output: 'one two\npath …/x\n' });
    expect(commandsOf(demo!)).toEqual(['echo one   two', 'echo three']);
    expect(text).toMatchObject({ lang: 'text' });
    expect(bash).toMatchObject({ lang: 'bash' });
    expect(bash!.id).toBeUndefined();
  });

  it('matches output line by line, with … for any text', () => {
    expect(outputMismatch('one two\npath …/x\n', 'one two\npath /tmp/abc/x\n')).toBeUndefined();
    expect(outputMismatch('one two\n', 'one three\n')).toMatch(/line 1/);
    expect(outputMismatch('one\n', 'one\ntwo\n')).toMatch(/line 2/);
  });
});

// covers docs block tests: the README's test command is the one CI runs, and it runs lint,
// the type check and vitest (running it again from inside vitest would recurse).
describe('the README test command', () => {
  it('is what .ci/run runs last, and covers lint, types and every suite', () => {
    const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ci.at(-1)).toBe('npm test');
    const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toBe('npm run lint && npm run typecheck && vitest run');
  });
});
