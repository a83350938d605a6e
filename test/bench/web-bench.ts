// `npm run bench:web`: the results API against the targets in docs/design.md, Performance targets.
//
//   - The run list with 10,000 runs (--runs N) across 4 namespaces, walked page by page
//     with limit=100 and continue, all namespaces and one namespace (target: < 200 ms a page).
//   - A page of rows from a 10M-row result file (--rows N), Parquet shaped like the
//     runner's result table: first page, filtered to mismatches, filtered by column, and a
//     page 5M rows deep (target: < 1 s a page).
//
// The server is the real `raas web` HTTP stack over an in-memory store (what the watch
// cache holds) with a reviewer that allows every namespace: this measures the server's
// own work per page. On a cluster the TokenReview/SubjectAccessReview answers are cached
// per token for a few seconds, so a paging client pays them once, not per page.
// A report: misses print MISS and the process still exits 0.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { staticStore } from '../support/static-store.ts';
import type { JobObject, RunObject } from '../../operator/web/api/listing.ts';
import type { Reviewer } from '../../operator/web/api/reviews.ts';
import { startWeb } from '../../operator/web/server.ts';

const TARGET_LIST_MS = 200;
const TARGET_ROWS_MS = 1000;

function intFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

const allowAll: Reviewer = {
  authenticate: async (token) => (token === 'bench' ? { username: 'bench', groups: [] } : undefined),
  review: async (_t, _u, namespace, verb) => ({ namespace, verb, allowed: true }),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verdict = (ms: number, target: number) => (ms < target ? 'ok' : 'MISS');

async function main() {
  const nRuns = intFlag('runs', 10_000);
  const nRows = intFlag('rows', 10_000_000);
  const dir = await mkdtemp(join(tmpdir(), 'raas-web-bench-'));
  try {
    const namespaces = ['bench-a', 'bench-b', 'bench-c', 'bench-d'];
    const jobs: JobObject[] = namespaces.flatMap((ns) => Array.from({ length: 25 }, (_, j) => ({ metadata: { name: `job-${j}`, namespace: ns }, spec: { schedule: { cron: '0 2 * * *', timeZone: 'UTC' } } })));
    const resultFile = join(dir, 'result.parquet');
    const runs: RunObject[] = Array.from({ length: nRuns }, (_, i) => {
      const ns = namespaces[i % 4]!;
      const day = new Date(Date.UTC(2020, 0, 1) + Math.floor(i / 100) * 86_400_000).toISOString();
      return {
        metadata: { name: `run-${i}`, namespace: ns, creationTimestamp: day },
        spec: { jobRef: { name: `job-${i % 25}` }, window: { start: day, end: day }, trigger: 'Scheduled' },
        status: {
          phase: 'Succeeded',
          balanced: i % 7 !== 0,
          counts: { left: 1000, right: 1000, matched: 990, mismatched: 5, leftOnly: 3, rightOnly: 2, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 },
          diffTotals: { amount: '12.34' },
          results: { uri: dir, files: [resultFile], summaryUri: join(dir, 'summary.json') },
        },
      };
    });

    process.stdout.write(`writing a ${nRows.toLocaleString('en-US')}-row result file… `);
    const t0 = performance.now();
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    // Like the runner's AllDiffs table: 80% mismatches (half on amount), 10% each side only.
    await conn.run(`COPY (
      SELECT i AS id,
        CASE WHEN i % 10 = 0 THEN 'left_only' WHEN i % 10 = 1 THEN 'right_only' ELSE 'mismatch' END AS recon_status,
        CASE WHEN i % 10 < 2 THEN []::VARCHAR[] WHEN i % 2 = 0 THEN ['amount'] ELSE ['status'] END AS recon_mismatched,
        (i % 100000 / 100)::DECIMAL(18,2) AS amount_left,
        (i % 100000 / 100 + CASE WHEN i % 2 = 0 THEN 0.5 ELSE 0 END)::DECIMAL(18,2) AS amount_right,
        (CASE WHEN i % 2 = 0 THEN 0.5 ELSE 0 END)::DECIMAL(18,2) AS amount_diff,
        'paid' AS status_left, CASE WHEN i % 2 = 1 THEN 'void' ELSE 'paid' END AS status_right
      FROM range(${nRows}) t(i) ORDER BY id
    ) TO '${resultFile}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    process.stdout.write(`${Math.round(performance.now() - t0)} ms\n`);

    const web = await startWeb({ kubeConfig: new KubeConfig(), port: 0, host: '127.0.0.1', store: staticStore(jobs, runs), reviewer: allowAll, localRoots: [dir] });
    const get = async (path: string) => {
      const t = performance.now();
      const r = await fetch(`${web.url}${path}`, { headers: { authorization: 'Bearer bench' } });
      const body = (await r.json()) as { items: unknown[]; metadata: { continue?: string } };
      const ms = performance.now() - t;
      if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(body)}`);
      return { ms, body };
    };
    try {
      console.log(`\nrun list, ${nRuns.toLocaleString('en-US')} runs, limit=100 (target < ${TARGET_LIST_MS} ms a page)`);
      for (const [label, base] of [['all namespaces', '/api/v1/reconruns?limit=100'], ['one namespace', '/api/v1/namespaces/bench-a/reconruns?limit=100'], ['unbalanced only', '/api/v1/reconruns?limit=100&balanced=false']] as const) {
        const times: number[] = [];
        let cont: string | undefined;
        let items = 0;
        for (let p = 0; p < 1000; p++) {
          const { ms, body } = await get(`${base}${cont ? `&continue=${cont}` : ''}`);
          times.push(ms);
          items += body.items.length;
          cont = body.metadata.continue;
          if (!cont) break;
        }
        const worst = Math.max(...times);
        console.log(`  ${label.padEnd(16)} ${String(times.length).padStart(4)} pages, ${items.toLocaleString('en-US').padStart(6)} runs: median ${median(times).toFixed(1)} ms, worst ${worst.toFixed(1)} ms  ${verdict(worst, TARGET_LIST_MS)}`);
      }

      console.log(`\nrows, ${nRows.toLocaleString('en-US')}-row Parquet result, limit=100 (target < ${TARGET_ROWS_MS} ms a page)`);
      const run = '/api/v1/namespaces/bench-a/reconruns/run-0/rows';
      const deep = Buffer.from(JSON.stringify({ v: 1, k: [String(Math.floor(nRows / 2)), '|'] })).toString('base64url');
      for (const [label, path] of [
        ['first page', `${run}?limit=100`],
        ['mismatches', `${run}?limit=100&status=mismatch`],
        ['column amount', `${run}?limit=100&status=mismatch&column=amount`],
        ['left/right only', `${run}?limit=100&status=left_only,right_only`],
        ['5M rows deep', `${run}?limit=100&continue=${deep}`],
      ] as const) {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) times.push((await get(path)).ms);
        console.log(`  ${label.padEnd(16)} first ${times[0]!.toFixed(0)} ms, median of 5 ${median(times).toFixed(0)} ms  ${verdict(median(times), TARGET_ROWS_MS)}`);
      }
    } finally {
      await web.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:web failed: ${(err as Error).message}`);
  process.exit(1);
});
