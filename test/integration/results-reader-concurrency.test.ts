// The web's result reader serves many people at once: every rows page and its count must be
// the file's own, whatever else is read at the same moment, and a cached S3 copy must not be
// evicted from under a query that still reads it. Real DuckDB, real S3-compatible server.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResults } from '../../operator/web/api/results.ts';
import { sharedService } from '../support/require-service.ts';
import { startS3Server } from '../support/s3-server.ts';

// More rows than one DuckDB chunk (2,048), different per file, so a page or a count that
// came from another file's query shows.
const FILES = 12;
const rowsOf = (i: number) => 2_500 + i * 137;
let dir = '';
const paths: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-reader-'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (let i = 0; i < FILES; i++) {
    const p = join(dir, `result-${i}.parquet`);
    await conn.run(`COPY (SELECT 'f${i}-' || r AS id, 'mismatch' AS recon_status FROM range(${rowsOf(i)}) t(r)) TO '${p}' (FORMAT parquet)`);
    paths.push(p);
  }
  conn.closeSync();
  db.closeSync();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every page is whole and holds only its own file's rows, and its count is its own. */
function expectOwn(page: { rows: Array<Record<string, unknown>>; total: number }, i: number): void {
  expect(page.total).toBe(rowsOf(i));
  expect(page.rows).toHaveLength(rowsOf(i));
  expect(page.rows.every((r) => String(r.id).startsWith(`f${i}-`))).toBe(true);
}

const s3 = sharedService('an S3-compatible test server', () => startS3Server({ buckets: ['results'] }), (s) => s.stop());

describe('the web result reader under concurrent requests', () => {
  it('answers every concurrent page and count from its own file (local results)', async () => {
    const results = openResults({ localRoots: [dir] });
    try {
      for (let round = 0; round < 3; round++) {
        const pages = await Promise.all(paths.map((p) => results.rows([p], { limit: 10_000, offset: 0 })));
        pages.forEach((page, i) => expectOwn(page, i));
      }
    } finally {
      await results.close();
    }
  });

  it('keeps a cached S3 copy on disk while a query reads it, however small the cache', async (ctx) => {
    const server = await s3(ctx);
    for (let i = 0; i < FILES; i++) {
      await server.client.send(new PutObjectCommand({ Bucket: 'results', Key: `job/${i}/result.parquet`, Body: await readFile(paths[i]!) }));
    }
    const results = openResults({ s3Env: server.env, maxCached: 2 });
    try {
      for (let round = 0; round < 3; round++) {
        const pages = await Promise.all(paths.map((_, i) => results.rows([`s3://results/job/${i}/result.parquet`], { limit: 10_000, offset: 0 })));
        pages.forEach((page, i) => expectOwn(page, i));
      }
    } finally {
      await results.close();
    }
  });
});
