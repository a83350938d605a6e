// Two replicas never act at once: Lease-based election against the API test server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube, loadKubeConfig } from '../../operator/kube/client.ts';
import { LeaderElector } from '../../operator/kube/leader.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube/api-server.ts';
import { waitFor } from '../support/operator-env.ts';

let api: KubeApiServer;
beforeAll(async () => {
  api = await startKubeApiServer();
  api.store.create('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'raas-system' } });
});
afterAll(async () => {
  await api.stop();
});

function elector(identity: string, events: string[]) {
  const kube = new Kube(loadKubeConfig(undefined, api.kubeconfigYaml()));
  return new LeaderElector({
    api: kube.coordination,
    namespace: 'raas-system',
    name: 'raas-leader',
    identity,
    leaseDurationSeconds: 2,
    retryPeriodMs: 200,
    onStartedLeading: () => events.push(`${identity} leads`),
    onStoppedLeading: () => events.push(`${identity} stops`),
  });
}

describe('leader election', () => {
  it('one leader at a time; the other takes over when it steps down', async () => {
    const events: string[] = [];
    const a = elector('a', events);
    const b = elector('b', events);
    a.start();
    await waitFor('a to lead', () => a.isLeader);
    b.start();
    // For two seconds of renewals, never both.
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      expect(a.isLeader && b.isLeader).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    const lease = api.store.get('coordination.k8s.io/v1/leases', 'raas-system', 'raas-leader');
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe('a');
    await a.stop();
    await waitFor('b to take over', () => b.isLeader, 10_000);
    expect(events).toEqual(['a leads', 'a stops', 'b leads']);
    await b.stop();
  });
});
