// The fenced blocks of the repository's documentation, for the docs tests. Convention: each
// shell block (```sh) in README.md and docs/**/*.md is preceded by `<!-- block: <id> -->`;
// a test either runs it (run-blocks.test.ts) or runs its own lines and says
// `covers docs block <id>`. Output shown in docs is in ```text blocks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Fence languages that mean "type this into a shell"; only `sh` is allowed. */
export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh', 'shell-session']);

export interface DocBlock {
  /** Path relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** From the `<!-- block: id -->` marker on the nearest non-blank line above, if any. */
  id?: string;
  code: string;
  /** The first ```text block after this one, before the next shell block: the output it shows. */
  output?: string;
}

const MARKER = /^<!--\s*block:\s*([a-z0-9][a-z0-9-]*)\s*-->\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;

/** README.md and every .md under docs/ (relative paths, sorted). */
export function docFiles(root = repoRoot): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) out.push(relative(root, path));
    }
  };
  walk(join(root, 'docs'));
  return out;
}

export function parseBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  let lastNonBlank = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== '') lastNonBlank = lines[i]!.trim();
      continue;
    }
    const fence = open[1]!;
    const closes = (l: string) => {
      const t = l.trim();
      return t.length >= fence.length && t === fence[0]!.repeat(t.length);
    };
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !closes(lines[j]!)) body.push(lines[j++]!);
    const id = MARKER.exec(lastNonBlank)?.[1];
    blocks.push({ file, line: i + 1, lang: open[2]!.toLowerCase(), ...(id ? { id } : {}), code: body.join('\n') + '\n' });
    lastNonBlank = '';
    i = j;
  }
  for (let k = 0; k < blocks.length; k++) {
    if (!SHELL_LANGS.has(blocks[k]!.lang)) continue;
    for (let m = k + 1; m < blocks.length && !SHELL_LANGS.has(blocks[m]!.lang); m++) {
      if (blocks[m]!.lang === 'text') {
        blocks[k]!.output = blocks[m]!.code;
        break;
      }
    }
  }
  return blocks;
}

export function allBlocks(root = repoRoot): DocBlock[] {
  return docFiles(root).flatMap((f) => parseBlocks(f, readFileSync(join(root, f), 'utf8')));
}

/** The shell block with this id; throws when the docs no longer have it. */
export function docBlock(id: string, root = repoRoot): DocBlock {
  const b = allBlocks(root).find((x) => x.id === id);
  if (!b) throw new Error(`no docs block "${id}" in README.md or docs/`);
  return b;
}

/** A block's commands: blank and comment lines dropped, backslash continuations joined. */
export function commandsOf(block: DocBlock): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of block.code.split('\n')) {
    const line = pending + raw;
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1);
      continue;
    }
    pending = '';
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    out.push(line.trim());
  }
  return out;
}

/**
 * Whether `actual` output matches a ```text block: line by line, trailing spaces ignored,
 * `…` standing for any text within a line. Returns the first differing line, or undefined.
 */
export function outputMismatch(expected: string, actual: string): string | undefined {
  const want = expected.trimEnd().split('\n');
  const got = actual.trimEnd().split('\n');
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = (want[i] ?? '').trimEnd();
    const g = (got[i] ?? '').trimEnd();
    const pattern = new RegExp(`^${w.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (!pattern.test(g)) return `line ${i + 1}: expected ${JSON.stringify(w)}, got ${JSON.stringify(g)}`;
  }
  return undefined;
}
