import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, knownHostsName } from './known-hosts.ts';

// A fake ed25519 blob: string "ssh-ed25519" then 32 key bytes, length-prefixed as on the wire.
function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const k = Buffer.alloc(32, fill);
  const out = Buffer.alloc(8 + t.length + k.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(k.length, 4 + t.length);
  k.copy(out, 8 + t.length);
  return out;
}
const A = blob('ssh-ed25519', 1);
const B = blob('ssh-ed25519', 2);
const R = blob('rsa-sha2-512', 3);
const line = (hosts: string, key: Buffer, type = 'ssh-ed25519') => `${hosts} ${type} ${key.toString('base64')}`;

describe('checkHostKey', () => {
  const hashed = (name: string) => {
    const salt = Buffer.alloc(20, 7);
    return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  };
  it.each([
    ['plain host, port 22', line('files.example.com', A), 'files.example.com', 22, A, 'match'],
    ['bracketed host and port', line('[127.0.0.1]:2222', A), '127.0.0.1', 2222, A, 'match'],
    ['the port matters', line('[127.0.0.1]:2222', A), '127.0.0.1', 2223, A, 'unknown'],
    ['comma list', line('a.example.com,files.example.com', A), 'files.example.com', 22, A, 'match'],
    ['wildcard', line('*.example.com', A), 'files.example.com', 22, A, 'match'],
    ['negated wildcard', line('*.example.com,!files.example.com', A), 'files.example.com', 22, A, 'unknown'],
    ['hashed name', line(hashed('[10.0.0.5]:22022'), A), '10.0.0.5', 22022, A, 'match'],
    ['another key of the same type is a mismatch', line('files.example.com', B), 'files.example.com', 22, A, 'mismatch'],
    ['a key of another type only: unknown', line('files.example.com', R, 'rsa-sha2-512'), 'files.example.com', 22, A, 'unknown'],
    ['revoked', `@revoked ${line('files.example.com', A)}\n${line('files.example.com', A)}`, 'files.example.com', 22, A, 'revoked'],
    ['cert-authority lines are ignored', `@cert-authority ${line('*.example.com', A)}`, 'files.example.com', 22, A, 'unknown'],
    ['comments and blank lines', `# c\n\n${line('files.example.com', A)} comment here`, 'files.example.com', 22, A, 'match'],
    ['empty', '', 'files.example.com', 22, A, 'unknown'],
  ] as const)('%s', (_name, text, host, port, key, verdict) => {
    expect(checkHostKey(text, host, port, key)).toBe(verdict);
  });
  it('names hosts as OpenSSH does', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
  });
});
