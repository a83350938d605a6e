import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/helm.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The real `helm` binary: $HELM_BIN, then .tools/bin/helm (scripts/install-helm.sh), then
 * the first `helm` on PATH. Undefined when there is none.
 */
export function findHelm(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HELM_BIN) return isExecutable(env.HELM_BIN) ? env.HELM_BIN : undefined;
  const local = join(repoRoot, '.tools', 'bin', 'helm');
  if (isExecutable(local)) return local;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'helm');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs helm with an isolated config/cache/data home, so a developer's repositories and
 * plugins never change the result, and nothing touches a real cluster's kubeconfig.
 */
export function runHelm(helm: string, args: string[], opts: { cwd?: string; home: string }): HelmResult {
  const res = spawnSync(helm, args, {
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: opts.home,
      HELM_CONFIG_HOME: join(opts.home, 'config'),
      HELM_CACHE_HOME: join(opts.home, 'cache'),
      HELM_DATA_HOME: join(opts.home, 'data'),
      KUBECONFIG: join(opts.home, 'no-kubeconfig'),
    },
    timeout: 60_000,
  });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}
