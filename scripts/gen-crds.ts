// npm run gen: writes the CRDs generated from the zod schemas (operator/api/crds.ts) to
// crds/ and charts/raas/crds/, and the field reference built from them to docs/reference.md. With --check it writes nothing, lists the files that differ
// from what would be generated and exits 1 if any do (for CI and pre-commit).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../operator/api/crds.ts';
import { REFERENCE_PATH, renderReference } from '../operator/api/reference.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

async function current(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const stale: string[] = [];
for (const file of [...renderCrdFiles(), { path: REFERENCE_PATH, text: renderReference() }]) {
  const path = join(root, file.path);
  if ((await current(path)) === file.text) continue;
  stale.push(file.path);
  if (!check) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
  }
}

if (check && stale.length > 0) {
  console.error(`generated files out of date; run npm run gen:\n${stale.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(stale.length === 0 ? 'generated files up to date' : `wrote ${stale.join(', ')}`);
