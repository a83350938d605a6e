// The driver JVM's just-in-time compiler, chosen for the run at hand. Spark's first
// statements in a fresh JVM are spent loading and compiling its own code; on a small
// machine HotSpot's optimising compiler (C2) competes with them for the cores. Stopping at
// the quick compiler (C1) made a 10k-row run on local[2] ~4.5 s faster (31.8 s to 27.3 s)
// and a 1M-row run no slower (docs/performance.md). Data big enough for C2's better code to
// pay off keeps the JVM's default. docs/adr/0171-spark-driver-jvm-start.md.
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
