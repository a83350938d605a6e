// How the Spark engine reads s3:// inputs in place: Spark's S3A connector (hadoop-aws,
// installed by scripts/install-spark.sh) under the s3a:// scheme, configured per run from
// the same settings the runner's own S3 client reads (runner/stage/s3-settings.ts), so a
// run on Spark reaches the same store with the same credentials as a run on DuckDB.
// The settings go on the run's own Spark session with S3A's filesystem cache off: a run
// never reuses a connection another run opened with other credentials.

import { s3Settings, type Env } from '../stage/s3-settings.ts';

export type { Env };

/** An s3:// URI as S3A names it; every other location unchanged. */
export function sparkPath(uri: string): string {
  return /^s3:\/\//i.test(uri) ? `s3a://${uri.slice('s3://'.length)}` : uri;
}

export function readsInPlace(uri: string): boolean {
  return /^s3:\/\//i.test(uri);
}

/** The Hadoop settings one run's session needs to read s3a:// as the runner's S3 client would. */
export function s3aSettings(env: Env): Record<string, string> {
  const out: Record<string, string> = { 'fs.s3a.impl.disable.cache': 'true' };
  const s = s3Settings(env);
  if (s.endpoint) {
    out['fs.s3a.endpoint'] = s.endpoint;
    out['fs.s3a.connection.ssl.enabled'] = String(!/^http:\/\//i.test(s.endpoint));
  }
  out['fs.s3a.path.style.access'] = String(s.forcePathStyle);
  out['fs.s3a.endpoint.region'] = s.region;
  if (s.credentials) {
    const { accessKeyId, secretAccessKey, sessionToken } = s.credentials;
    out['fs.s3a.access.key'] = accessKeyId;
    out['fs.s3a.secret.key'] = secretAccessKey;
    if (sessionToken) out['fs.s3a.session.token'] = sessionToken;
    out['fs.s3a.aws.credentials.provider'] = sessionToken ? 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider' : 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider';
  }
  // Without static keys S3A's default chain applies (environment, web identity, instance role).
  return out;
}
