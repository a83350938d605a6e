import { describe, expect, it } from 'vitest';
import { driverClassPath, driverJavaOptions, QUICK_JIT_INPUT_BYTES, QUICK_JIT_OPTIONS } from './spark-jvm.ts';

describe("the Spark driver JVM's compiler", () => {
  const MiB = 1024 * 1024;
  it.each([
    ['local[*]', 14 * MiB, {}, QUICK_JIT_OPTIONS],
    ['local[2]', 0, {}, QUICK_JIT_OPTIONS],
    ['local', QUICK_JIT_INPUT_BYTES - 1, {}, QUICK_JIT_OPTIONS],
    // Big local runs keep C2: its code is what a long scan runs on.
    ['local[*]', QUICK_JIT_INPUT_BYTES, {}, undefined],
    ['local[*]', 1400 * MiB, {}, undefined],
    // Unknown size (inputs read in place from S3): the default.
    ['local[*]', undefined, {}, undefined],
    // A cluster: executors do the work, the driver only plans.
    ['k8s://https://kubernetes.default.svc', undefined, {}, QUICK_JIT_OPTIONS],
    ['k8s://https://kubernetes.default.svc', 1400 * MiB, {}, QUICK_JIT_OPTIONS],
    ['spark://host:7077', 1400 * MiB, {}, QUICK_JIT_OPTIONS],
    // The user's own options win, even empty ones.
    ['local[*]', 14 * MiB, { 'spark.driver.extraJavaOptions': '-Xss4m' }, undefined],
    ['k8s://https://kubernetes.default.svc', 0, { 'spark.driver.extraJavaOptions': '' }, undefined],
  ] as const)('%s with %s input bytes and %o: %s', (master, bytes, conf, want) => {
    expect(driverJavaOptions(master, bytes, conf)).toBe(want);
  });

  const archive = '/home/u/.cache/raas/spark/pyspark-4.3.0/raas-driver.jsa';
  it.each([
    ['local[*]', 14 * MiB, {}, archive, `${QUICK_JIT_OPTIONS} -XX:SharedArchiveFile=${archive}`],
    // The archive helps every start, big or small.
    ['local[*]', 1400 * MiB, {}, archive, `-XX:SharedArchiveFile=${archive}`],
    ['local[*]', undefined, {}, archive, `-XX:SharedArchiveFile=${archive}`],
    ['k8s://https://kubernetes.default.svc', undefined, {}, archive, `${QUICK_JIT_OPTIONS} -XX:SharedArchiveFile=${archive}`],
    // A path Spark's option splitting would break is not passed.
    ['local[*]', 1400 * MiB, {}, '/home/a user/raas-driver.jsa', undefined],
    ['local[*]', 14 * MiB, {}, "/tmp/it's/raas-driver.jsa", QUICK_JIT_OPTIONS],
    ['local[*]', 14 * MiB, { 'spark.driver.extraJavaOptions': '-XX:ArchiveClassesAtExit=/tmp/x.jsa' }, archive, undefined],
  ] as const)('%s with %s input bytes, %o and an archive at %s: %s', (master, bytes, conf, path, want) => {
    expect(driverJavaOptions(master, bytes, conf, path)).toBe(want);
  });
});

describe("the Spark driver JVM's class path", () => {
  const sparkJars = ['/s/jars/a.jar', '/s/jars/b.jar'];
  const s3a = ['/c/s3-jars/aws.jar', '/c/s3-jars/hadoop-aws.jar'];
  it.each([
    // Spark's jars spelled out in order, then S3A in local mode (executors in the driver's JVM).
    ['local[*]', {}, sparkJars, s3a, '/s/jars/a.jar:/s/jars/b.jar:/c/s3-jars/aws.jar:/c/s3-jars/hadoop-aws.jar'],
    ['local[2]', {}, sparkJars, [], '/s/jars/a.jar:/s/jars/b.jar'],
    // A cluster's executors get S3A through spark.jars; the driver still spells Spark's out.
    ['k8s://https://kubernetes.default.svc', {}, sparkJars, s3a, '/s/jars/a.jar:/s/jars/b.jar'],
    // The user's entries come first, so theirs win.
    ['local[*]', { 'spark.driver.extraClassPath': '/mine/x.jar' }, sparkJars, s3a, '/mine/x.jar:/s/jars/a.jar:/s/jars/b.jar:/c/s3-jars/aws.jar:/c/s3-jars/hadoop-aws.jar'],
    ['local[*]', { 'spark.driver.extraClassPath': '' }, sparkJars, [], '/s/jars/a.jar:/s/jars/b.jar'],
    // Nothing found: Spark's launcher alone.
    ['local[*]', {}, [], [], undefined],
    ['k8s://https://kubernetes.default.svc', {}, [], s3a, undefined],
  ] as const)('%s with %o: %s', (master, conf, spark, jars, want) => {
    expect(driverClassPath(master, conf, { sparkJars: spark, jars }, ':')).toBe(want);
  });
});
