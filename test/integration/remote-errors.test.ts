// What a user sees when an SFTP or FTP source is wrong: unreachable host,
// refused credentials, unknown or changed host key, missing path, permission denied, and
// credentials put where they do not belong. One line, naming the field and the fix, never
// the secret.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageError, stageSource, type StageOptions } from '../../runner/stage/stage-source.ts';
import { startFtpServer } from '../support/ftp.ts';
import { freePort, run } from '../support/net.ts';
import { sharedService, type SkipContext } from '../support/require-service.ts';
import { startSftpServer } from '../support/sftp.ts';

const FIELD = 'spec.right.uri';
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'raas-remote-errors-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
let n = 0;
const dest = () => path.join(scratch, `d${n++}`);

async function message(opts: Omit<StageOptions, 'field' | 'baseDir' | 'destDir'>, secrets: string[] = []): Promise<string> {
  const err: unknown = await stageSource({ field: FIELD, baseDir: scratch, destDir: dest(), ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StageError);
  const msg = (err as Error).message;
  expect(msg).not.toContain('\n');
  for (const s of secrets) expect(msg).not.toContain(s);
  return msg;
}

describe('sftp:// errors', { timeout: 120_000 }, () => {
  const server = sharedService(
    'sshd',
    async () => {
      const s = await startSftpServer();
      await s.put('in/a.csv', 'id\n1\n');
      await s.put('in/locked.csv', 'id\n2\n');
      return s;
    },
    (s) => s.stop(),
  );

  it('authenticates with a key or a password from the environment', async (ctx: SkipContext) => {
    const s = await server(ctx);
    const byKey = await stageSource({ field: FIELD, baseDir: scratch, destDir: dest(), uri: s.uri('in/a.csv'), env: { K: s.privateKey }, sftp: { privateKeyEnv: 'K', knownHosts: s.knownHosts } });
    expect(await readFile(byKey.files[0]!, 'utf8')).toBe('id\n1\n');
    const byPassword = await stageSource({ field: FIELD, baseDir: scratch, destDir: dest(), uri: s.uri('in/*.csv'), env: { P: s.password }, sftp: { passwordEnv: 'P', knownHostsEnv: 'KH' } }).catch((e: Error) => e.message);
    expect(byPassword).toMatch(/spec\.right\.sftp\.knownHostsEnv: environment variable KH is not set/);
    const ok = await stageSource({ field: FIELD, baseDir: scratch, destDir: dest(), uri: s.uri('in/a.csv'), env: { P: s.password, KH: s.knownHosts }, sftp: { passwordEnv: 'P', knownHostsEnv: 'KH' } });
    expect(ok.files).toHaveLength(1);
  });

  it('refuses to connect without a known host key unless told to skip the check', async (ctx: SkipContext) => {
    const s = await server(ctx);
    expect(await message({ uri: s.uri('in/a.csv'), env: { P: s.password }, sftp: { passwordEnv: 'P' } }, [s.password])).toBe(
      `spec.right.sftp.knownHosts: required to check the server's host key; paste the output of "ssh-keyscan -p ${s.port} 127.0.0.1" (or set knownHostsEnv)`,
    );
    const insecure = await stageSource({ field: FIELD, baseDir: scratch, destDir: dest(), uri: s.uri('in/a.csv'), env: { P: s.password }, sftp: { passwordEnv: 'P', insecureIgnoreHostKey: true } });
    expect(insecure.files).toHaveLength(1);
  });

  it('tells an unknown host key from a changed one', async (ctx: SkipContext) => {
    const s = await server(ctx);
    const other = path.join(scratch, `hk-${n++}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = (await readFile(`${other}.pub`, 'utf8')).split(' ')[1];
    const unknown = await message({ uri: s.uri('in/a.csv'), env: { P: s.password }, sftp: { passwordEnv: 'P', knownHosts: `[127.0.0.1]:1 ssh-ed25519 ${otherKey}\n` } });
    expect(unknown).toMatch(new RegExp(`^spec\\.right\\.uri: the host key of \\[127\\.0\\.0\\.1\\]:${s.port} \\(SHA256:[A-Za-z0-9+/]+\\) is not in spec\\.right\\.sftp\\.knownHosts; add the line from "ssh-keyscan -p ${s.port} 127\\.0\\.0\\.1"`));
    const changed = await message({ uri: s.uri('in/a.csv'), env: { P: s.password }, sftp: { passwordEnv: 'P', knownHosts: `[127.0.0.1]:${s.port} ssh-ed25519 ${otherKey}\n` } });
    expect(changed).toMatch(/does NOT match spec\.right\.sftp\.knownHosts: the server was re-keyed or someone is in between/);
  });

  it('names unreachable hosts, missing paths and unreadable files', async (ctx: SkipContext) => {
    const s = await server(ctx);
    const opts = { env: { P: s.password }, sftp: { passwordEnv: 'P', knownHosts: s.knownHosts } };
    const closed = await freePort();
    expect(await message({ ...opts, uri: `sftp://${s.user}@127.0.0.1:${closed}/x.csv` })).toBe(`spec.right.uri: cannot reach 127.0.0.1:${closed}: connection refused; check the host and port in the URI`);
    expect(await message({ ...opts, uri: s.uri('nowhere/x.csv') })).toBe(`spec.right.uri: no file matches "${s.uri('nowhere/x.csv')}" (looked in ${s.uri('nowhere')})`);
    expect(await message({ ...opts, uri: s.uri('in') })).toMatch(/is a directory; name the files/);
    const locked = path.join(s.root, 'in/locked.csv');
    await rm(locked);
    await writeFile(locked, 'x');
    await chmod(locked, 0o000);
    expect(await message({ ...opts, uri: s.uri('in/locked.csv') })).toBe(`spec.right.uri: permission denied reading ${s.uri('in/locked.csv')}; ask the server's owner to grant the user read access`);
    expect(await message({ ...opts, env: { P: 'Not-The-Password-1' }, uri: s.uri('in/a.csv') }, ['Not-The-Password-1'])).toBe(
      `spec.right.uri: authentication refused for user "${s.user}" on 127.0.0.1:${s.port}; check the user in the URI and the Secret variable P (spec.right.sftp)`,
    );
  });

  it('refuses credentials in the URI and missing ones', async (ctx: SkipContext) => {
    const s = await server(ctx);
    expect(await message({ uri: `sftp://${s.user}:hunter2@127.0.0.1:${s.port}/x`, env: {} }, ['hunter2'])).toMatch(/^spec\.right\.uri: the URI must not carry a password; put it in a Secret listed in spec\.runner\.envFrom and name the variable in spec\.right\.sftp\.passwordEnv$/);
    expect(await message({ uri: s.uri('in/a.csv'), env: {}, sftp: { knownHosts: s.knownHosts } })).toMatch(/^spec\.right\.sftp: no credentials; set passwordEnv or privateKeyEnv/);
  });
});

describe('ftp:// errors', { timeout: 120_000 }, () => {
  const server = sharedService('vsftpd', () => startFtpServer({ tls: false }), (s) => s.stop());

  it('names refused logins, unreachable hosts and missing passwords', async (ctx: SkipContext) => {
    const s = await server(ctx);
    await s.put('x/a.csv', 'id\n1\n');
    expect(await message({ uri: s.uri('x/a.csv'), env: { P: 'Wrong-Ftp-Pw-3' }, ftp: { passwordEnv: 'P' } }, ['Wrong-Ftp-Pw-3'])).toMatch(/^spec\.right\.uri: authentication refused for user "raas-ftp-\w+" on 127\.0\.0\.1:\d+ \(FTP 530\)/);
    const closed = await freePort();
    expect(await message({ uri: `ftp://u@127.0.0.1:${closed}/a.csv`, env: { P: 'x' }, ftp: { passwordEnv: 'P' } })).toMatch(/cannot reach 127\.0\.0\.1:\d+: connection refused/);
    expect(await message({ uri: s.uri('x/a.csv'), env: {} })).toMatch(/^spec\.right\.ftp\.passwordEnv: required for user/);
    expect(await message({ uri: s.uri('x/none.csv'), env: { P: s.password }, ftp: { passwordEnv: 'P' } })).toMatch(/no file matches/);
  });

  it('refuses an FTPS server whose certificate it cannot verify', async (ctx: SkipContext) => {
    await server(ctx);
    const tls = await startFtpServer({ tls: true });
    try {
      await tls.put('a.csv', 'id\n1\n');
      expect(await message({ uri: tls.uri('a.csv'), env: { P: tls.password }, ftp: { passwordEnv: 'P' } }, [tls.password])).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*spec\.right\.ftp\.caEnv/);
    } finally {
      await tls.stop();
    }
  });
});
