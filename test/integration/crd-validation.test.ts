// Every CEL rule of the generated CRDs, as the real kube-apiserver evaluates it and as the
// real kubectl shows it to the person who ran `kubectl apply`. A rule added to the CRDs
// without a case here fails the first test, so no rule ships untested.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/helm.ts';
import { sharedTestCluster, uniqueNamespace, type TestCluster } from '../support/cluster.ts';
import { sharedService } from '../support/require-service.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
// The run's shared control plane, in a namespace of this file's own.
const NS = uniqueNamespace('finance');
const world = sharedService('the Kubernetes control plane (scripts/install-kube.sh)', async () => {
  const c = await sharedTestCluster();
  await c.namespace(NS);
  return c;
}, (c) => c.stop());

type Json = Record<string, unknown>;

const validJob = (spec: Json = {}): Json => ({
  apiVersion: 'raas.dev/v1alpha1',
  kind: 'ReconJob',
  metadata: { name: 'cel', namespace: NS },
  spec: { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], ...spec },
});
const validRun = (spec: Json = {}): Json => ({
  apiVersion: 'raas.dev/v1alpha1',
  kind: 'ReconRun',
  metadata: { name: 'cel-run', namespace: NS },
  spec: { jobRef: { name: 'cel' }, window: { start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z' }, trigger: 'Manual', ...spec },
});

/** One manifest that breaks exactly one rule, keyed by the start of that rule's message. */
const CASES: Record<string, Json> = {
  'spec.compare cannot be used with spec.aggregate': validJob({ compare: [{ column: 'amount' }], aggregate: { measures: [{ fn: 'count', as: 'rows' }] } }),
  'spec.left.csv only applies to format csv': validJob({ left: { uri: 'l.parquet', format: 'parquet', csv: { delimiter: ';' } } }),
  'spec.right.csv only applies to format csv': validJob({ right: { uri: 'r.parquet', format: 'parquet', csv: { delimiter: ';' } } }),
  'spec.aggregate.measures[].column is required unless fn is count': validJob({ aggregate: { measures: [{ fn: 'sum', as: 'total' }] } }),
  'spec.notify[] must name exactly one sink': validJob({ notify: [{ events: ['Failed'] }] }),
  'spec.notify[] needs exactly one list of events': validJob({ notify: [{ kafka: { topic: 't' } }] }),
  'spec.summaries[].name must be unique': validJob({ summaries: [{ name: 'a', sql: 'SELECT 1' }, { name: 'a', sql: 'SELECT 2' }] }),
  'spec.left.inputs.<name>.query is required for a database input': validJob({ left: { inputs: { db: { uri: 'postgres://$DB_URL' } }, query: 'SELECT * FROM db' } }),
  'spec.left.inputs.<name>.csv only applies to format csv': validJob({ left: { inputs: { a: { uri: 'a.parquet', format: 'parquet', csv: { delimiter: ';' } } }, query: 'SELECT * FROM a' } }),
  'spec.left needs exactly one of uri (one input) or inputs': validJob({ left: { uri: 'x.csv', inputs: { a: { uri: 'a.csv' } }, query: 'SELECT * FROM a' } }),
  'spec.left.format, csv and database go on each input': validJob({ left: { inputs: { a: { uri: 'a.csv' } }, format: 'csv', query: 'SELECT * FROM a' } }),
  'spec.left.query is required for a database uri': validJob({ left: { uri: 'postgres://$DB_URL' } }),
  'spec.left.inputs must name 1 to 16 inputs': validJob({ left: { inputs: {}, query: 'SELECT 1' } }),
  'spec.right.inputs.<name>.query is required for a database input': validJob({ right: { inputs: { db: { uri: 'postgres://$DB_URL' } }, query: 'SELECT * FROM db' } }),
  'spec.right.inputs.<name>.csv only applies to format csv': validJob({ right: { inputs: { a: { uri: 'a.parquet', format: 'parquet', csv: { delimiter: ';' } } }, query: 'SELECT * FROM a' } }),
  'spec.right needs exactly one of uri (one input) or inputs': validJob({ right: { uri: 'x.csv', inputs: { a: { uri: 'a.csv' } }, query: 'SELECT * FROM a' } }),
  'spec.right.format, csv and database go on each input': validJob({ right: { inputs: { a: { uri: 'a.csv' } }, format: 'csv', query: 'SELECT * FROM a' } }),
  'spec.right.query is required for a database uri': validJob({ right: { uri: 'postgres://$DB_URL' } }),
  'spec.right.inputs must name 1 to 16 inputs': validJob({ right: { inputs: {}, query: 'SELECT 1' } }),
  'spec.aggregate.measures[].as must be unique (ignoring case)': validJob({ aggregate: { measures: [{ fn: 'count', as: 'rows' }, { fn: 'count', as: 'ROWS' }] } }),
  'spec.aggregate.measures[].as must differ from every key column (ignoring case)': validJob({ aggregate: { measures: [{ fn: 'count', as: 'ID' }] } }),
  'spec.output.catalog needs exactly one of urlEnv and postgres.secretRef': validJob({ output: { catalog: { table: 'recon_runs' } } }),
  'spec.amount.currencyRight needs spec.amount.currency': validJob({ amount: { column: 'amount', currencyRight: 'ccy' } }),
  'spec.carryForward cannot be used with spec.aggregate': validJob({ carryForward: { periods: 1 }, aggregate: { measures: [{ fn: 'count', as: 'rows' }] } }),
  'spec.schedule.cron must be five fields': validJob({ schedule: { cron: '0 25 * * *' } }),
  'spec.schedule.timeZone must be an IANA time zone name': validJob({ schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo ' } }),
  'window.end must be after window.start': validRun({ window: { start: '2024-01-02T00:00:00Z', end: '2024-01-01T00:00:00Z' } }),
};

async function ruleMessages(): Promise<string[]> {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'x-kubernetes-validations') for (const r of x as Array<{ message?: string; rule: string }>) out.push(r.message ?? r.rule);
        else walk(x);
      }
    }
  };
  for (const f of ['raas.dev_reconjobs.yaml', 'raas.dev_reconruns.yaml']) for (const d of parseAllDocuments(await readFile(join(repoRoot, 'crds', f), 'utf8'))) walk(d.toJS());
  return out;
}

function kubectl(c: TestCluster, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => execFile(KUBECTL, ['--kubeconfig', c.kubeconfig, ...args], { timeout: 60_000 }, (err, out, e) => resolve({ code: err ? 1 : 0, out, err: e })));
}

describe.runIf(existsSync(KUBECTL) || process.env.CI === 'true')('CRD rules on the real API server, through kubectl apply', { timeout: 180_000 }, () => {
  it('every CEL rule in the CRDs has a case here', async () => {
    const messages = await ruleMessages();
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(Object.keys(CASES).some((k) => m.startsWith(k)), `no case for rule "${m}"`).toBe(true);
  });

  it('the valid manifests themselves are accepted (so each case fails for its rule only)', async (ctx) => {
    const c = await world(ctx);
    // A schedule using every form the runner accepts, and the two only code can refuse
    // (the operator's Ready=False does): a range that runs backwards, a zone that does not exist.
    const scheduled = (name: string, schedule: Json) => ({ ...validJob({ schedule }), metadata: { name, namespace: NS } });
    const schedules = [
      scheduled('cel-every-form', { cron: ' */15  0-23/2 1,15 JAN-dec Mon-FRI ', timeZone: 'America/Argentina/Buenos_Aires' }),
      scheduled('cel-descriptor', { cron: '@Daily', timeZone: 'Etc/GMT+5' }),
      scheduled('cel-operator-says', { cron: '0 0 5-1 * *', timeZone: 'Mars/Olympus' }),
    ];
    for (const o of [validJob(), validRun(), ...schedules]) {
      const file = join(c.dir, `valid-${String((o as Json).kind)}-${String((o.metadata as Json).name)}.yaml`);
      await writeFile(file, stringify(o));
      const r = await kubectl(c, ['apply', '--dry-run=server', '-f', file]);
      expect(r.code, `${String((o.metadata as Json).name)}: ${r.err}`).toBe(0);
    }
  });

  it.for(Object.entries(CASES))('%s', async ([message, manifest], ctx) => {
    const c = await world(ctx);
    const file = join(c.dir, `case-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, stringify(manifest));
    const r = await kubectl(c, ['apply', '--dry-run=server', '-f', file]);
    expect(r.code).toBe(1);
    // One line that says what is wrong and what to do, as the user sees it.
    expect(r.err).toContain(message);
    expect(r.err).toMatch(/is invalid/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
