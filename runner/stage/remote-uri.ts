// Parsing sftp:// and ftp(s):// URIs. Pure. Credentials never go in a URI: a password in
// one is refused (it would end up in status, Events and logs); they come from Secrets.
import { StageError } from './types.ts';

export interface RemoteLocation {
  scheme: 'sftp' | 'ftp' | 'ftps';
  user: string | undefined;
  host: string;
  port: number;
  /** Absolute, decoded, "/"-separated; may contain glob characters. */
  path: string;
  /** user@host[:port], for messages. */
  display: string;
}

const DEFAULT_PORTS = { sftp: 22, ftp: 21, ftps: 21 } as const;

export function parseRemoteUri(uri: string, field: string, optionsField: string): RemoteLocation {
  const m = /^(sftp|ftps?):\/\/([^/]*)(\/.*)?$/i.exec(uri.trim());
  if (!m) throw new StageError(`${field}: "${uri}" is not a valid sftp:// or ftp:// URI (expected sftp://user@host[:port]/path)`, field);
  const scheme = m[1]!.toLowerCase() as RemoteLocation['scheme'];
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? undefined : authority.slice(0, at);
  const hostPort = at === -1 ? authority : authority.slice(at + 1);
  if (userInfo?.includes(':')) {
    throw new StageError(
      `${field}: the URI must not carry a password; put it in a Secret listed in spec.runner.envFrom and name the variable in ${optionsField}.passwordEnv`,
      field,
    );
  }
  const hp = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(hostPort);
  if (!hp) throw new StageError(`${field}: "${hostPort}" is not a valid host[:port] in ${scheme}://${userInfo ? `${userInfo}@` : ''}${hostPort}`, field);
  const host = hp[1]!.replace(/^\[|\]$/g, '');
  const port = hp[2] ? Number(hp[2]) : DEFAULT_PORTS[scheme];
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StageError(`${field}: port ${hp[2]} is out of range (1-65535)`, field);
  let user: string | undefined;
  let path: string;
  try {
    user = userInfo === undefined ? undefined : decodeURIComponent(userInfo);
    path = decodeURIComponent(m[3] ?? '/');
  } catch {
    throw new StageError(`${field}: "${uri}" has an invalid %-escape`, field);
  }
  if (scheme === 'sftp' && !user) {
    throw new StageError(`${field}: name the user in the URI, e.g. sftp://user@${hostPort}${m[3] ?? '/'}`, field);
  }
  const display = `${scheme}://${user ? `${user}@` : ''}${hp[1]}${hp[2] ? `:${hp[2]}` : ''}`;
  return { scheme, user, host, port, path, display };
}

/** The URI of `path` on the same server, for messages and result locations. */
export function remoteUri(loc: RemoteLocation, path: string): string {
  return `${loc.display}${path.split('/').map((s) => encodeURIComponent(s).replace(/%2A/gi, '*')).join('/')}`;
}
