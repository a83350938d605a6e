// Shell helpers for the real-node e2e tests: kubectl and podman as the tests drive them.
import { execFile } from 'node:child_process';
import { repoRoot } from './helm.ts';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON, read field by field in assertions
export const PODMAN = ['podman', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'] as const;

export function sh(exe: string, args: string[], env: Record<string, string> = {}, timeout = 300_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(exe, args, { cwd: repoRoot, env: { ...process.env, ...env }, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, out, errText) =>
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, out, err: errText }),
    );
  });
}

export async function ok(exe: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await sh(exe, args, env);
  if (r.code !== 0) throw new Error(`${exe} ${args.join(' ')} failed (${r.code}): ${r.err}${r.out}`);
  return r.out;
}

export async function kubectlJson(env: Record<string, string>, ...args: string[]): Promise<Json> {
  return JSON.parse(await ok(KUBECTL, [...args, '-o', 'json'], env)) as Json;
}

/** `kubectl apply -f -` of a manifest given as text. */
export function kubectlApply(env: Record<string, string>, namespace: string, manifest: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const p = execFile(KUBECTL, ['apply', '-n', namespace, '-f', '-'], { env: { ...process.env, ...env } }, (err, _out, errText) => (err ? reject(new Error(`kubectl apply: ${errText || err.message}`)) : resolve()));
    p.stdin?.end(manifest);
  });
}

/** The image's id (its config digest) as podman built it: what a container of it reports as imageID. */
export async function imageDigest(image: string): Promise<string> {
  return `sha256:${(await ok(PODMAN[0], [...PODMAN.slice(1), 'image', 'inspect', '--format', '{{.Id}}', image])).trim()}`;
}
