// What the real kubectl makes of `on:` in a notify entry. kubectl parses YAML 1.1, where a
// bare `on` key is the boolean true: its strict field validation refuses the manifest
// ("unknown field spec.notify[0].true"), and without validation the key is pruned and the
// entry has no events. `"on":` (quoted) and `events:` both arrive as written.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconJobSpecSchema } from '../../runner/spec/schema.ts';
import { sharedTestCluster, uniqueNamespace, type TestCluster } from '../support/cluster.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';

// The run's shared control plane, in a namespace of this file's own, and the real kubectl.
// Without either a developer's run skips these tests and says why; CI fails instead.
const NS = uniqueNamespace('finance');

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

interface World {
  cluster: TestCluster;
  dir: string;
}
const world = sharedService<World>('kubectl and the Kubernetes control plane (scripts/install-kube.sh)', async () => {
  if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}; set KUBECTL to its path`);
  const cluster = await sharedTestCluster();
  await cluster.namespace(NS);
  return { cluster, dir: await mkdtemp(join(tmpdir(), 'raas-kubectl-on-')) };
}, async (w) => {
  await w.cluster.stop();
  await rm(w.dir, { recursive: true, force: true });
});

function kubectl(cluster: TestCluster, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 60_000 }, (err, out, errText) => resolve({ code: err ? 1 : 0, out, err: errText }));
  });
}

function manifest(name: string, eventsLine: string): string {
  return `apiVersion: raas.dev/v1alpha1
kind: ReconJob
metadata: { name: ${name}, namespace: ${NS} }
spec:
  left: { uri: l.csv }
  right: { uri: r.csv }
  keys: [ { column: id } ]
  notify:
    - kafka: { topic: recon-events }
      ${eventsLine}
`;
}

async function apply(ctx: SkipContext, name: string, eventsLine: string, ...flags: string[]) {
  const { cluster, dir } = await world(ctx);
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, manifest(name, eventsLine));
  const r = await kubectl(cluster, 'apply', ...flags, '-f', file);
  const stored = await cluster.get('reconjobs', NS, name);
  return { ...r, spec: stored?.spec as { notify?: unknown[] } | undefined };
}

describe('notify events through kubectl', { timeout: 120_000 }, () => {
  it('a bare on: is refused by kubectl\'s strict validation as the field "true"', async (ctx) => {
    const r = await apply(ctx, 'bare', 'on: [Failed, Unbalanced]');
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown field "spec.notify[0].true"');
  });

  it('without client-side validation the bare on: is dropped, and the CRD rule says what to write instead', async (ctx) => {
    const r = await apply(ctx, 'bare-unvalidated', 'on: [Failed, Unbalanced]', '--validate=false');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/spec\.notify\[\] needs exactly one list of events: "on" \(quoted, since kubectl reads a bare on as true\) or events/);
  });

  it.for<[string, string, Record<string, string[]>]>([
    ['quoted', '"on": [Failed, Unbalanced]', { on: ['Failed', 'Unbalanced'] }],
    ['events', 'events: [Failed, Unbalanced]', { events: ['Failed', 'Unbalanced'] }],
  ])('%s arrives as written', async ([name, line, expected], ctx) => {
    const r = await apply(ctx, name, line);
    expect(r.code, r.err).toBe(0);
    expect(r.spec?.notify).toEqual([{ kafka: { topic: 'recon-events' }, ...expected }]);
    expect(reconJobSpecSchema.safeParse(r.spec).success).toBe(true);
  });
});
