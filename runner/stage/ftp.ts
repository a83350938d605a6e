// ftp:// and ftps:// (explicit TLS; implicit with ftp.implicitTls) sources and targets,
// with basic-ftp. The password comes from an environment variable named in the spec
// (filled from a runner.envFrom Secret). FTPS verifies the server certificate against the
// system roots or ftp.caEnv unless ftp.insecureSkipTlsVerify says otherwise. One control
// connection per stage or publish call.
import { Writable } from 'node:stream';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client, FileType, FTPError } from 'basic-ftp';
import { expandRemoteGlob, summarize, type RemoteEntry } from './glob.ts';
import { errorText } from './publish-text.ts';
import { parseRemoteUri, remoteUri, type RemoteLocation } from './remote-uri.ts';
import { optionsFieldOf } from './sftp.ts';
import { StageError, type Env, type FtpOptions, type PublishSteps, type PublishTargetRequest, type SchemeSession, type StageRequest, type StagedFiles } from './types.ts';

export function openFtpScheme(): SchemeSession {
  return { stage: stageFtp, target: openFtpTarget, close: async () => {} };
}

const TIMEOUT_MS = 30_000;

function secretFrom(env: Env, name: string | undefined, field: string): string | undefined {
  if (name === undefined) return undefined;
  const v = env[name];
  if (v === undefined || v === '') throw new StageError(`${field}: environment variable ${name} is not set; add it to a Secret listed in spec.runner.envFrom`, field);
  return v;
}

async function connect(uri: string, field: string, opts: FtpOptions | undefined, env: Env): Promise<{ client: Client; loc: RemoteLocation }> {
  const of = optionsFieldOf(field, 'ftp');
  const loc = parseRemoteUri(uri, field, of);
  if (loc.scheme === 'sftp') throw new StageError(`${field}: not an ftp:// URI`, field);
  const o = opts ?? {};
  const password = secretFrom(env, o.passwordEnv, `${of}.passwordEnv`);
  if (loc.user && password === undefined) {
    throw new StageError(`${of}.passwordEnv: required for user "${loc.user}"; name a variable from a Secret listed in spec.runner.envFrom`, of);
  }
  const ca = secretFrom(env, o.caEnv, `${of}.caEnv`);
  const tls = loc.scheme === 'ftps';
  const client = new Client(TIMEOUT_MS);
  try {
    await client.access({
      host: loc.host,
      port: loc.port,
      user: loc.user ?? 'anonymous',
      password: password ?? 'anonymous@',
      secure: tls ? (o.implicitTls ? 'implicit' : true) : false,
      ...(tls ? { secureOptions: { ...(ca ? { ca } : {}), rejectUnauthorized: o.insecureSkipTlsVerify !== true, servername: /^[\d.:]+$/.test(loc.host) ? undefined : loc.host } } : {}),
    });
  } catch (err) {
    client.close();
    throw new StageError(`${field}: ${connectFailure(err, loc, of, o)}`, field, { cause: err });
  }
  return { client, loc };
}

function connectFailure(err: unknown, loc: RemoteLocation, of: string, o: FtpOptions): string {
  const code = (err as { code?: unknown }).code;
  const where = `${loc.host}:${loc.port}`;
  if (err instanceof FTPError && (code === 530 || code === 430)) {
    return `authentication refused for user "${loc.user ?? 'anonymous'}" on ${where} (FTP ${code}); check the user in the URI and the Secret variable ${o.passwordEnv ?? '(none: set ' + of + '.passwordEnv)'}`;
  }
  if (code === 'ECONNREFUSED') return `cannot reach ${where}: connection refused; check the host and port in the URI`;
  if (code === 'ENOTFOUND') return `cannot reach ${where}: the host name does not resolve; check the host in the URI`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || /timeout/i.test(errorText(err))) return `cannot reach ${where}: timed out; check the host, the port and the runner's network`;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code)) {
    return `the TLS certificate of ${where} is not trusted (${code}); give its CA in ${of}.caEnv`;
  }
  return `cannot connect to ${where}: ${errorText(err)}`;
}

function ftpFailure(err: unknown, what: string, verb: 'reading' | 'writing'): string {
  if (err instanceof FTPError) {
    // 550 means "file unavailable": missing or not permitted; the listing told us it exists.
    if (err.code === 550) return `cannot ${verb === 'reading' ? 'read' : 'write'} ${what} (FTP 550 ${err.message.replace(/^550 /, '')}); check that it exists and that the user has ${verb === 'reading' ? 'read' : 'write'} permission`;
    return `${verb} ${what} failed (FTP ${err.code} ${err.message.replace(/^\d+ /, '')})`;
  }
  return `${verb} ${what} failed: ${errorText(err)}`;
}

function entryOf(f: { name: string; type: FileType; size: number }): RemoteEntry {
  return { name: f.name, kind: f.type === FileType.File ? 'file' : f.type === FileType.Directory ? 'dir' : 'other', size: f.size };
}

async function stageFtp(req: StageRequest): Promise<StagedFiles> {
  const { field } = req;
  const { client, loc } = await connect(req.uri, field, req.ftp, req.env);
  try {
    const list = async (dir: string): Promise<RemoteEntry[] | undefined> => {
      try {
        // cd first: a LIST of a missing directory is an empty listing on many servers.
        await client.cd(dir);
      } catch (err) {
        if (err instanceof FTPError && err.code === 550) return undefined;
        throw err;
      }
      return (await client.list()).map(entryOf);
    };
    const statPath = async (p: string): Promise<RemoteEntry | undefined> => {
      const entries = await list(path.posix.dirname(p));
      return entries?.find((e) => e.name === path.posix.basename(p));
    };
    let found;
    try {
      found = await expandRemoteGlob(loc.path, list, statPath);
    } catch (err) {
      throw new StageError(`${field}: ${ftpFailure(err, `${loc.display}${loc.path}`, 'reading')}`, field, { cause: err });
    }
    if (found.isDirectory) throw new StageError(`${field}: "${req.uri}" is a directory; name the files, e.g. "${req.uri.replace(/\/?$/, '/*.csv')}"`, field);
    if (found.matches.length === 0) throw new StageError(`${field}: no file matches "${req.uri}" (looked in ${remoteUri(loc, found.lookedIn)})`, field);
    const files: string[] = [];
    let bytes = 0;
    for (const m of found.matches) {
      const dest = path.join(req.destDir, ...m.rel.split('/'));
      await mkdir(path.dirname(dest), { recursive: true });
      try {
        await client.downloadTo(dest, m.path);
      } catch (err) {
        throw new StageError(`${field}: ${ftpFailure(err, remoteUri(loc, m.path), 'reading')}`, field, { cause: err });
      }
      const size = (await stat(dest)).size;
      if (size !== m.size) throw new StageError(`${field}: download of ${remoteUri(loc, m.path)} was cut short: ${size} of ${m.size} bytes`, field);
      bytes += size;
      files.push(dest);
    }
    req.onProgress?.(summarize(files, bytes, 'file', remoteUri(loc, found.lookedIn)));
    return { files, bytes };
  } finally {
    client.close();
  }
}

/** An ftp(s):// directory as a publish target; one connection, closed by close(). */
async function openFtpTarget(req: PublishTargetRequest): Promise<PublishSteps> {
  let conn;
  try {
    conn = await connect(req.targetUri, 'spec.output.uri', req.ftp, req.env);
  } catch (err) {
    throw new Error(err instanceof Error ? err.message.replace(/^spec\.output\.uri: /, '') : String(err), { cause: err });
  }
  const { client, loc } = conn;
  const dir = loc.path.replace(/\/+$/, '') || '/';
  const join = (name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
  const ensureDir = async (d: string) => {
    await client.ensureDir(d);
    await client.cd('/');
  };
  try {
    await ensureDir(dir);
  } catch (err) {
    client.close();
    throw new Error(ftpFailure(err, remoteUri(loc, dir), 'writing'), { cause: err });
  }
  return {
    uri: remoteUri(loc, dir === '/' ? '/' : `${dir}/`),
    at: (name) => remoteUri(loc, join(name)),
    read: async (name) => {
      // FTP answers 550 both for "no such file" and for "not permitted", so absence is read
      // from the directory listing instead; a listed file that cannot be read is a refusal.
      const full = join(name);
      const listing = await client.list(path.posix.dirname(full));
      if (!listing.some((f) => f.name === path.posix.basename(full))) return undefined;
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(c: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void) {
          chunks.push(c);
          done();
        },
      });
      await client.downloadTo(sink, full);
      return Buffer.concat(chunks).toString('utf8');
    },
    remove: async (name) => {
      await client.remove(join(name), true);
      return undefined;
    },
    put: async (src, name) => {
      if (name.includes('/')) await ensureDir(path.posix.dirname(join(name)));
      await client.uploadFrom(src, join(name));
    },
    // RNFR/RNTO is a rename(2) on the server: readers see the old file or the whole new one.
    rename: async (from, to) => {
      await client.rename(join(from), join(to));
    },
    explain: (err, name, op) => ftpFailure(err, remoteUri(loc, join(name)), op === 'read' ? 'reading' : 'writing'),
    close: async () => client.close(),
  };
}
