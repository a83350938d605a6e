// Labels, annotations and owner references shared by every child object (operator/README.md).
import type { V1ObjectMeta, V1OwnerReference } from './k8s-types.ts';
import { labelValue } from './names.ts';
import type { RunnerOptions } from './pod-spec.ts';
import { API_VERSION } from './types.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'raas';
export const JOB_LABEL = 'raas.dev/job';
export const RUN_LABEL = 'raas.dev/run';
export const OPERATOR_NAMESPACE_ANNOTATION = 'raas.dev/operator-namespace';

export function childLabels(reconJobName: string, runName?: string): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [JOB_LABEL]: labelValue(reconJobName),
    ...(runName !== undefined ? { [RUN_LABEL]: labelValue(runName) } : {}),
  };
}

/** Lets one of several operator installs in a cluster tell its own children apart. */
export function childAnnotations(opts: RunnerOptions): Pick<V1ObjectMeta, 'annotations'> {
  return opts.operatorNamespace ? { annotations: { [OPERATOR_NAMESPACE_ANNOTATION]: opts.operatorNamespace } } : {};
}

/** Controller reference: garbage collection deletes the child with its owner, and the owner waits for it. */
export function controllerRef(kind: 'ReconJob' | 'ReconRun', name: string, uid: string): V1OwnerReference {
  return { apiVersion: API_VERSION, kind, name, uid, controller: true, blockOwnerDeletion: true };
}
