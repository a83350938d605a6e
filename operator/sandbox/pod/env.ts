// A container's environment as kubelet builds it: the image's env, the service host
// variables when the pod can reach the API, envFrom (with prefix), then env in order
// (value with $(VAR) expansion, fieldRef, secretKeyRef, configMapKeyRef), container paths
// mapped to host paths. Pure: the Secrets and ConfigMaps come in already fetched.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { dataOf, PodConfigError, type PodObjects } from './config-error.ts';
import { expand } from './paths.ts';

export interface PodEnvInput {
  pod: V1Pod;
  container: V1Container;
  nodeName: string;
  podIP: string;
  /** Set when the pod mounts a service-account token: the API it may call. */
  api?: { host: string; port: number };
  /** PATH, HOSTNAME and the image's env, before anything the pod says. */
  base: Record<string, string>;
  /** Added to every container after the base (e.g. AWS_* for a test S3 server). */
  extraEnv?: Record<string, string>;
  objects: PodObjects;
  mapPath: (value: string) => string;
}

/** The value of a downward-API field path, or a refusal naming it. */
export function fieldValue(pod: V1Pod, path: string, node: { nodeName: string; podIP: string }): string {
  const md = pod.metadata ?? {};
  const labelRef = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (labelRef) return (labelRef[1] === 'labels' ? md.labels : md.annotations)?.[labelRef[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'spec.nodeName':
      return node.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return node.podIP;
    case 'status.hostIP':
      return '127.0.0.1';
    default:
      throw new PodConfigError(`unsupported fieldRef ${path}`);
  }
}

/** The in-cluster API variables client libraries read (KUBERNETES_SERVICE_HOST and friends). */
export function serviceEnv(api: { host: string; port: number }): Record<string, string> {
  const port = String(api.port);
  return {
    KUBERNETES_SERVICE_HOST: api.host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://${api.host}:${port}`,
    KUBERNETES_PORT_443_TCP: `tcp://${api.host}:${port}`,
    KUBERNETES_PORT_443_TCP_ADDR: api.host,
    KUBERNETES_PORT_443_TCP_PORT: port,
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
  };
}

export function podEnv(i: PodEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...i.base, ...(i.api ? serviceEnv(i.api) : {}), ...i.extraEnv };
  for (const from of i.container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const data = from.secretRef?.name
      ? dataOf(i.objects, 'secret', from.secretRef.name, from.secretRef.optional)
      : from.configMapRef?.name
        ? dataOf(i.objects, 'configmap', from.configMapRef.name, from.configMapRef.optional)
        : {};
    for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
  }
  for (const e of i.container.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) {
      env[e.name] = i.mapPath(expand(e.value ?? '', env));
      continue;
    }
    if (vf.fieldRef?.fieldPath) env[e.name] = fieldValue(i.pod, vf.fieldRef.fieldPath, i);
    else if (vf.secretKeyRef?.name) {
      const ref = vf.secretKeyRef;
      const v = dataOf(i.objects, 'secret', ref.name!, ref.optional)[ref.key];
      if (v === undefined && !ref.optional) throw new PodConfigError(`couldn't find key ${ref.key} in Secret ${i.pod.metadata?.namespace}/${ref.name}`);
      if (v !== undefined) env[e.name] = v;
    } else if (vf.configMapKeyRef?.name) {
      const ref = vf.configMapKeyRef;
      const v = dataOf(i.objects, 'configmap', ref.name!, ref.optional)[ref.key];
      if (v === undefined && !ref.optional) throw new PodConfigError(`couldn't find key ${ref.key} in ConfigMap ${i.pod.metadata?.namespace}/${ref.name}`);
      if (v !== undefined) env[e.name] = v;
    } else if (vf.resourceFieldRef) {
      env[e.name] = '0'; // no resource limits on this node
    }
  }
  env.TMPDIR = i.mapPath(env.TMPDIR ?? '/tmp');
  env.HOME = i.mapPath(env.HOME ?? '/tmp');
  return env;
}

/** The Secrets and ConfigMaps a container and its pod's volumes refer to (what the shell fetches). */
export function referencedObjects(pod: V1Pod, container: V1Container): { secrets: string[]; configMaps: string[] } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  for (const f of container.envFrom ?? []) {
    if (f.secretRef?.name) secrets.add(f.secretRef.name);
    if (f.configMapRef?.name) configMaps.add(f.configMapRef.name);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
  }
  for (const v of pod.spec?.volumes ?? []) {
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) {
      if (s.secret?.name) secrets.add(s.secret.name);
      if (s.configMap?.name) configMaps.add(s.configMap.name);
    }
  }
  return { secrets: [...secrets].sort(), configMaps: [...configMaps].sort() };
}

/** The command line: the container's command/args over the image's entrypoint/cmd, $(VAR)-expanded and path-mapped. */
export function commandLine(container: V1Container, image: { entrypoint: string[]; cmd: string[] }, env: Record<string, string>, mapPath: (v: string) => string): string[] {
  const command = container.command?.length ? container.command : image.entrypoint;
  const args = container.args !== undefined ? container.args : container.command?.length ? [] : image.cmd;
  return [...command, ...args].map((a) => mapPath(expand(a, env)));
}
