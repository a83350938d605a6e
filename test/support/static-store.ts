// A web Store over fixed objects: the web benchmark serves 10,000 runs without a cluster.
// Test code (never shipped); the real store is operator/web/api/store.ts (informers).
import type { JobObject, RunObject } from '../../operator/web/api/listing.ts';
import type { Store } from '../../operator/web/api/store.ts';

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export function staticStore(jobList: JobObject[], runList: RunObject[]): Store {
  const jobs = new Map(jobList.map((j) => [key(j.metadata.namespace, j.metadata.name), j]));
  const runs = new Map(runList.map((r) => [key(r.metadata.namespace, r.metadata.name), r]));
  return {
    jobs: () => [...jobs.values()],
    runs: () => [...runs.values()],
    job: (ns, name) => jobs.get(key(ns, name)),
    run: (ns, name) => runs.get(key(ns, name)),
    namespaces: () => [...new Set([...jobList, ...runList].map((o) => o.metadata.namespace))].sort(),
    version: () => 0,
    synced: async () => undefined,
    stop: async () => undefined,
  };
}
