// OpenSSH known_hosts matching, for SFTP host key checking. Pure: text and key bytes in,
// a verdict out. Supports plain and hashed (|1|salt|hash) host names, comma lists,
// [host]:port entries, * and ? wildcards, negation with !, and @revoked markers
// (@cert-authority lines are skipped: host certificates are not accepted).
import { createHmac } from 'node:crypto';

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked';

interface Entry {
  marker: string | undefined;
  patterns: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const marker = parts[0]?.startsWith('@') ? parts.shift() : undefined;
    const [patterns, keyType, b64] = parts;
    if (!patterns || !keyType || !b64) continue;
    out.push({ marker, patterns, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** How OpenSSH names a host in known_hosts: bare for port 22, else [host]:port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcard(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type stored inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

export function checkHostKey(text: string, host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const entries = parseKnownHosts(text).filter((e) => e.marker !== '@cert-authority' && hostMatches(e.patterns, name));
  if (entries.some((e) => e.marker === '@revoked' && e.key.equals(key))) return 'revoked';
  const plain = entries.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return 'match';
  // A listed host with keys of another type only is unknown for this type, as in OpenSSH.
  return plain.some((e) => e.keyType === keyTypeOf(key)) ? 'mismatch' : 'unknown';
}
