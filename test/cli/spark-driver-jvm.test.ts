// The Spark driver's JVM as `raas run --engine spark` starts it (runner/engine/spark-jvm.ts):
// with the class archive scripts/install-spark.sh made, really mapped by the JVM, and the
// quick compiler for small inputs; and a run never depends on the archive: one that does not
// match this Java (here, not an archive at all) leaves the run to start without it, with
// the same counts. Needs pyspark and Java, and the archive (install-spark.sh after npm ci);
// skips without them, fails under CI=true.
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVER_ARCHIVE, findSpark } from '../../runner/engine/spark-install.ts';
import { engineReady } from '../support/engines.ts';
import { makeTempDir, writeFiles } from '../support/recon-fixture.ts';
import { requireService } from '../support/require-service.ts';
import { runWatching, SMALL_INPUTS, type WatchedRun } from '../support/spark-processes.ts';

const SPEC = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], compare: [{ column: 'amount' }] };
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('raas-spark-jvm-');
  await writeFiles(dir, SMALL_INPUTS);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The JVM that runs Spark's driver (SparkSubmit, with the options the runner gave it). */
function driverJvm(run: WatchedRun) {
  const jvm = run.seen.find((p) => p.role === 'jvm' && p.cmdline.some((a) => a.startsWith('-XX:')));
  expect(jvm, `no Spark JVM with the runner's options was seen\n${run.stderr}`).toBeDefined();
  return jvm!;
}

function expectCounts(run: WatchedRun) {
  expect(run.code, run.stderr).toBe(0);
  const summary = JSON.parse(run.stdout) as { counts: Record<string, number> };
  expect(summary.counts).toMatchObject({ matched: 1, mismatched: 1, leftOnly: 1, rightOnly: 1 });
}

describe("the Spark driver's JVM", () => {
  it("maps the install's class archive and uses the quick compiler for small inputs", { timeout: 360_000 }, async (ctx) => {
    await engineReady('spark', ctx);
    const found = await requireService(
      'the Spark driver class archive (scripts/install-spark.sh after npm ci)',
      async () => {
        const install = findSpark(process.env);
        if (install instanceof Error || !install.archive) throw new Error('no raas-driver.jsa next to the pyspark venv');
        return { ...install, archive: install.archive };
      },
      ctx,
    );
    const { archive } = found;
    const run = await runWatching(dir, SPEC);
    expectCounts(run);
    const jvm = driverJvm(run);
    expect(jvm.cmdline).toContain(`-XX:SharedArchiveFile=${archive}`);
    expect(jvm.cmdline).toContain('-XX:TieredStopAtLevel=1');
    // Its class path starts with Spark's jars one by one in name order, as when the archive
    // was made, whatever order Spark's jars/ directory lists in.
    expect(found.sparkJars.length).toBeGreaterThan(100);
    expect(jvm.cmdline[jvm.cmdline.indexOf('-cp') + 1]?.split(':').slice(0, found.sparkJars.length)).toEqual(found.sparkJars);
    // Mapped into the JVM's memory: the archive is in use, not only named.
    expect([...(run.mapped.get(jvm.pid) ?? [])]).toContain(archive);
    // Spark's catalog warehouse went to the driver's own directory, not the working one.
    expect(existsSync(join(dir, 'spark-warehouse'))).toBe(false);
  });

  it('runs with the right counts when the archive does not match this Java', { timeout: 360_000 }, async (ctx) => {
    await engineReady('spark', ctx);
    const found = findSpark(process.env);
    if (found instanceof Error) throw found;
    // A venv of its own (links to the real one's files) whose archive is garbage.
    const venv = join(dir, 'venv');
    const real = dirname(dirname(found.python));
    await mkdir(join(venv, 'bin'), { recursive: true });
    await symlink(found.python, join(venv, 'bin', 'python'));
    await cp(join(real, 'pyvenv.cfg'), join(venv, 'pyvenv.cfg'));
    await symlink(join(real, 'lib'), join(venv, 'lib'));
    await writeFile(join(venv, DRIVER_ARCHIVE), 'not a class archive\n');
    const run = await runWatching(dir, SPEC, { env: { RAAS_SPARK_PYTHON: join(venv, 'bin', 'python') } });
    expectCounts(run);
    const jvm = driverJvm(run);
    expect(jvm.cmdline).toContain(`-XX:SharedArchiveFile=${join(venv, DRIVER_ARCHIVE)}`);
    expect([...(run.mapped.get(jvm.pid) ?? [])]).not.toContain(join(venv, DRIVER_ARCHIVE));
  });
});
