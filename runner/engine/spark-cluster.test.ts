import { describe, expect, it } from 'vitest';
import { isClusterMaster, s3aConf, sharedDir } from './spark-cluster.ts';

describe('Spark with executors elsewhere', () => {
  it.each([
    ['local', false],
    ['local[*]', false],
    ['local[2]', false],
    ['k8s://https://kubernetes.default.svc', true],
    ['spark://host:7077', true],
  ])('isClusterMaster(%s) = %s', (master, cluster) => {
    expect(isClusterMaster(master)).toBe(cluster);
  });

  it.each([
    [{}, { 'spark.hadoop.fs.s3a.path.style.access': 'false', 'spark.hadoop.fs.s3a.endpoint.region': 'us-east-1' }],
    [
      { AWS_ENDPOINT_URL: 'http://10.0.0.1:9000', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'eu-west-1' },
      {
        'spark.hadoop.fs.s3a.endpoint': 'http://10.0.0.1:9000',
        'spark.hadoop.fs.s3a.connection.ssl.enabled': 'false',
        'spark.hadoop.fs.s3a.path.style.access': 'true',
        'spark.hadoop.fs.s3a.endpoint.region': 'eu-west-1',
        'spark.hadoop.fs.s3a.access.key': 'k',
        'spark.hadoop.fs.s3a.secret.key': 's',
        'spark.hadoop.fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider',
      },
    ],
    [
      { AWS_ENDPOINT_URL_S3: 'https://s3.example', AWS_ENDPOINT_URL: 'http://other', AWS_S3_FORCE_PATH_STYLE: 'false', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' },
      {
        'spark.hadoop.fs.s3a.endpoint': 'https://s3.example',
        'spark.hadoop.fs.s3a.connection.ssl.enabled': 'true',
        'spark.hadoop.fs.s3a.path.style.access': 'false',
        'spark.hadoop.fs.s3a.endpoint.region': 'us-east-1',
        'spark.hadoop.fs.s3a.access.key': 'k',
        'spark.hadoop.fs.s3a.secret.key': 's',
        'spark.hadoop.fs.s3a.session.token': 't',
        'spark.hadoop.fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider',
      },
    ],
    // A key without its secret is no credential: the provider chain stays Hadoop's default.
    [{ AWS_ACCESS_KEY_ID: 'k' }, { 'spark.hadoop.fs.s3a.path.style.access': 'false', 'spark.hadoop.fs.s3a.endpoint.region': 'us-east-1' }],
  ])('s3aConf(%j)', (env, conf) => {
    expect(s3aConf(env)).toEqual(conf);
  });

  it('is the session\'s S3A settings under spark.hadoop., so the driver\'s copies and its reads reach one store the same way', () => {
    // An endpoint without a scheme: S3A's default, TLS, on both (it used to be off for the copies only).
    expect(s3aConf({ AWS_ENDPOINT_URL: 's3.example:9000' })['spark.hadoop.fs.s3a.connection.ssl.enabled']).toBe('true');
    // A malformed switch is refused as the runner's S3 client refuses it, not read as false.
    expect(() => s3aConf({ AWS_S3_FORCE_PATH_STYLE: 'yes' })).toThrow('AWS_S3_FORCE_PATH_STYLE must be "true" or "false", got "yes"');
  });

  it.each([
    ['s3://raas-results/orders/2024-01-01/', 'orders-1', 'ab12', 's3a://raas-results/.raas-spark/orders-1-ab12/'],
    ['s3://b', 'r', 'n', 's3a://b/.raas-spark/r-n/'],
    ['s3://b/p', 'a/b c', 'n', 's3a://b/.raas-spark/a-b-c-n/'],
  ])('sharedDir(%s, %s) beside the results', (out, run, nonce, dir) => {
    expect(sharedDir(out, run, nonce)).toBe(dir);
  });

  it.each(['/tmp/out', 'file:///tmp/out', 'sftp://host/out'])('refuses a non-S3 output %s in one line naming the field', (out) => {
    const r = sharedDir(out, 'r', 'n');
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(/^spec\.output\.uri: engine: spark with executor pods needs an s3:\/\/ output .*use engine: duckdb$/);
    expect((r as Error).message).not.toContain('\n');
  });
});
