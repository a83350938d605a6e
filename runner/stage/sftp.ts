// sftp:// sources and targets over SSH (ssh2-sftp-client on ssh2). Credentials come from
// environment variables named in the spec (filled from runner.envFrom Secrets); the host
// key is checked against a known_hosts value unless the spec explicitly opts out. One
// connection per stage or publish call, closed when it is done.
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { expandRemoteGlob, summarize, type RemoteEntry } from './glob.ts';
import { checkHostKey, knownHostsName, type HostKeyVerdict } from './known-hosts.ts';
import { errorText } from './publish-text.ts';
import { parseRemoteUri, remoteUri, type RemoteLocation } from './remote-uri.ts';
import { StageError, type Env, type PublishSteps, type PublishTargetRequest, type SchemeSession, type SftpOptions, type StageRequest, type StagedFiles } from './types.ts';

export function openSftpScheme(): SchemeSession {
  return { stage: stageSftp, target: openSftpTarget, close: async () => {} };
}

/** `spec.left.uri` -> `spec.left.sftp`: where the connection options of a URI field live. */
export function optionsFieldOf(field: string, block: string): string {
  return field.endsWith('.uri') ? `${field.slice(0, -'.uri'.length)}.${block}` : `${field} (${block} options)`;
}

const READY_TIMEOUT_MS = 20_000;

interface Connected {
  client: SftpClient;
  loc: RemoteLocation;
}

function envSecret(env: Env, name: string | undefined, field: string): string | undefined {
  if (name === undefined) return undefined;
  const v = env[name];
  if (v === undefined || v === '') {
    throw new StageError(`${field}: environment variable ${name} is not set; add it to a Secret listed in spec.runner.envFrom`, field);
  }
  return v;
}

async function connect(uri: string, field: string, opts: SftpOptions | undefined, env: Env): Promise<Connected> {
  const of = optionsFieldOf(field, 'sftp');
  const loc = parseRemoteUri(uri, field, of);
  const o = opts ?? {};
  const password = envSecret(env, o.passwordEnv, `${of}.passwordEnv`);
  const privateKey = envSecret(env, o.privateKeyEnv, `${of}.privateKeyEnv`);
  const passphrase = envSecret(env, o.passphraseEnv, `${of}.passphraseEnv`);
  if (password === undefined && privateKey === undefined) {
    throw new StageError(`${of}: no credentials; set passwordEnv or privateKeyEnv to a variable from a Secret listed in spec.runner.envFrom`, of);
  }
  const knownHosts = o.knownHosts ?? envSecret(env, o.knownHostsEnv, `${of}.knownHostsEnv`);
  if (knownHosts === undefined && o.insecureIgnoreHostKey !== true) {
    throw new StageError(
      `${of}.knownHosts: required to check the server's host key; paste the output of "ssh-keyscan -p ${loc.port} ${loc.host}" (or set knownHostsEnv)`,
      of,
    );
  }
  let verdict: { v: HostKeyVerdict; fingerprint: string } | undefined;
  const client = new SftpClient('raas');
  try {
    await client.connect({
      host: loc.host,
      port: loc.port,
      username: loc.user!,
      ...(password !== undefined ? { password } : {}),
      ...(privateKey !== undefined ? { privateKey } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      readyTimeout: READY_TIMEOUT_MS,
      // One attempt: a refused password retried is an account lockout waiting to happen.
      retries: 0,
      hostVerifier: (key: Buffer): boolean => {
        if (knownHosts === undefined) return true;
        const v = checkHostKey(knownHosts, loc.host, loc.port, key);
        verdict = { v, fingerprint: `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}` };
        return v === 'match';
      },
    });
  } catch (err) {
    await client.end().catch(() => undefined);
    const name = knownHostsName(loc.host, loc.port);
    if (verdict && verdict.v !== 'match') {
      const why =
        verdict.v === 'unknown'
          ? `the host key of ${name} (${verdict.fingerprint}) is not in ${of}.knownHosts; add the line from "ssh-keyscan -p ${loc.port} ${loc.host}" after checking it with the server's owner`
          : verdict.v === 'revoked'
            ? `the host key of ${name} (${verdict.fingerprint}) is marked @revoked in ${of}.knownHosts`
            : `the host key of ${name} (${verdict.fingerprint}) does NOT match ${of}.knownHosts: the server was re-keyed or someone is in between; confirm with the server's owner before updating knownHosts`;
      throw new StageError(`${field}: ${why}`, field, { cause: err });
    }
    throw new StageError(`${field}: ${connectFailure(err, loc, of, o)}`, field, { cause: err });
  }
  return { client, loc };
}

function codeOf(err: unknown): string | number | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' || typeof c === 'number' ? c : undefined;
}

function connectFailure(err: unknown, loc: RemoteLocation, of: string, o: SftpOptions): string {
  const code = codeOf(err);
  const text = errorText(err);
  const where = `${loc.host}:${loc.port}`;
  if (code === 'ECONNREFUSED' || /refused connection/i.test(text)) return `cannot reach ${where}: connection refused; check the host and port in the URI`;
  if (code === 'ENOTFOUND' || /lookup failed/i.test(text)) return `cannot reach ${where}: the host name does not resolve; check the host in the URI`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || /timed out/i.test(text)) {
    return `cannot reach ${where}: ${code ?? 'timed out'}; check the host, the port and that the runner's network may connect`;
  }
  if (/authentication methods failed/i.test(text)) {
    const v = [o.passwordEnv, o.privateKeyEnv].filter(Boolean).join(' / ');
    return `authentication refused for user "${loc.user}" on ${where}; check the user in the URI and the Secret variable ${v} (${of})`;
  }
  return `cannot connect to ${where}: ${text.replace(/^[\w.:]+: /, '')}`;
}

function sftpFailure(err: unknown, what: string): string {
  const code = codeOf(err);
  const text = errorText(err);
  if (code === 2 || /no such file/i.test(text)) return `${what} does not exist`;
  if (code === 3 || /permission denied/i.test(text)) return `permission denied reading ${what}; ask the server's owner to grant the user read access`;
  return `${what}: ${text}`;
}

async function lister(client: SftpClient): Promise<{ list: (d: string) => Promise<RemoteEntry[] | undefined>; statPath: (p: string) => Promise<RemoteEntry | undefined> }> {
  return {
    list: async (dir) => {
      try {
        const entries = await client.list(dir);
        return entries.map((e) => ({ name: e.name, kind: e.type === '-' ? 'file' : e.type === 'd' ? 'dir' : 'other', size: e.size }));
      } catch (err) {
        if (codeOf(err) === 2 || /no such file/i.test(errorText(err))) return undefined;
        throw err;
      }
    },
    statPath: async (p) => {
      try {
        const st = await client.stat(p);
        return { name: path.posix.basename(p), kind: st.isFile ? 'file' : st.isDirectory ? 'dir' : 'other', size: st.size };
      } catch (err) {
        if (codeOf(err) === 2 || /no such file/i.test(errorText(err))) return undefined;
        throw err;
      }
    },
  };
}

async function stageSftp(req: StageRequest): Promise<StagedFiles> {
  const { field } = req;
  const { client, loc } = await connect(req.uri, field, req.sftp, req.env);
  try {
    const { list, statPath } = await lister(client);
    let found;
    try {
      found = await expandRemoteGlob(loc.path, list, statPath);
    } catch (err) {
      throw new StageError(`${field}: ${sftpFailure(err, `${loc.display}${loc.path}`)}`, field, { cause: err });
    }
    if (found.isDirectory) {
      throw new StageError(`${field}: "${req.uri}" is a directory; name the files, e.g. "${req.uri.replace(/\/?$/, '/*.csv')}"`, field);
    }
    if (found.matches.length === 0) {
      throw new StageError(`${field}: no file matches "${req.uri}" (looked in ${remoteUri(loc, found.lookedIn)})`, field);
    }
    const files: string[] = [];
    let bytes = 0;
    // One file at a time over one SSH connection: SFTP pipelines reads inside fastGet.
    for (const m of found.matches) {
      const dest = path.join(req.destDir, ...m.rel.split('/'));
      await mkdir(path.dirname(dest), { recursive: true });
      try {
        await client.fastGet(m.path, dest);
      } catch (err) {
        throw new StageError(`${field}: ${sftpFailure(err, remoteUri(loc, m.path))}`, field, { cause: err });
      }
      const size = (await stat(dest)).size;
      if (size !== m.size) throw new StageError(`${field}: download of ${remoteUri(loc, m.path)} was cut short: ${size} of ${m.size} bytes`, field);
      bytes += size;
      files.push(dest);
    }
    req.onProgress?.(summarize(files, bytes, 'file', remoteUri(loc, found.lookedIn)));
    return { files, bytes };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** An sftp:// directory as a publish target; one connection, ended by close(). */
async function openSftpTarget(req: PublishTargetRequest): Promise<PublishSteps> {
  const field = 'spec.output.uri';
  let conn: Connected;
  try {
    conn = await connect(req.targetUri, field, req.sftp, req.env);
  } catch (err) {
    throw new Error(err instanceof Error ? err.message.replace(/^spec\.output\.uri: /, '') : String(err), { cause: err });
  }
  const { client, loc } = conn;
  const dir = loc.path.replace(/\/+$/, '') || '/';
  const join = (name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
  try {
    await client.mkdir(dir, true);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(sftpFailure(err, remoteUri(loc, dir)).replace('reading', 'writing to'), { cause: err });
  }
  return {
    uri: remoteUri(loc, dir === '/' ? '/' : `${dir}/`),
    at: (name) => remoteUri(loc, join(name)),
    read: async (name) => {
      try {
        return String(await client.get(join(name)));
      } catch (err) {
        // SSH_FX_NO_SUCH_FILE (2) only; permission denied (3) and the rest are refusals.
        if (codeOf(err) === 2) return undefined;
        throw err;
      }
    },
    remove: async (name) => {
      await client.delete(join(name), true);
      return undefined;
    },
    put: async (src, name) => {
      if (name.includes('/')) await client.mkdir(path.posix.dirname(join(name)), true);
      await client.fastPut(src, join(name));
    },
    // posix-rename@openssh.com replaces the target in one step; plain SFTP rename refuses an existing one.
    rename: async (from, to) => {
      await client.posixRename(join(from), join(to));
    },
    explain: (err, name, op) => (op === 'read' ? sftpFailure(err, remoteUri(loc, join(name))) : sftpFailure(err, remoteUri(loc, join(name))).replace('reading', 'writing')),
    close: () => client.end().then(() => undefined, () => undefined),
  };
}
