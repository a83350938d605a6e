// The driver JVM's just-in-time compiler, chosen for the run at hand. Spark's first
// statements in a fresh JVM are spent loading and compiling its own code; on a small
// machine HotSpot's optimising compiler (C2) competes with them for the cores. Stopping at
// the quick compiler (C1) made a 10k-row run on local[2] ~4.5 s faster (31.8 s to 27.3 s)
// and a 1M-row run no slower (docs/performance.md). Data big enough for C2's better code to
// pay off keeps the JVM's default. docs/adr/0171-spark-driver-jvm-start.md.
import { delimiter } from 'node:path';
import { isClusterMaster } from './spark-cluster.ts';

/** Local runs whose input files add up to less than this use the quick compiler only. */
export const QUICK_JIT_INPUT_BYTES = 256 * 1024 * 1024;

export const QUICK_JIT_OPTIONS = '-XX:TieredStopAtLevel=1';

/**
 * The driver's extra JVM options, or undefined for the JVM's defaults. `inputBytes` is the
 * size of the run's input files, undefined when unknown (read in place from S3). With a
 * cluster master the executors' own JVMs do the heavy work and the driver only plans and
 * schedules: it starts quickly whatever the size. `archive` is the class-data-sharing
 * archive made at install (scripts/spark/warm-up.mjs); a JVM that finds it does not match
 * (another Java, other jars) says so and starts without it. A user's own
 * spark.driver.extraJavaOptions (RAAS_SPARK_CONF) is left alone.
 */
export function driverJavaOptions(master: string, inputBytes: number | undefined, userConf: Readonly<Record<string, string>>, archive?: string): string | undefined {
  if ('spark.driver.extraJavaOptions' in userConf) return undefined;
  const quick = isClusterMaster(master) || (inputBytes !== undefined && inputBytes < QUICK_JIT_INPUT_BYTES);
  // Spark splits the options like a shell; a path it would split or unquote is not used.
  const usable = archive !== undefined && !/[\s"'\\]/.test(archive);
  const options = [...(quick ? [QUICK_JIT_OPTIONS] : []), ...(usable ? [`-XX:SharedArchiveFile=${archive}`] : [])];
  return options.length ? options.join(' ') : undefined;
}

/**
 * The driver's spark.driver.extraClassPath: the user's own entries first (theirs win), then
 * Spark's jars one by one in name order, then, in local mode, the S3A jars. Spark's jars are
 * on the class path anyway (its launcher adds `jars/*`), but Java expands that wildcard in
 * the order the directory lists, which differs from one filesystem to another (the image's
 * layers as buildah made them, and as the node's containerd unpacked them). The class
 * archive only maps into a JVM whose class path starts as it did when the archive was made,
 * so the archive needs a class path spelled the same at every start; Java reads a jar named
 * twice once. In local mode the executors live in the driver's JVM, so the S3A jars go
 * here: spark.jars would make Spark copy them (the AWS SDK bundle is ~700 MB) through its
 * file server at every start, which takes minutes and can fail on a busy machine. Executors
 * elsewhere (a cluster master) receive them through spark.jars instead.
 */
export function driverClassPath(master: string, userConf: Readonly<Record<string, string>>, install: { sparkJars: readonly string[]; jars: readonly string[] }, sep = delimiter): string | undefined {
  const entries = [userConf['spark.driver.extraClassPath'], ...install.sparkJars, ...(isClusterMaster(master) ? [] : install.jars)].filter(Boolean);
  return entries.length ? entries.join(sep) : undefined;
}
