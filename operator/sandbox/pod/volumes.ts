// What a pod's volume mounts put on disk, decided without touching it: for each mounted
// volume the host folder and the files to write (Secret and ConfigMap items, downward-API
// fields) or the service-account token to request. Pure: Secrets and ConfigMaps come in
// already fetched; the shell writes the files and makes the TokenRequest.
import type { V1Container, V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { dataOf, PodConfigError, type PodObjects } from './config-error.ts';
import type { PathMapping } from './paths.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface TokenRequestPlan {
  /** File name inside the volume folder. */
  path: string;
  serviceAccount: string;
  expirationSeconds: number;
  audience?: string;
}

export interface VolumePlan {
  name: string;
  hostPath: string;
  files: Array<{ path: string; content: string }>;
  tokens: TokenRequestPlan[];
}

export interface MountPlan {
  volumes: VolumePlan[];
  mounts: PathMapping[];
  /** The host folder mounted at SERVICE_ACCOUNT_DIR, if any (bound there in a private mount namespace). */
  serviceAccountHostDir?: string;
}

function items(data: Record<string, string>, list: V1KeyToPath[] | undefined): Array<{ path: string; content: string }> {
  const wanted = list?.length ? list.map((i) => ({ key: i.key, path: i.path })) : Object.keys(data).map((k) => ({ key: k, path: k }));
  return wanted.filter((w) => data[w.key] !== undefined).map((w) => ({ path: w.path, content: data[w.key]! }));
}

/** The files and tokens one volume holds. */
export function volumeContent(vol: V1Volume, pod: V1Pod, objects: PodObjects): Pick<VolumePlan, 'files' | 'tokens'> {
  const md = pod.metadata ?? {};
  if (vol.emptyDir !== undefined || vol.downwardAPI !== undefined) return { files: [], tokens: [] };
  if (vol.secret) return { files: items(dataOf(objects, 'secret', vol.secret.secretName ?? '', vol.secret.optional), vol.secret.items), tokens: [] };
  if (vol.configMap) return { files: items(dataOf(objects, 'configmap', vol.configMap.name ?? '', vol.configMap.optional), vol.configMap.items), tokens: [] };
  if (vol.projected) {
    const files: VolumePlan['files'] = [];
    const tokens: TokenRequestPlan[] = [];
    for (const source of vol.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const t = source.serviceAccountToken;
        tokens.push({ path: t.path ?? 'token', serviceAccount: pod.spec?.serviceAccountName ?? 'default', expirationSeconds: t.expirationSeconds ?? 3607, ...(t.audience ? { audience: t.audience } : {}) });
      } else if (source.configMap) {
        files.push(...items(dataOf(objects, 'configmap', source.configMap.name ?? '', source.configMap.optional), source.configMap.items));
      } else if (source.secret) {
        files.push(...items(dataOf(objects, 'secret', source.secret.name ?? '', source.secret.optional), source.secret.items));
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? []) {
          const fp = item.fieldRef?.fieldPath;
          if (fp === 'metadata.namespace') files.push({ path: item.path, content: md.namespace ?? '' });
          else if (fp === 'metadata.name') files.push({ path: item.path, content: md.name ?? '' });
        }
      }
    }
    return { files, tokens };
  }
  throw new PodConfigError(`volume "${vol.name}": only emptyDir, secret, configMap and projected volumes are supported by the process kubelet`);
}

/** Every volume the container mounts (each once), and where each mount lands on the host. */
export function mountPlan(pod: V1Pod, container: V1Container, volumesDir: string, objects: PodObjects): MountPlan {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const plan: MountPlan = { volumes: [], mounts: [] };
  for (const m of container.volumeMounts ?? []) {
    const vol = volumes.get(m.name);
    if (!vol) throw new PodConfigError(`volume "${m.name}" not found`);
    const hostPath = `${volumesDir}/${m.name}`;
    if (!plan.volumes.some((v) => v.name === m.name)) plan.volumes.push({ name: m.name, hostPath, ...volumeContent(vol, pod, objects) });
    const containerPath = m.mountPath.replace(/\/+$/, '');
    plan.mounts.push({ containerPath, hostPath: m.subPath ? `${hostPath}/${m.subPath}` : hostPath });
    if (containerPath === SERVICE_ACCOUNT_DIR) plan.serviceAccountHostDir = hostPath;
  }
  return plan;
}
