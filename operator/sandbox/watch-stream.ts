// List-then-watch over HTTPS for the process kubelet: every object is handed to `onEvent`
// after a list and for each watch event; a broken or expired watch lists again. The
// consumer is level-based (it looks at the object, not the event type, except DELETED).
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { kubeRequest } from './control-plane.ts';

export interface ApiEndpoint {
  host: string;
  port: number;
  caPem: string;
  token: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNC';

export interface ListWatch {
  stop(): void;
}

interface ObjectWithMeta {
  metadata?: { resourceVersion?: string };
}

/** Lists `path`, then watches it until stop(); reconnects after errors with a short backoff. */
export function listWatch<T extends ObjectWithMeta>(api: ApiEndpoint, path: string, onEvent: (type: WatchEventType, obj: T) => void, onError?: (err: Error) => void): ListWatch {
  let stopped = false;
  let current: IncomingMessage | undefined;
  const sep = path.includes('?') ? '&' : '?';
  const loop = async () => {
    let backoff = 200;
    while (!stopped) {
      try {
        const list = await kubeRequest<{ items?: T[]; metadata?: { resourceVersion?: string }; message?: string }>(api, api.token, 'GET', path);
        if (list.status !== 200) throw new Error(`list ${path}: ${list.status} ${list.body?.message ?? ''}`);
        for (const item of list.body.items ?? []) onEvent('SYNC', item);
        let rv = list.body.metadata?.resourceVersion ?? '';
        backoff = 200;
        // Watch until the stream ends or expires; then list again.
        for (;;) {
          if (stopped) return;
          const result = await watchOnce<T>(api, `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, (res) => (current = res), (type, obj) => {
            const next = obj.metadata?.resourceVersion;
            if (next) rv = next;
            if (type !== 'BOOKMARK') onEvent(type, obj);
          });
          if (result === 'expired') break;
        }
      } catch (err) {
        if (stopped) return;
        onError?.(err as Error);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  };
  void loop();
  return {
    stop() {
      stopped = true;
      current?.destroy();
    },
  };
}

function watchOnce<T>(
  api: ApiEndpoint,
  path: string,
  onResponse: (res: IncomingMessage) => void,
  onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: T) => void,
): Promise<'ended' | 'expired'> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: api.host, port: api.port, path, method: 'GET', ca: api.caPem, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } },
      (res) => {
        onResponse(res);
        if (res.statusCode === 410) {
          res.resume();
          resolve('expired');
          return;
        }
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${path}: ${res.statusCode}`));
          return;
        }
        let buf = '';
        let expired = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line) as { type: string; object: T & { code?: number } };
            if (ev.type === 'ERROR') {
              expired = true; // 410 Gone (or another error): list again
              res.destroy();
              return;
            }
            onEvent(ev.type as 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', ev.object);
          }
        });
        res.on('end', () => resolve(expired ? 'expired' : 'ended'));
        res.on('close', () => resolve(expired ? 'expired' : 'ended'));
        res.on('error', (err) => (expired ? resolve('expired') : reject(err)));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
