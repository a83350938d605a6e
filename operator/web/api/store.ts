// The watch cache the API reads from: every ReconJob and ReconRun the web server's
// ServiceAccount can list, kept current by resilient informers (operator/kube/informer.ts).
// Lists are served from memory, so a page of 10,000 runs costs no API-server round trip;
// authorization is still decided per request (authz.ts), never by what is cached.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Kube } from '../../kube/client.ts';
import { ResilientInformer } from '../../kube/informer.ts';
import type { JobObject, RunObject } from './listing.ts';

export interface Store {
  jobs(): readonly JobObject[];
  runs(): readonly RunObject[];
  job(namespace: string, name: string): JobObject | undefined;
  run(namespace: string, name: string): RunObject | undefined;
  /** Every namespace holding a ReconJob or ReconRun (the candidates for `list`). */
  namespaces(): string[];
  /** Changes whenever any cached object changes (keys derived caches). */
  version(): number;
  /** Resolves when both informers have listed once. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

type Indexed<T> = Map<string, T>;
const key = (ns: string, name: string) => `${ns}/${name}`;

export function informerStore(kc: KubeConfig): Store {
  const kube = new Kube(kc);
  const jobs: Indexed<JobObject> = new Map();
  const runs: Indexed<RunObject> = new Map();
  const make = <T extends JobObject | RunObject>(plural: 'reconjobs' | 'reconruns', into: Indexed<T>) =>
    new ResilientInformer<KubernetesObject>({
      name: `web-${plural}`,
      kubeConfig: kc,
      path: `/apis/raas.dev/v1alpha1/${plural}`,
      list: async () => {
        const res = await kube.listCustom<KubernetesObject>(plural);
        return { apiVersion: 'v1', kind: 'List', items: res.items, metadata: res.metadata ?? {} } as never;
      },
      onChange: (kind, obj) => {
        const o = obj as unknown as T;
        const k = key(o.metadata.namespace, o.metadata.name);
        if (kind === 'delete') into.delete(k);
        else into.set(k, o);
        version++;
      },
    });
  const informers = [make('reconjobs', jobs), make('reconruns', runs)];
  let version = 0;
  let started: Promise<void> | undefined;
  return {
    jobs: () => [...jobs.values()],
    runs: () => [...runs.values()],
    job: (ns, name) => jobs.get(key(ns, name)),
    run: (ns, name) => runs.get(key(ns, name)),
    version: () => version,
    namespaces() {
      const set = new Set<string>();
      for (const j of jobs.values()) set.add(j.metadata.namespace);
      for (const r of runs.values()) set.add(r.metadata.namespace);
      return [...set].sort();
    },
    synced() {
      started ??= (async () => {
        await Promise.all(informers.map((i) => i.start()));
        const deadline = Date.now() + 60_000;
        while (!informers.every((i) => i.hasSynced)) {
          if (Date.now() > deadline) throw new Error('the ReconJob/ReconRun watch did not sync within 60 s; check the web ServiceAccount may list and watch them cluster-wide');
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      return started;
    },
    async stop() {
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
