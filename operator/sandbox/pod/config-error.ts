// A pod the node cannot start yet (a missing Secret, an unsupported volume): kubelet keeps
// it Pending with CreateContainerConfigError and this message, and tries again.
export class PodConfigError extends Error {}

/** The Secrets and ConfigMaps a pod refers to, fetched by the shell: undefined = not found. */
export interface PodObjects {
  secret(name: string): Record<string, string> | undefined;
  configMap(name: string): Record<string, string> | undefined;
}

/** A Secret's or ConfigMap's data, or {} when it is optional and missing; refused when required and missing. */
export function dataOf(objects: PodObjects, kind: 'secret' | 'configmap', name: string, optional: boolean | undefined): Record<string, string> {
  const data = kind === 'secret' ? objects.secret(name) : objects.configMap(name);
  if (data) return data;
  if (optional) return {};
  throw new PodConfigError(`${kind} "${name}" not found`);
}
