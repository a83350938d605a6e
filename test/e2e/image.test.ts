// The image users build, as a user's cluster runs it: built from the Dockerfile without a
// daemon (scripts/build-image.sh: buildah onto the local Debian Node 20 base that
// scripts/install-node.sh makes), then inspected and run with podman under the chart's
// securityContext. Needs root, buildah and podman; without them it skips with the reason,
// and under CI=true it fails. covers docs block real-node-build
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildImage } from '../../operator/sandbox/real-node-sandbox.ts';
import { repoRoot } from '../support/helm.ts';
import { sharedService } from '../support/require-service.ts';

const PODMAN = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- podman's JSON, read field by field in assertions

function sh(exe: string, args: string[], timeout = 1_500_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(exe, args, { cwd: repoRoot, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, out, errText) =>
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, out, err: errText }),
    );
  });
}

async function ok(exe: string, args: string[]): Promise<string> {
  const r = await sh(exe, args);
  if (r.code !== 0) throw new Error(`${exe} ${args.join(' ')} failed (${r.code}): ${r.err}${r.out}`);
  return r.out;
}

const image = sharedService(
  'the raas image (scripts/install-node.sh, scripts/build-image.sh: buildah, podman)',
  async () => {
    // The docs' two commands, in order: the packages and base image (a no-op when present), the build.
    if (process.getuid?.() !== 0) throw new Error('building the image without a daemon needs root (podman, buildah)');
    await ok('bash', ['scripts/install-node.sh']);
    return buildImage(() => undefined);
  },
  async () => undefined,
);

describe('the image, built without a daemon', { timeout: 1_800_000 }, () => {
  it('carries the compiled build and its runtime files, no TypeScript sources and no tsx', async (ctx) => {
    const ref = await image(ctx);
    // The content-addressed tag: another checkout's build on this host cannot re-tag it.
    expect(ref).toMatch(/^localhost\/raas:src-[0-9a-f]{16}$/);
    const inspect = JSON.parse(await ok('podman', [...PODMAN, 'image', 'inspect', ref])) as Json[];
    expect(inspect[0]?.Config).toMatchObject({ User: '10001:10001', Entrypoint: ['node', '/app/bin/raas.js'] });
    const listing = await ok('podman', [...PODMAN, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--entrypoint', 'find', ref, '/app', '-not', '-path', '/app/node_modules/*']);
    const files = listing.split('\n').filter(Boolean);
    expect(files).toContain('/app/dist/build-stamp.json');
    expect(files).toContain('/app/crds/raas.dev_reconjobs.yaml');
    expect(files).toContain('/app/operator/web/page/index.html');
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    const modules = await ok('podman', [...PODMAN, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--entrypoint', 'ls', ref, '/app/node_modules']);
    expect(modules.split('\n')).not.toContain('tsx');
    expect(modules.split('\n')).not.toContain('typescript');
    expect(modules.split('\n')).not.toContain('esbuild');
    // The build stage's CA bundle secret never reaches a layer.
    const secrets = await sh('podman', [...PODMAN, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--entrypoint', 'ls', ref, '/run/secrets/npmca']);
    expect(secrets.code).not.toBe(0);
  });

  it('runs the quick start read-only as uid 10001 with every capability dropped; only /tmp is writable', async (ctx) => {
    const ref = await image(ctx);
    // The chart's securityContext, as podman flags: read-only root, an emptyDir-like /tmp.
    const secure = [...PODMAN, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--read-only', '--read-only-tmpfs=false', '--tmpfs', '/tmp:rw,size=64m', '--user', '10001:10001', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];
    const r = await sh('podman', [...secure, ref, 'run', '-f', '/app/examples/quickstart/reconjob.yaml', '--date', '2024-01-01', '--out', '/tmp/out']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/UNBALANCED/);
    expect(r.out).toMatch(/matched\s+15\n/);
    expect(r.out).toMatch(/mismatched\s+2\s/);
    expect(r.out).toMatch(/left only\s+1\n/);
    expect(r.out).toMatch(/right only\s+1\n/);
    const probe = await sh('podman', [...secure, '--entrypoint', 'sh', ref, '-c', 'id -u; grep CapEff /proc/self/status; touch /tmp/ok && echo tmp-writable; touch /app/x 2>/dev/null || echo app-read-only; touch /x 2>/dev/null || echo root-read-only']);
    expect(probe.out.split('\n')).toEqual(['10001', 'CapEff:\t0000000000000000', 'tmp-writable', 'app-read-only', 'root-read-only', '']);
  });
});
