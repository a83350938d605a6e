import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../runner/stage/s3-client.ts';

/** One HTTP request as the server received it, in arrival order. */
export interface S3Request {
  method: string;
  /** Decoded path: /bucket/key (path-style). */
  path: string;
  query: Record<string, string>;
}

export interface S3TestServer {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** What a runner needs to reach this server through createS3Client(env). */
  env: Record<string, string>;
  client: S3Client;
  /** s3rver's storage directory (tests that need a broken object corrupt it here). */
  directory: string;
  /** Every request received so far; waits until the server has reported all of them. */
  requests(): Promise<S3Request[]>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

// s3rver runs in a child process rather than in the test worker because its
// ListObjectsV2 continuation tokens use DES, which OpenSSL 3 (Node >= 17) only offers with
// --openssl-legacy-provider; in-process, any truncated listing (pagination) is a 500.
// The child reports each request over IPC so tests can observe real upload order.
const CHILD_SOURCE = String.raw`
'use strict';
const cfg = JSON.parse(process.env.RAAS_S3RVER_CONFIG);
const send = (m) => { if (process.connected) process.send(m); };
process.on('disconnect', () => process.exit(0));
let server;
try {
  const S3rver = require(cfg.modulePath);
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: cfg.directory,
    configureBuckets: cfg.buckets.map((name) => ({ name })),
  });
} catch (err) {
  send({ type: 'failed', message: String((err && err.stack) || err) });
  process.exit(1);
}
server.run().then(
  (addr) => {
    server.httpServer.prependListener('request', (req) => {
      send({ type: 'request', method: req.method, url: req.url });
    });
    send({ type: 'ready', port: addr.port });
  },
  (err) => {
    send({ type: 'failed', message: String((err && err.stack) || err) });
    process.exit(1);
  },
);
process.on('message', (m) => {
  if (m.type === 'flush') send({ type: 'flushed', id: m.id });
  if (m.type === 'stop') server.close().catch(() => {}).finally(() => process.exit(0));
});
`;

type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'request'; method: string; url: string }
  | { type: 'flushed'; id: number };

function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && 'type' in m && typeof m.type === 'string';
}

function toRequest(method: string, url: string): S3Request {
  const parsed = new URL(url, 'http://s3rver.invalid');
  let decoded = parsed.pathname;
  try {
    decoded = decodeURIComponent(parsed.pathname);
  } catch {
    // keep the raw path; a test will show it
  }
  return { method, path: decoded, query: Object.fromEntries(parsed.searchParams) };
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts s3rver on 127.0.0.1 (random free port) over a fresh temp directory with the given
 * buckets. Throws an Error saying why when it cannot start.
 */
export async function startS3Server(opts: { buckets?: string[] } = {}): Promise<S3TestServer> {
  let modulePath: string;
  try {
    modulePath = createRequire(import.meta.url).resolve('s3rver');
  } catch {
    throw new Error('the s3rver package is not installed (npm install --save-dev s3rver)');
  }
  const directory = await mkdtemp(path.join(tmpdir(), 'raas-s3rver-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RAAS_S3RVER_CONFIG: JSON.stringify({ modulePath, directory, buckets: opts.buckets ?? [] }),
  };
  // Loaders or inspectors meant for the test worker have no business in the server.
  delete env.NODE_OPTIONS;

  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SOURCE], {
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Its own process group, so a terminal's Ctrl-C reaches only its starter (control-plane.ts).
      detached: true,
    });
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`cannot spawn node for s3rver: ${(err as Error).message}`, { cause: err });
  }

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const requests: S3Request[] = [];
  const flushWaiters = new Map<number, () => void>();
  let nextFlush = 0;
  child.on('message', (m: unknown) => {
    if (!isChildMessage(m)) return;
    if (m.type === 'request') requests.push(toRequest(m.method, m.url));
    if (m.type === 'flushed') {
      flushWaiters.get(m.id)?.();
      flushWaiters.delete(m.id);
    }
  });

  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'stop' });
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    await rm(directory, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        fn();
      };
      child.on('message', (m: unknown) => {
        if (!isChildMessage(m)) return;
        if (m.type === 'ready') done(() => resolve(m.port));
        if (m.type === 'failed') done(() => reject(new Error(`s3rver failed to start: ${m.message}`)));
      });
      child.once('error', (err) => done(() => reject(new Error(`s3rver process error: ${err.message}`))));
      child.once('exit', (code, signal) =>
        done(() =>
          reject(new Error(`s3rver exited during start (code ${code}, signal ${signal}): ${stderr.trim() || 'no output'}`)),
        ),
      );
    });
  } catch (err) {
    await kill();
    throw err;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const serverEnv: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_S3_FORCE_PATH_STYLE: 'true',
    // s3rver stores aws-chunked bodies verbatim (framing and CRC trailer included), which the
    // SDK sends for streamed PutObject bodies unless checksums are limited to required ones.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
  const client = createS3Client(serverEnv);

  return {
    endpoint,
    directory,
    env: serverEnv,
    client,
    async requests() {
      if (!child.connected) return [...requests];
      // IPC is ordered: once this reply arrives, every earlier request report has too.
      const id = nextFlush++;
      await new Promise<void>((resolve) => {
        flushWaiters.set(id, resolve);
        child.send({ type: 'flush', id });
      });
      return [...requests];
    },
    async stop() {
      client.destroy();
      await kill();
    },
  };
}
