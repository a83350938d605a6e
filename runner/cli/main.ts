// The `raas` command line. Exit codes (docs/design.md, The CLI): 0 the run completed (balanced or
// not), 1 unbalanced with --strict, 2 the run failed or the command was wrong, with one
// clear line on stderr saying why.
import { Command, CommanderError, Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

// Everything a command does is imported when the command runs, so `raas --help` (and a
// mistyped flag) loads commander only, not zod, yaml, luxon or DuckDB (start-up time).
async function commandModules() {
  const [load, recon, summary, format, window] = await Promise.all([
    import('../spec/load.ts'),
    import('../run/run-recon.ts'),
    import('../run/summary.ts'),
    import('./format-summary.ts'),
    import('./choose-window.ts'),
  ]);
  return { ...load, ...recon, ...summary, ...format, ...window };
}
type CommandModules = Awaited<ReturnType<typeof commandModules>>;

const EXIT_OK = 0;
const EXIT_UNBALANCED = 1;
const EXIT_FAILED = 2;

function stderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function writeTermination(text: string): Promise<void> {
  const path = process.env.RAAS_TERMINATION_LOG;
  if (!path) return;
  try {
    await writeFile(path, text);
  } catch (err) {
    stderr(`raas: could not write the termination message to ${path}: ${(err as Error).message}`);
  }
}

interface RunFlags {
  file?: string;
  date?: string;
  start?: string;
  end?: string;
  out?: string;
  json?: boolean;
  strict?: boolean;
  explain?: boolean;
  memoryLimit?: string;
  threads?: string;
  engine?: 'duckdb' | 'spark';
  quiet?: boolean;
}

async function loadManifest(m: CommandModules, file: string | undefined) {
  const { parseReconJob, RunError } = m;
  if (file === undefined) {
    // In a runner pod the operator passes the ReconJob through the environment (operator/README.md).
    const text = process.env.RAAS_MANIFEST;
    if (!text) throw new RunError('validate', 'no manifest: give -f <manifest.yaml>, or set RAAS_MANIFEST to the ReconJob (JSON or YAML)');
    return { job: parseReconJob(text, 'RAAS_MANIFEST'), baseDir: process.cwd() };
  }
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunError('validate', `-f ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory; give the manifest file' : (err as Error).message}`);
  }
  return { job: parseReconJob(text, file), baseDir: dirname(path) };
}

async function runCommand(flags: RunFlags): Promise<number> {
  const m = await commandModules();
  const { chooseWindow, compactFailure, compactSummary, formatSummary, runRecon, RunError, SpecError } = m;
  const progress = flags.quiet ? undefined : (line: string) => stderr(`[raas] ${line}`);
  let jobName: string | undefined;
  let runName: string | undefined;
  try {
    const { job, baseDir } = await loadManifest(m, flags.file);
    jobName = job.metadata.name;
    const { window, how } = (() => {
      try {
        return chooseWindow({ ...(flags.date !== undefined ? { date: flags.date } : {}), ...(flags.start !== undefined ? { start: flags.start } : {}), ...(flags.end !== undefined ? { end: flags.end } : {}) }, job.spec, new Date(), process.env);
      } catch (err) {
        throw new RunError('validate', (err as Error).message);
      }
    })();
    runName = process.env.RAAS_RUN_NAME ?? `${job.metadata.name}-${window.startDate.replaceAll('-', '')}`;
    if (flags.threads !== undefined && !/^[1-9]\d*$/.test(flags.threads)) {
      throw new RunError('validate', `--threads "${flags.threads}" must be a whole number of at least 1, e.g. --threads 2`);
    }
    const memoryLimit = flags.memoryLimit ?? process.env.RAAS_MEMORY_LIMIT ?? job.spec.runner?.memoryLimit;
    if (memoryLimit !== undefined && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/.test(memoryLimit)) {
      throw new RunError('validate', `--memory-limit "${memoryLimit}" must be a size such as 512MB, 2GB or 4GiB`);
    }
    progress?.(`run      ${job.metadata.name} window ${window.start} .. ${window.end} (${how})`);
    const summary = await runRecon({
      job,
      window,
      runName,
      baseDir,
      ...(flags.out ? { outUri: flags.out } : {}),
      ...(flags.engine ? { engine: flags.engine } : {}),
      ...(memoryLimit ? { memoryLimit } : {}),
      ...(flags.threads ? { threads: Number(flags.threads) } : job.spec.runner?.threads ? { threads: job.spec.runner.threads } : {}),
      ...(progress ? { progress } : {}),
      ...(flags.explain ? { onSql: (sql: string) => stderr(`[raas] sql      ${sql};`) } : {}),
    });
    await writeTermination(compactSummary(summary));
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return flags.strict && !summary.balanced ? EXIT_UNBALANCED : EXIT_OK;
  } catch (err) {
    if (err instanceof SpecError) {
      stderr(`raas: ${err.message}`);
      await writeTermination(compactFailure('validate', err.message, { ...(jobName ? { job: jobName } : {}) }));
      return EXIT_FAILED;
    }
    if (err instanceof RunError) {
      stderr(`raas: ${err.stage} failed: ${err.message}`);
      await writeTermination(compactFailure(err.stage, err.message, { ...(jobName ? { job: jobName } : {}), ...(runName ? { run: runName } : {}) }));
      return EXIT_FAILED;
    }
    // Still one line: a stack trace helps no user. RAAS_DEBUG=1 shows it for a bug report.
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    stderr(`raas: unexpected error: ${msg} (please report this with the manifest; RAAS_DEBUG=1 shows details)`);
    if (process.env.RAAS_DEBUG === '1' && err instanceof Error && err.stack) stderr(err.stack);
    await writeTermination(compactFailure('internal', err instanceof Error ? err.message : String(err)));
    return EXIT_FAILED;
  }
}

async function validateCommand(flags: { file: string }): Promise<number> {
  const m = await commandModules();
  try {
    const { job } = await loadManifest(m, flags.file);
    // Everything that needs no data: schedule, templates, and all SQL as a run sends it.
    const { problemsWithoutData } = await import('../run/check-without-data.ts');
    const problems = await problemsWithoutData(job);
    if (problems.length) {
      stderr(problems.length === 1 ? `raas: ${flags.file}: invalid ReconJob: ${problems[0]}` : `raas: ${flags.file}: invalid ReconJob:\n  - ${problems.join('\n  - ')}`);
      return EXIT_FAILED;
    }
    process.stdout.write(`${flags.file}: valid ReconJob "${job.metadata.name}"\n`);
    return EXIT_OK;
  } catch (err) {
    stderr(`raas: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command()
    .name('raas')
    .description('Reconcile as a Service: compare two data sets as a ReconJob manifest says')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `raas: ${s}` : s) })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nKubernetes commands (also as `kubectl recon <command>`):\n' +
        '  operator            run the controller\n' +
        '  sandbox             try the operator without a cluster (a real control plane on loopback + S3)\n' +
        '  web                 serve the results page and API (TokenReview/SubjectAccessReview sign-in)\n' +
        '  backfill <job>      one ReconRun per period, --from D --to D\n' +
        '  rerun <job>         run the period containing --date D again\n' +
        '  runs <job>          list a job\'s runs\n' +
        '  results <run>       print a run\'s summary; --download DIR fetches its files\n',
    );

  program
    .command('run')
    .description('run one reconciliation locally (embedded DuckDB, or Spark with --engine spark)')
    .option('-f, --file <manifest>', 'ReconJob manifest (YAML), the same file kubectl applies (default: $RAAS_MANIFEST)')
    .option('--date <YYYY-MM-DD>', 'reconcile the period (spec.schedule.period, default Daily) containing this date')
    .option('--start <ISO>', 'explicit window start (with --end); without an offset it is read in spec.schedule.timeZone')
    .option('--end <ISO>', 'explicit window end, exclusive')
    .option('--out <dir|s3://...|sftp://...>', 'write results here instead of spec.output.uri')
    .option('--json', 'print the full summary as JSON instead of the readable report')
    .option('--strict', 'exit 1 when the result is not balanced')
    .option('--explain', 'print every generated SQL statement on stderr')
    .addOption(new Option('--memory-limit <size>', 'DuckDB memory limit, e.g. 2GB (default: spec.runner.memoryLimit or 80% of RAM)'))
    .option('--threads <n>', 'DuckDB threads (default: spec.runner.threads or all CPUs)')
    .addOption(new Option('--engine <engine>', 'compare engine, overriding spec.engine (spark runs local[*] unless RAAS_SPARK_MASTER is set)').choices(['duckdb', 'spark']))
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (flags: RunFlags) => {
      // A runner pod being deleted gets SIGTERM: Spark still stops (deleting its executor
      // pods) before the process ends, within the pod's grace period. Without a handler Node
      // would die at once (or, as a container's PID 1, ignore the signal until SIGKILL).
      process.once('SIGTERM', () => {
        void import('../engine/process-end.ts')
          .then(({ endEngines }) => endEngines())
          .finally(() => process.exit(128 + 15));
      });
      try {
        exitCode = await runCommand(flags);
      } finally {
        // Success or failure, the run's exit code and termination message are decided; a
        // spark run's driver now stops Spark (deleting its executor pods on Kubernetes) and
        // exits before this process does, where a container's end would kill it first.
        const { endEngines } = await import('../engine/process-end.ts');
        await endEngines();
      }
    });

  program
    .command('validate')
    .description('check a manifest without running it')
    .requiredOption('-f, --file <manifest>', 'ReconJob manifest (YAML)')
    .action(async (flags: { file: string }) => {
      exitCode = await validateCommand(flags);
    });

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_FAILED;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
      return EXIT_FAILED;
    }
    throw err;
  }
  return exitCode;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  // Nothing escapes as a stack trace: one line, exit 2.
  stderr(`raas: unexpected error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  return EXIT_FAILED;
});
