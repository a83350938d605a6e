// REST paths of the kinds the sandbox and the tests read and write, as kubectl resolves them.
type Json = Record<string, unknown>;

/** Where a resource lives: `reconruns`, `reconjobs`, `v1/pods`, `batch/v1/jobs`, `coordination.k8s.io/v1/leases`. */
export function resourcePath(resource: string, namespace?: string, name?: string): string {
  const parts = resource.split('/');
  let prefix: string;
  let plural: string;
  if (parts.length === 1) {
    plural = parts[0]!;
    prefix = plural === 'reconjobs' || plural === 'reconruns' ? '/apis/raas.dev/v1alpha1' : '/api/v1';
  } else if (parts.length === 2) {
    prefix = `/api/${parts[0]}`;
    plural = parts[1]!;
  } else {
    prefix = `/apis/${parts[0]}/${parts[1]}`;
    plural = parts[2]!;
  }
  const clusterScoped = ['namespaces', 'nodes', 'customresourcedefinitions', 'clusterroles', 'clusterrolebindings', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'].includes(plural);
  return `${prefix}${namespace && !clusterScoped ? `/namespaces/${namespace}` : ''}/${plural}${name ? `/${name}` : ''}`;
}

const KIND_RESOURCES: Record<string, string> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  Service: 'services',
  Pod: 'pods',
  Deployment: 'deployments',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  CustomResourceDefinition: 'customresourcedefinitions',
  ReconJob: 'reconjobs',
  ReconRun: 'reconruns',
  PodDisruptionBudget: 'poddisruptionbudgets',
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
  ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
  Lease: 'leases',
};

export function pathOfObject(o: Json): string {
  const apiVersion = String(o.apiVersion);
  const kind = String(o.kind);
  const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
  const plural = KIND_RESOURCES[kind] ?? `${kind.toLowerCase()}s`;
  const gv = apiVersion.includes('/') ? apiVersion : `${apiVersion}`;
  return resourcePath(`${gv}/${plural}`, md.namespace, md.name);
}

