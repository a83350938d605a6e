import { describe, expect, it } from 'vitest';
import { parseRemoteUri, remoteUri } from './remote-uri.ts';
import { schemeOf } from './schemes.ts';

describe('parseRemoteUri', () => {
  it('reads user, host, port and path', () => {
    expect(parseRemoteUri('sftp://psp@files.example.com:2222/drop/2024-01-01/*.csv', 'f', 'o')).toMatchObject({
      scheme: 'sftp',
      user: 'psp',
      host: 'files.example.com',
      port: 2222,
      path: '/drop/2024-01-01/*.csv',
      display: 'sftp://psp@files.example.com:2222',
    });
    expect(parseRemoteUri('ftps://ftp.example.com/a%20b.csv', 'f', 'o')).toMatchObject({ scheme: 'ftps', user: undefined, port: 21, path: '/a b.csv' });
    expect(parseRemoteUri('sftp://u@[::1]/x', 'f', 'o')).toMatchObject({ host: '::1', port: 22 });
  });
  it('refuses a password in the URI and says where it goes', () => {
    expect(() => parseRemoteUri('sftp://psp:hunter2@h/x', 'spec.left.uri', 'spec.left.sftp')).toThrow(/^spec\.left\.uri: the URI must not carry a password; .*spec\.left\.sftp\.passwordEnv$/);
    try {
      parseRemoteUri('sftp://psp:hunter2@h/x', 'spec.left.uri', 'spec.left.sftp');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });
  it('needs a user for sftp and a valid port', () => {
    expect(() => parseRemoteUri('sftp://h/x', 'f', 'o')).toThrow(/name the user/);
    expect(() => parseRemoteUri('ftp://h:99999/x', 'f', 'o')).toThrow(/out of range/);
  });
  it('formats paths back into URIs, keeping globs readable', () => {
    const loc = parseRemoteUri('sftp://u@h:2222/a/*.csv', 'f', 'o');
    expect(remoteUri(loc, '/a b/x.csv')).toBe('sftp://u@h:2222/a%20b/x.csv');
  });
});

describe('schemeOf', () => {
  it.each([
    ['data/x.csv', 'file'],
    ['file:///x', 'file'],
    ['S3://b/k', 's3'],
    ['http://h/x', 'https'],
    ['https://h/x', 'https'],
    ['sftp://u@h/x', 'sftp'],
    ['ftps://h/x', 'ftp'],
    ['postgresql://$DB', 'postgres'],
    ['mysql://$DB', 'mysql'],
    ['gopher://h/x', undefined],
  ] as const)('%s -> %s', (uri, scheme) => expect(schemeOf(uri)).toBe(scheme));
});
