// Spark with executors in other pods (master k8s://…) shares no file system with them: the
// driver and the executors exchange inputs and results through a directory on S3, read and
// written with Hadoop's S3A connector, configured from the same AWS_* settings as the
// runner's own S3 client. Pure: the decisions, not the I/O (spark_driver.py copies).
type Env = Record<string, string | undefined>;

/** True when the executors run elsewhere: any master but local / local[n] / local[*]. */
export function isClusterMaster(master: string): boolean {
  return !/^local(\[[^\]]*\])?$/.test(master.trim());
}

const first = (env: Env, ...names: string[]) => names.map((n) => env[n]?.trim()).find((v) => v);

/**
 * Hadoop S3A settings (spark.hadoop.fs.s3a.*) from the AWS_* env the runner's S3 client
 * reads. Spark ships them to the executors in memory, never in their pod spec.
 */
export function s3aConf(env: Env): Record<string, string> {
  const conf: Record<string, string> = {};
  const endpoint = first(env, 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  if (endpoint) {
    conf['spark.hadoop.fs.s3a.endpoint'] = endpoint;
    conf['spark.hadoop.fs.s3a.connection.ssl.enabled'] = String(endpoint.startsWith('https:'));
  }
  const pathStyle = first(env, 'AWS_S3_FORCE_PATH_STYLE');
  conf['spark.hadoop.fs.s3a.path.style.access'] = pathStyle ? String(/^(true|1)$/i.test(pathStyle)) : String(endpoint !== undefined);
  const region = first(env, 'AWS_REGION', 'AWS_DEFAULT_REGION');
  if (region) conf['spark.hadoop.fs.s3a.endpoint.region'] = region;
  const key = first(env, 'AWS_ACCESS_KEY_ID');
  const secret = first(env, 'AWS_SECRET_ACCESS_KEY');
  if (key && secret) {
    const token = first(env, 'AWS_SESSION_TOKEN');
    conf['spark.hadoop.fs.s3a.access.key'] = key;
    conf['spark.hadoop.fs.s3a.secret.key'] = secret;
    if (token) {
      conf['spark.hadoop.fs.s3a.session.token'] = token;
      conf['spark.hadoop.fs.s3a.aws.credentials.provider'] = 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider';
    } else conf['spark.hadoop.fs.s3a.aws.credentials.provider'] = 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider';
  }
  return conf;
}

/**
 * The run's shared directory: `.raas-spark/<run>-<nonce>/` at the root of the output's
 * bucket (beside the results, never inside them), as an s3a:// URI; or the one-line
 * refusal when the output is not on S3.
 */
export function sharedDir(outUri: string, runName: string, nonce: string): string | Error {
  // The output was validated already (a bucket name, then a key prefix); only its bucket is used.
  const bucket = /^s3:\/\/([a-z0-9][a-z0-9.\-_]*)(?:\/|$)/i.exec(outUri)?.[1];
  if (!bucket) {
    return new Error(`spec.output.uri: engine: spark with executor pods needs an s3:// output (the driver and its executors exchange files through that bucket), got "${outUri}"; write the results to S3 or use engine: duckdb`);
  }
  const safe = runName.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'run';
  return `s3a://${bucket}/.raas-spark/${safe}-${nonce}/`;
}
