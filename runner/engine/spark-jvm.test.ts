import { describe, expect, it } from 'vitest';
import { driverJavaOptions, QUICK_JIT_INPUT_BYTES, QUICK_JIT_OPTIONS } from './spark-jvm.ts';

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
