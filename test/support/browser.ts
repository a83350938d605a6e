// Headless Chromium (Debian's `chromium`, scripts/install-web-test-deps.sh) driven by
// playwright-core, for the results page tests. Screenshots go to .tmp/screenshots.
import { mkdir } from 'node:fs/promises';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from './helm.ts';

export const screenshotDir = join(repoRoot, '.tmp', 'screenshots');

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  for (const p of [env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next
    }
  }
  throw new Error('chromium is not installed (bash scripts/install-web-test-deps.sh, or set CHROMIUM_BIN)');
}

export async function launchChromium(): Promise<Browser> {
  await mkdir(screenshotDir, { recursive: true });
  // --no-sandbox: the tests may run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: findChromium(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
