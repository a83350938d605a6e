import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createS3Client, parseS3Uri } from '../../runner/stage/s3-client.ts';
import { requireService, sharedService } from '../support/require-service.ts';
import { startS3Server } from '../support/s3-server.ts';

describe('createS3Client', () => {
  it('reads region, endpoint and path style from the given env', async () => {
    const plain = createS3Client({});
    expect(await plain.config.region()).toBe('us-east-1');
    expect(plain.config.forcePathStyle).toBe(false);
    plain.destroy();

    const custom = createS3Client({
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://generic.invalid:9000',
      AWS_ENDPOINT_URL_S3: 'http://s3only.invalid:9000',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
    });
    expect(await custom.config.region()).toBe('eu-west-1');
    expect(custom.config.forcePathStyle).toBe(true);
    const endpoint = await custom.config.endpoint?.();
    expect(endpoint?.hostname).toBe('s3only.invalid');
    expect(await custom.config.credentials()).toMatchObject({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    custom.destroy();

    const vhost = createS3Client({ AWS_REGION: 'ap-northeast-1', AWS_ENDPOINT_URL: 'http://x.invalid', AWS_S3_FORCE_PATH_STYLE: 'false' });
    expect(await vhost.config.region()).toBe('ap-northeast-1');
    expect(vhost.config.forcePathStyle).toBe(false);
    vhost.destroy();

    expect(() => createS3Client({ AWS_S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/AWS_S3_FORCE_PATH_STYLE/);
  });
});

describe('parseS3Uri', () => {
  it('splits bucket and key and explains bad URIs', () => {
    expect(parseS3Uri('s3://b/k/x.csv')).toEqual({ bucket: 'b', key: 'k/x.csv' });
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', key: '' });
    expect(parseS3Uri('s3://b/')).toEqual({ bucket: 'b', key: '' });
    expect(() => parseS3Uri('s3://')).toThrow('"s3://" has no bucket name (expected s3://bucket/key)');
    expect(() => parseS3Uri('s3:///k')).toThrow('has no bucket name');
    expect(() => parseS3Uri('https://b/k')).toThrow('not an s3:// URI');
    expect(() => parseS3Uri('s3://b*/k')).toThrow('invalid bucket name "b*"');
  });
});

describe('requireService', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const failing = (): Promise<never> => Promise.reject(new Error('port in use'));
  const skipper = {
    skip: (note?: string): never => {
      throw new Error(`SKIPPED: ${note}`);
    },
  };

  it('skips with the reason outside CI', async () => {
    vi.stubEnv('CI', '');
    await expect(requireService('thing', failing, skipper)).rejects.toThrow('SKIPPED: thing is not available: port in use');
  });

  it('fails in CI', async () => {
    vi.stubEnv('CI', 'true');
    await expect(requireService('thing', failing, skipper)).rejects.toThrow(
      'thing is not available: port in use (CI=true: failing instead of skipping)',
    );
  });
});

describe('the s3rver test server', () => {
  const s3 = sharedService(
    's3rver',
    () => startS3Server({ buckets: ['quirks'] }),
    (s) => s.stop(),
  );

  it('stores streamed PutObject bodies byte for byte with the env it hands out', async (ctx) => {
    const server = await s3(ctx);
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = Buffer.from('id,amount\n1,10.00\n');
    // A stream (not a Buffer) is what makes the SDK choose aws-chunked encoding by default.
    await server.client.send(
      new PutObjectCommand({ Bucket: 'quirks', Key: 'streamed.csv', Body: Readable.from([body]), ContentLength: body.length }),
    );
    const got = await server.client.send(new GetObjectCommand({ Bucket: 'quirks', Key: 'streamed.csv' }));
    expect(await got.Body?.transformToString()).toBe(body.toString());
  });

  it('answers HeadObject for a missing key with a 404', async (ctx) => {
    const server = await s3(ctx);
    const err: unknown = await server.client.send(new HeadObjectCommand({ Bucket: 'quirks', Key: 'missing' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });
});
