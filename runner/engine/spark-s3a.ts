// How the Spark engine reads s3:// inputs in place: Spark's S3A connector (hadoop-aws,
// installed by scripts/install-spark.sh) under the s3a:// scheme, configured per run from
// the same variables the runner's own S3 client reads (runner/stage/s3-client.ts), so a
// run on Spark reaches the same store with the same credentials as a run on DuckDB.
// The settings go on the run's own Spark session with S3A's filesystem cache off: a run
// never reuses a connection another run opened with other credentials.

export type Env = Record<string, string | undefined>;

function envValue(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

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
  const endpoint = envValue(env, 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  if (endpoint) {
    out['fs.s3a.endpoint'] = endpoint;
    out['fs.s3a.connection.ssl.enabled'] = String(!/^http:\/\//i.test(endpoint));
  }
  // As the runner's client: an explicit endpoint means path style unless told otherwise.
  const pathStyle = envValue(env, 'AWS_S3_FORCE_PATH_STYLE');
  out['fs.s3a.path.style.access'] = pathStyle ? String(/^(true|1)$/i.test(pathStyle)) : String(endpoint !== undefined);
  out['fs.s3a.endpoint.region'] = envValue(env, 'AWS_REGION', 'AWS_DEFAULT_REGION') ?? 'us-east-1';
  const accessKey = envValue(env, 'AWS_ACCESS_KEY_ID');
  const secretKey = envValue(env, 'AWS_SECRET_ACCESS_KEY');
  if (accessKey && secretKey) {
    const token = envValue(env, 'AWS_SESSION_TOKEN');
    out['fs.s3a.access.key'] = accessKey;
    out['fs.s3a.secret.key'] = secretKey;
    if (token) out['fs.s3a.session.token'] = token;
    out['fs.s3a.aws.credentials.provider'] = token ? 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider' : 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider';
  }
  // Without static keys S3A's default chain applies (environment, web identity, instance role).
  return out;
}
