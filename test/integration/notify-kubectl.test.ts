// What the real kubectl makes of `on:` in a notify entry. kubectl parses YAML 1.1, where a
// bare `on` key is the boolean true: its strict field validation refuses the manifest
// ("unknown field spec.notify[0].true"), and without validation the key is pruned and the
// entry has no events. `"on":` (quoted) and `events:` both arrive as written.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconJobSpecSchema } from '../../runner/spec/schema.ts';
import { sharedTestCluster, uniqueNamespace, type TestCluster } from '../support/cluster.ts';

// The run's shared control plane, in a namespace of this file's own.
const NS = uniqueNamespace('finance');

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);

let cluster: TestCluster;
let dir: string;

function kubectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
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

async function apply(name: string, eventsLine: string, ...flags: string[]) {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, manifest(name, eventsLine));
  const r = await kubectl('apply', ...flags, '-f', file);
  const stored = await cluster.get('reconjobs', NS, name);
  return { ...r, spec: stored?.spec as { notify?: unknown[] } | undefined };
}

describe.runIf(haveKubectl || process.env.CI === 'true')('notify events through kubectl', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    if (!haveKubectl) throw new Error(`kubectl not found at ${KUBECTL} (CI=true: failing instead of skipping)`);
    dir = await mkdtemp(join(tmpdir(), 'raas-kubectl-on-'));
    cluster = await sharedTestCluster();
    await cluster.namespace(NS);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a bare on: is refused by kubectl\'s strict validation as the field "true"', async () => {
    const r = await apply('bare', 'on: [Failed, Unbalanced]');
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown field "spec.notify[0].true"');
  });

  it('without client-side validation the bare on: is dropped, and the CRD rule says what to write instead', async () => {
    const r = await apply('bare-unvalidated', 'on: [Failed, Unbalanced]', '--validate=false');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/spec\.notify\[\] needs exactly one list of events: "on" \(quoted, since kubectl reads a bare on as true\) or events/);
  });

  it.each([
    ['quoted', '"on": [Failed, Unbalanced]', { on: ['Failed', 'Unbalanced'] }],
    ['events', 'events: [Failed, Unbalanced]', { events: ['Failed', 'Unbalanced'] }],
  ])('%s arrives as written', async (name, line, expected) => {
    const r = await apply(name, line);
    expect(r.code, r.err).toBe(0);
    expect(r.spec?.notify).toEqual([{ kafka: { topic: 'recon-events' }, ...expected }]);
    expect(reconJobSpecSchema.safeParse(r.spec).success).toBe(true);
  });
});
