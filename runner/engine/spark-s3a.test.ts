import { describe, expect, it } from 'vitest';
import { readsInPlace, s3aSettings, sparkPath } from './spark-s3a.ts';
import { createS3Client } from '../stage/s3-client.ts';

describe('S3A settings for the spark engine', () => {
  it('names s3:// as s3a:// and leaves other locations alone', () => {
    expect(sparkPath('s3://ledger/orders/dt=2024-01-01/*.csv')).toBe('s3a://ledger/orders/dt=2024-01-01/*.csv');
    expect(sparkPath('/data/l.csv')).toBe('/data/l.csv');
    expect(readsInPlace('S3://b/k')).toBe(true);
    expect(readsInPlace('https://h/k')).toBe(false);
  });

  it.each<[string, Record<string, string>, Record<string, string | undefined>]>([
    [
      'a loopback endpoint with static keys: path style, no TLS, simple credentials',
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'eu-west-1' },
      { 'fs.s3a.endpoint': 'http://127.0.0.1:9000', 'fs.s3a.connection.ssl.enabled': 'false', 'fs.s3a.path.style.access': 'true', 'fs.s3a.endpoint.region': 'eu-west-1', 'fs.s3a.access.key': 'k', 'fs.s3a.secret.key': 's', 'fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider', 'fs.s3a.session.token': undefined },
    ],
    [
      'AWS itself with a session token: virtual hosts, temporary credentials',
      { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' },
      { 'fs.s3a.endpoint': undefined, 'fs.s3a.path.style.access': 'false', 'fs.s3a.endpoint.region': 'us-east-1', 'fs.s3a.session.token': 't', 'fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider' },
    ],
    [
      'no keys: the default chain (web identity, instance role) and an https endpoint',
      { AWS_ENDPOINT_URL_S3: 'https://s3.example', AWS_ENDPOINT_URL: 'http://ignored', AWS_S3_FORCE_PATH_STYLE: 'false' },
      { 'fs.s3a.endpoint': 'https://s3.example', 'fs.s3a.connection.ssl.enabled': 'true', 'fs.s3a.path.style.access': 'false', 'fs.s3a.access.key': undefined, 'fs.s3a.aws.credentials.provider': undefined },
    ],
  ])('%s', (_name, env, want) => {
    const got = s3aSettings(env);
    // Every run gets its own filesystem object, so no run reuses another's credentials.
    expect(got['fs.s3a.impl.disable.cache']).toBe('true');
    for (const [k, v] of Object.entries(want)) expect(got[k], k).toBe(v);
  });
});

describe('S3A settings refuse what the runner refuses', () => {
  it.each([
    ['AWS_S3_FORCE_PATH_STYLE', { AWS_S3_FORCE_PATH_STYLE: 'yes' }, /AWS_S3_FORCE_PATH_STYLE must be "true" or "false", got "yes"/],
    ['AWS_REQUEST_CHECKSUM_CALCULATION', { AWS_REQUEST_CHECKSUM_CALCULATION: 'sometimes' }, /AWS_REQUEST_CHECKSUM_CALCULATION must be WHEN_SUPPORTED or WHEN_REQUIRED/],
  ])('a malformed %s is refused in one line, as by the S3 client', (_name, env, message) => {
    expect(() => s3aSettings(env)).toThrow(message);
    expect(() => createS3Client(env)).toThrow(message);
  });
});
