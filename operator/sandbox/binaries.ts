// Where the control-plane binaries are: KUBEBUILDER_ASSETS (the envtest convention) when a
// user already has them, else .tools/bin of this checkout (scripts/install-kube.sh).
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.ts';

export { packageRoot };

export const REPO_ROOT = `${packageRoot()}/`;

export interface KubeBinaries {
  etcd: string;
  kubeApiServer: string;
  kubeControllerManager: string;
}

export class MissingBinariesError extends Error {}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The three binaries, or an error naming what is missing and how to get it. */
export function findKubeBinaries(env: NodeJS.ProcessEnv = process.env): KubeBinaries {
  const dirs = [env.KUBEBUILDER_ASSETS, join(REPO_ROOT, '.tools', 'bin')].filter((d): d is string => !!d);
  const find = (name: string): string | undefined => dirs.map((d) => join(d, name)).find(executable);
  const etcd = find('etcd') ?? ['/usr/bin/etcd', '/usr/local/bin/etcd'].find(executable);
  const kubeApiServer = find('kube-apiserver');
  const kubeControllerManager = find('kube-controller-manager');
  const missing = [!etcd && 'etcd', !kubeApiServer && 'kube-apiserver', !kubeControllerManager && 'kube-controller-manager'].filter(Boolean);
  if (missing.length || !etcd || !kubeApiServer || !kubeControllerManager) {
    throw new MissingBinariesError(
      `${missing.join(', ')} not found in ${dirs.join(' or ')}: run scripts/install-kube.sh (builds Kubernetes from the Go module proxy, about 10 minutes once) or set KUBEBUILDER_ASSETS to a folder that has them`,
    );
  }
  return { etcd, kubeApiServer, kubeControllerManager };
}
