// The package's root folder (where package.json, crds/ and the shipped page assets are),
// for modules that read files shipped next to the code: the web page, the sandbox.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest folder above `from` with the package.json and crds/. Found by walking up
 * because the compiled build (dist/, bundled into chunks) moves this module.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'crds'))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the raas package root above ${from}`);
  }
}
