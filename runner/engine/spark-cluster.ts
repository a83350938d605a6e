// Spark with executors in other pods (master k8s://…) shares no file system with them: the
// driver and the executors exchange inputs and results through a directory on S3, read and
// written with Hadoop's S3A connector, configured from the same AWS_* settings as the
// runner's own S3 client. Pure: the decisions, not the I/O (spark_driver.py copies).
import { s3aSettings, type Env } from './spark-s3a.ts';

/** True when the executors run elsewhere: any master but local / local[n] / local[*]. */
export function isClusterMaster(master: string): boolean {
  return !/^local(\[[^\]]*\])?$/.test(master.trim());
}

/**
 * The S3A settings of the run (spark-s3a.ts, from the same AWS_* settings as the runner's S3
 * client) as Spark configuration (spark.hadoop.fs.s3a.*), for the driver's own copies to and
 * from the shared directory and for the executors; Spark ships them to the executors in
 * memory, never in their pod spec. Without S3A's filesystem-cache switch: that guards a driver
 * JVM shared by runs with other credentials, and a cluster driver serves one run.
 */
export function s3aConf(env: Env): Record<string, string> {
  const conf: Record<string, string> = {};
  for (const [key, value] of Object.entries(s3aSettings(env))) if (key !== 'fs.s3a.impl.disable.cache') conf[`spark.hadoop.${key}`] = value;
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
