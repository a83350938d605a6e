// Where the Spark engine finds what scripts/install-spark.sh installed, and the one line
// that says what is missing.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Keep in step with PYSPARK_VERSION in scripts/install-spark.sh. */
export const PYSPARK_VERSION = '4.3.0';

export interface SparkInstall {
  python: string;
  /** Jars added to the session (S3A), empty when not installed; sorted, so the class path is the same at every start. */
  jars: string[];
  /** Spark's own jars (SPARK_HOME's, else pyspark's next to this Python), sorted; empty when not found. */
  sparkJars: string[];
  /** The driver JVM's class-data-sharing archive (scripts/spark/warm-up.mjs), when one was made for this Python's venv. */
  archive?: string;
}

/** Where scripts/install-spark.sh leaves the driver's class archive: in the venv of the Python that runs the driver. */
export function driverArchivePath(python: string): string {
  return join(dirname(dirname(python)), DRIVER_ARCHIVE);
}

export const DRIVER_ARCHIVE = 'raas-driver.jsa';

function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'raas', 'spark');
}

/** The Python with pyspark and the S3A jars, or an Error whose message is one line naming the fix. */
export function findSpark(env: NodeJS.ProcessEnv): SparkInstall | Error {
  const python = env.RAAS_SPARK_PYTHON || join(cacheDir(env), `pyspark-${PYSPARK_VERSION}`, 'bin', 'python');
  if (!existsSync(python)) {
    return new Error(`the spark engine needs pyspark ${PYSPARK_VERSION}: run scripts/install-spark.sh (installs it in ${join(cacheDir(env), `pyspark-${PYSPARK_VERSION}`)}), or set RAAS_SPARK_PYTHON to a Python that has it`);
  }
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  if (spawnSync(java, ['-version'], { stdio: 'ignore' }).status !== 0) {
    return new Error(`the spark engine needs Java 17: ${env.JAVA_HOME ? `JAVA_HOME (${env.JAVA_HOME}) has no working bin/java` : 'no java on PATH'}; install a JDK 17 (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`);
  }
  const jarDir = join(cacheDir(env), 's3-jars');
  const jars = jarsIn(jarDir);
  const archive = driverArchivePath(python);
  return { python, jars, sparkJars: sparkJars(env, python), ...(existsSync(archive) ? { archive } : {}) };
}

/**
 * Spark's own jars, by name, where pyspark's launcher takes them from: SPARK_HOME's jars/
 * when set, else those of the pyspark package in this Python's environment. Spelled out
 * because the launcher names them as `jars/*`, which Java expands in the order the
 * directory lists, and that order changes with the filesystem holding it (an image's
 * layers unpacked by another runtime, a restored cache).
 */
function sparkJars(env: NodeJS.ProcessEnv, python: string): string[] {
  const jarsDir = env.SPARK_HOME ? join(env.SPARK_HOME, 'jars') : pysparkJarsDir(dirname(dirname(python)));
  return jarsDir ? jarsIn(jarsDir) : [];
}

/** The jars in a directory, by name (the same order at every start), as paths; none when it does not exist. */
function jarsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.jar')).sort().map((f) => join(dir, f));
}

/** pyspark's jars/ in a Python environment (lib/python3.x/site-packages/pyspark/jars), if it has one. */
function pysparkJarsDir(prefix: string): string | undefined {
  const lib = join(prefix, 'lib');
  if (!existsSync(lib)) return undefined;
  return readdirSync(lib)
    .filter((v) => /^python3/.test(v))
    .sort()
    .map((v) => join(lib, v, 'site-packages', 'pyspark', 'jars'))
    .find((d) => existsSync(d));
}
