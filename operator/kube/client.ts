// The Kubernetes edge of the operator: the few calls it makes, on current
// @kubernetes/client-node. Everything above this file works with plain objects.
import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type Cluster,
  type KubernetesObject,
  type V1CronJob,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { API_GROUP } from '../desired/types.ts';

export const VERSION = 'v1alpha1';
export const FIELD_MANAGER = 'raas-operator';

export function loadKubeConfig(kubeconfigPath?: string, kubeconfigYaml?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigYaml) kc.loadFromString(kubeconfigYaml);
  else if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  reuseConnections(kc);
  return kc;
}

const keyPart = (v: unknown): string => (v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : Array.isArray(v) ? v.map(keyPart).join(',') : String(v));

/**
 * client-node 1.x makes a new https.Agent for every request (KubeConfig.createAgent), so
 * every API call pays a TCP and TLS handshake on both sides; on a cold start over 1,000
 * ReconJobs that was most of the time (npm run bench:operator). One keep-alive agent per
 * set of TLS options makes calls share connections. Proxies keep client-node's own agents.
 */
function reuseConnections(kc: KubeConfig): void {
  // createAgent is private in client-node's typings; it is the one place agents are made
  // (config.js, both for API calls and for watches), so it is wrapped on this instance;
  // test/unit/library-privates.test.ts pins it, so an upgrade that drops it fails loudly.
  const target = kc as unknown as { createAgent?: (cluster: Cluster | null, options: AgentOptions) => unknown };
  // A client-node without it keeps its per-call connections: slower, not wrong.
  if (typeof target.createAgent !== 'function') return;
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, HttpsAgent>();
  target.createAgent = (cluster, options) => {
    if (!cluster || cluster.proxyUrl || !cluster.server.startsWith('https:')) return original(cluster, options);
    // The options are rebuilt per request (fresh Buffers), so the key is their text.
    const key = [cluster.server, options.ca, options.cert, options.key, options.pfx, options.rejectUnauthorized, options.servername].map(keyPart).join('\u0000');
    let agent = agents.get(key);
    if (!agent) agents.set(key, (agent = new HttpsAgent({ ...options, keepAlive: true })));
    return agent;
  };
}

export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}
export function isConflict(err: unknown): boolean {
  return statusCode(err) === 409;
}

export type CustomPlural = 'reconjobs' | 'reconruns';

export class Kube {
  readonly objects: KubernetesObjectApi;
  readonly custom: CustomObjectsApi;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;

  constructor(readonly kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /** Server-side apply: the operator owns exactly the fields it sets. */
  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  async listCustom<T>(plural: CustomPlural, namespace?: string): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> {
    const res: unknown = namespace
      ? await this.custom.listNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace, plural })
      : await this.custom.listClusterCustomObject({ group: API_GROUP, version: VERSION, plural });
    return res as { items: T[]; metadata?: { resourceVersion?: string } };
  }

  async createCustom<T extends object>(plural: CustomPlural, namespace: string, body: T): Promise<T> {
    return (await this.custom.createNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace, plural, body })) as T;
  }

  async deleteCustom(plural: CustomPlural, namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: API_GROUP, version: VERSION, namespace, plural, name, propagationPolicy: 'Background' });
  }

  /**
   * Writes status through the status subresource with the object's resourceVersion: a
   * stale view gets 409 and the key is retried with fresh data (level-based).
   */
  async replaceStatus<T extends { metadata?: { name?: string; namespace?: string } }>(plural: CustomPlural, obj: T & { status?: unknown }): Promise<T> {
    const md = obj.metadata!;
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      group: API_GROUP,
      version: VERSION,
      namespace: md.namespace!,
      plural,
      name: md.name!,
      body: obj,
      fieldManager: FIELD_MANAGER,
    })) as T;
  }

  async createJob(job: V1Job): Promise<V1Job> {
    return this.batch.createNamespacedJob({ namespace: job.metadata!.namespace!, body: job });
  }

  /** A JSON merge patch of the fields given (no server-side apply: the rest stays as applied). */
  async mergePatchCronJob(namespace: string, name: string, patch: { spec: Record<string, unknown> }): Promise<V1CronJob> {
    // A partial CronJob: a merge patch carries only the fields it changes.
    const body = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace }, ...patch } as unknown as V1CronJob;
    return this.objects.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
  }

  async deleteCronJob(namespace: string, name: string): Promise<void> {
    await this.batch.deleteNamespacedCronJob({ namespace, name, propagationPolicy: 'Background' });
  }

  async listJobs(namespace: string | undefined, labelSelector: string) {
    return namespace ? this.batch.listNamespacedJob({ namespace, labelSelector }) : this.batch.listJobForAllNamespaces({ labelSelector });
  }
  async listCronJobs(namespace: string | undefined, labelSelector: string) {
    return namespace ? this.batch.listNamespacedCronJob({ namespace, labelSelector }) : this.batch.listCronJobForAllNamespaces({ labelSelector });
  }
  async listPods(namespace: string | undefined, labelSelector: string) {
    return namespace ? this.core.listNamespacedPod({ namespace, labelSelector }) : this.core.listPodForAllNamespaces({ labelSelector });
  }

  /** A Kubernetes Event on one of our objects; failures to record one never fail a reconcile. */
  async event(
    involved: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace: involved.namespace,
        body: {
          metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
          involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.name, namespace: involved.namespace, ...(involved.uid ? { uid: involved.uid } : {}) },
          type,
          reason,
          message: message.slice(0, 1000),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
        },
      })
      .catch(() => undefined);
  }
}

export type { V1CronJob, V1Job, V1Pod };
