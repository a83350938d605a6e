// vitest globalSetup: the test run's one shared control plane. Nothing starts until a test
// file asks (sharedTestCluster() POSTs /cluster): then etcd, kube-apiserver,
// kube-controller-manager, the CRDs and the process kubelet start once, in this (the main
// vitest) process, and every file after that gets the same address. Files isolate
// themselves by namespace. Stopped when the run ends. A start that fails (say, the
// binaries are not installed) answers every file with the reason, and each file skips,
// or fails under CI=true (test/support/require-service.ts). The API server starts with
// sets of token users (alice, bob, carol, mallory); each file that asks gets a set of its
// own (POST /users).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import type { ControlPlaneAddress } from '../../operator/sandbox/control-plane.ts';
import { sharedUserPool, startTestCluster, USER_SETS, userSet, type TestCluster } from './cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:PORT of the coordinator below; empty when global setup did not run. */
    raasSharedCluster: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: Promise<TestCluster> | undefined;
  let handedOut = 0;
  const outputs: Array<{ namespace: string; text: string }> = [];
  const start = (): Promise<TestCluster> =>
    startTestCluster({
      users: sharedUserPool(),
      onExit: (pod, text) => {
        outputs.push({ namespace: pod.split('/')[0] ?? '', text });
        if (outputs.length > 200) outputs.shift();
      },
    });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/cluster') {
      cluster ??= start();
      cluster.then(
        (c) => {
          const address: ControlPlaneAddress = { host: c.cp.host, port: c.cp.port, caPem: c.cp.caPem, adminToken: c.cp.adminToken, userTokens: c.cp.userTokens, dir: c.cp.dir };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(address));
        },
        (err: unknown) => res.writeHead(503, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err)),
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/users') {
      // Each file that asks gets the next set of token users (sharedUsers()).
      if (handedOut >= USER_SETS) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`all ${USER_SETS} sets of shared token users are taken: raise USER_SETS in test/support/cluster.ts`);
        return;
      }
      const set = ++handedOut;
      (cluster ??= start()).then(
        (c) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(userSet(set, c.cp.userTokens))),
        (err: unknown) => res.writeHead(503, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err)),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/outputs') {
      const wanted = new Set((url.searchParams.get('namespaces') ?? '').split(',').filter(Boolean));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outputs.filter((o) => wanted.has(o.namespace)).map((o) => o.text)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide('raasSharedCluster', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    server.close();
    const c = await cluster?.catch(() => undefined);
    await c?.stop();
  };
}
