// The Spark engine: a pyspark driver process (spark_driver.py) that this module talks to
// over stdin/stdout, one JSON object per line (docs/adr/0110-spark-engine-driver.md). One
// driver (one JVM, one SparkContext) serves the whole Node process; each run opens its own
// Spark session in it, so temporary views never leak between runs. The master is local[*]
// unless RAAS_SPARK_MASTER says otherwise (k8s://… on Kubernetes).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describeClash, nameClash } from '../compare/column-names.ts';
import { classifyType } from '../compare/column-types.ts';
import { spark as sparkDialect } from '../compare/dialect.ts';
import { SNIFFER_TEXT_SPELLING } from '../compare/source-sql.ts';
import { UserSqlError } from '../compare/user-sql.ts';
import { exactDecimalTypes, probeNumerics } from '../run/probes.ts';
import { RunError } from '../run/context.ts';
import { refuseReservedInputNames, writtenCount, type Engine, type EngineColumn, type LoadRequest, type Row, type UserSqlRun } from './engine.ts';
import { atProcessEnd } from './process-end.ts';
import { isClusterMaster, s3aConf, sharedDir } from './spark-cluster.ts';
import { driverClassPath, driverJavaOptions } from './spark-jvm.ts';
import { findSpark, type SparkInstall } from './spark-install.ts';
import { sparkCsvProblems } from './spark-support.ts';
import { s3aSettings, sparkPath } from './spark-s3a.ts';

interface Answer {
  id: number;
  result?: unknown;
  error?: string;
  kind?: string;
}

class DriverError extends Error {
  constructor(
    message: string,
    readonly kind?: string,
  ) {
    super(message);
    this.name = 'SparkError';
  }
}

/** The driver script: next to this module in the source tree, or under runner/engine from the package root. */
function driverScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 5; i++, dir = dirname(dir)) {
    for (const candidate of [join(dir, 'spark_driver.py'), join(dir, 'runner', 'engine', 'spark_driver.py')]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('internal: runner/engine/spark_driver.py is missing from this installation');
}

/** S3A is on Spark's class path: from the install's cache, or in Spark's own jars/ (the raas-spark image puts it there). */
function hasS3a(found: SparkInstall): boolean {
  return found.jars.some((j) => /hadoop-aws/.test(j)) || found.sparkJars.some((j) => /^hadoop-aws-.*\.jar$/.test(basename(j)));
}

/** One pyspark process; requests are answered in order. */
class SparkDriver {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;
  private stopping = false;
  private stderrTail: string[] = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  static async start(env: NodeJS.ProcessEnv, inputBytes: number | undefined): Promise<{ driver: SparkDriver; version: string; master: string; s3a: boolean }> {
    const found = findSpark(env);
    if (found instanceof Error) throw found;
    const master = env.RAAS_SPARK_MASTER || 'local[*]';
    const userConf = JSON.parse(env.RAAS_SPARK_CONF || '{}') as Record<string, string>;
    // Executors in other pods read and write the run's shared directory on S3 (spark-cluster.ts).
    const conf: Record<string, string> = { ...(isClusterMaster(master) ? s3aConf(env) : {}), ...userConf };
    const javaOptions = driverJavaOptions(master, inputBytes, userConf, found.archive);
    if (javaOptions) conf['spark.driver.extraJavaOptions'] = javaOptions;
    const classPath = driverClassPath(master, userConf, found);
    if (classPath) conf['spark.driver.extraClassPath'] = classPath;
    if (found.jars.length && isClusterMaster(master)) conf['spark.jars'] = [conf['spark.jars'], ...found.jars].filter(Boolean).join(',');
    const child = spawn(found.python, ['-u', driverScript()], {
      env: { ...env, PYSPARK_PYTHON: found.python, RAAS_SPARK_CONF: JSON.stringify(conf) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const driver = new SparkDriver(child);
    const ready = new Promise<{ version: string; master: string }>((resolve, reject) => {
      driver.waiting.set(0, { resolve: (v) => resolve(v as { version: string; master: string }), reject });
    });
    createInterface({ input: child.stdout }).on('line', (line) => driver.answer(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      driver.stderrTail.push(line);
      if (driver.stderrTail.length > 20) driver.stderrTail.shift();
    });
    child.on('exit', (code, signal) => {
      driver.exited = new Error(`the Spark driver exited (${signal ?? `code ${code}`}): ${driver.stderrTail.slice(-3).join(' | ') || 'no output'}`);
      for (const w of driver.waiting.values()) w.reject(driver.exited);
      driver.waiting.clear();
      if (shared === started) shared = undefined;
    });
    // A write to a driver that died fails here; its exit handler reports why.
    child.stdin.on('error', () => {});
    child.on('error', (err) => {
      driver.exited = err;
      for (const w of driver.waiting.values()) w.reject(err);
      driver.waiting.clear();
    });
    driver.hold(true);
    try {
      return { driver, ...(await ready), s3a: hasS3a(found) };
    } finally {
      driver.hold(false);
    }
  }

  /**
   * A shared driver must not keep a finished Node process alive, but a pending request
   * must: the process and its pipes are referenced exactly while an answer is awaited.
   */
  hold(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Array<{ ref?: () => void; unref?: () => void }>;
    for (const h of handles) (on ? h.ref : h.unref)?.call(h);
  }

  private answer(line: string): void {
    let a: Answer;
    try {
      a = JSON.parse(line) as Answer;
    } catch {
      return; // not ours (a library printing to stdout despite the redirect)
    }
    const w = this.waiting.get(a.id);
    if (!w) return;
    this.waiting.delete(a.id);
    if (this.waiting.size === 0) this.hold(false);
    if (a.error !== undefined) w.reject(new DriverError(a.error, a.kind));
    else w.resolve(a.result);
  }

  request<T>(op: string, args: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.stopping) return Promise.reject(new Error('the Spark driver is stopping (the process is ending)'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.size === 0) this.hold(true);
      this.waiting.set(id, { resolve: (v) => resolve(v as T), reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /**
   * Ends the driver in order: stdin's end makes it delete what runs left on S3 and stop
   * Spark (on Kubernetes that deletes the executor pods) and its JVM. After `graceMs`
   * without an exit it gets SIGTERM, after `termMs` more SIGKILL. Resolves once the
   * process is gone, with how it ended; the process is referenced meanwhile, so Node does
   * not exit under the stop.
   */
  async stop(graceMs: number, termMs: number): Promise<'stopped' | 'terminated' | 'killed'> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return 'stopped';
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const within = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        void gone.then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    this.stopping = true;
    this.hold(true);
    this.child.stdin.end();
    if (await within(graceMs)) return 'stopped';
    this.child.kill('SIGTERM');
    if (await within(termMs)) return 'terminated';
    this.child.kill('SIGKILL');
    await gone;
    return 'killed';
  }
}

let shared: Promise<{ driver: SparkDriver; version: string; master: string; s3a: boolean }> | undefined;
let started: typeof shared;

/** `inputBytes`: the first run's input size, which picks the driver JVM's compiler (spark-jvm.ts) for the process. */
function sharedDriver(env: NodeJS.ProcessEnv, inputBytes: number | undefined) {
  if (!shared) {
    started = SparkDriver.start(env, inputBytes);
    shared = started;
    shared.catch(() => {
      if (shared === started) shared = undefined;
    });
    // The driver outlives a run (a test process shares it between runs); the process's end stops it.
    atProcessEnd(() => stopSpark(env));
  }
  return shared;
}

const seconds = (text: string | undefined, fallback: number) => (text && /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : fallback);

/**
 * Stops the shared driver and waits until it is gone: Spark stops (deleting its executor
 * pods on Kubernetes) before the process exits, where a container's end would otherwise
 * kill it first. RAAS_SPARK_STOP_SECONDS (default 60) is how long an orderly stop may take
 * before SIGTERM, then SIGKILL 10 s later. A forced end is said on stderr.
 */
export async function stopSpark(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const s = shared;
  shared = undefined;
  const driver = s && (await s.catch(() => undefined))?.driver;
  if (!driver) return;
  const graceMs = seconds(env.RAAS_SPARK_STOP_SECONDS, 60_000);
  const how = await driver.stop(graceMs, 10_000);
  if (how !== 'stopped') {
    process.stderr.write(`raas: the Spark driver did not stop within ${graceMs / 1000} s and was ${how === 'killed' ? 'killed' : 'terminated'}; executor pods it started may be left to their owner references\n`);
  }
}

/** What the driver answers a load with: each CSV file's header as written, when it has one. */
interface LoadAnswer {
  headers?: Array<[string, Array<string | null>]>;
  /** Set when a header repeats a name ignoring case; the driver then read nothing. */
  clash?: boolean;
  /** JSON: the top-level fields other than keys that hold only numbers, read as their text. */
  numbers?: string[];
}

/**
 * A CSV header whose names repeat ignoring case: Spark would rename the second (v2) and read
 * on; refused as the DuckDB engine refuses it (duckdb-source-checks.ts).
 */
function refuseHeaderClash(answer: LoadAnswer, field: string): void {
  for (const [file, names] of answer.headers ?? []) {
    const clash = nameClash(names.map((n) => n ?? ''));
    if (clash) throw new RunError('load', `${field}.uri: ${describeClash(clash, `the header of ${file}`, 'rename one in the file')}`);
  }
  // Python and JavaScript fold case alike; should they ever not, still no view was made.
  if (answer.clash) throw new RunError('load', `${field}.uri: a CSV header repeats a column name ignoring letter case; rename one in the file`);
}

export class SparkEngine implements Engine {
  readonly name = 'spark';
  readonly dialect = sparkDialect;

  private constructor(
    private readonly driver: SparkDriver,
    private readonly sid: string,
    private readonly s3a: boolean,
    private readonly onSql?: (sql: string) => void,
    private readonly progress?: (line: string) => void,
  ) {}

  /**
   * out: the run's output URI and name, where executors in other pods share files with the
   * driver. inputBytes: the size of the run's input files, undefined when unknown (spark-jvm.ts).
   */
  static async open(opts: { env: NodeJS.ProcessEnv; out: { uri: string; runName: string }; inputBytes?: number; progress?: (line: string) => void; onSql?: (sql: string) => void }): Promise<SparkEngine> {
    let shared: string | undefined;
    if (isClusterMaster(opts.env.RAAS_SPARK_MASTER || 'local[*]')) {
      const dir = sharedDir(opts.out.uri, opts.out.runName, randomUUID().slice(0, 8));
      if (dir instanceof Error) throw new RunError('load', dir.message);
      shared = dir;
    }
    const { driver, version, master, s3a } = await sharedDriver(opts.env, opts.inputBytes);
    // The run's own S3A settings (endpoint, credentials) on its own session.
    const sid = await driver.request<string>('open', { conf: s3aSettings(opts.env), ...(shared ? { shared } : {}) });
    opts.progress?.(`load     Spark ${version} (${master})`);
    return new SparkEngine(driver, sid, s3a, opts.onSql, opts.progress);
  }

  async run(sql: string): Promise<void> {
    this.onSql?.(sql);
    await this.driver.request('run', { sid: this.sid, sql });
  }

  rows(sql: string): Promise<Row[]> {
    return this.driver.request<Row[]>('rows', { sid: this.sid, sql });
  }

  async one(sql: string): Promise<Row> {
    const rows = await this.rows(sql);
    if (rows.length !== 1) throw new Error(`internal: expected one row from ${sql.slice(0, 80)}…, got ${rows.length}`);
    return rows[0]!;
  }

  describe(relation: string): Promise<EngineColumn[]> {
    return this.driver.request<EngineColumn[]>('describe', { sid: this.sid, relation });
  }

  /**
   * The user's text alone on Spark's parser, then the whole statement it is spliced into:
   * Spark's parser takes exactly one statement, so a text that closes the runner's
   * parenthesis and opens another statement fails here instead of running.
   */
  async checkSelect(sql: string, field: string, allowed: readonly string[], runs: UserSqlRun): Promise<void> {
    try {
      await this.driver.request('check', { sid: this.sid, sql, allowed });
      if (runs.statement !== sql) await this.driver.request('parse', { sid: this.sid, sql: runs.statement });
    } catch (err) {
      if (err instanceof DriverError && err.kind === 'user_sql') throw new UserSqlError(field, err.message);
      throw err;
    }
  }

  /** The query's column names as Spark's analyser returns them (Spark renames no clash), each input readable by its name. */
  async queryColumnNames(sql: string, inputs: ReadonlyArray<{ name: string; view: string; field: string }>): Promise<string[]> {
    const existing = new Set((await this.rows('SHOW VIEWS')).map((r) => String(r.viewName ?? '').toLowerCase()));
    refuseReservedInputNames(existing, inputs);
    const d = this.dialect;
    try {
      for (const i of inputs) await this.run(d.createView(d.ident(i.name), `SELECT * FROM ${d.ident(i.view)}`));
      return await this.driver.request<string[]>('columns', { sid: this.sid, sql });
    } catch {
      return []; // a query that does not bind fails with its own message when it runs
    } finally {
      for (const i of inputs) await this.run(`DROP VIEW IF EXISTS ${d.ident(i.name)}`).catch(() => {});
    }
  }

  /** Spark reads summaries through the DataFrame API with a limit: the user's SELECT runs as written, spliced into nothing. */
  textRowsSql(sql: string): string {
    return sql;
  }

  async loadInput(req: LoadRequest): Promise<string[]> {
    const files = req.files.map(sparkPath);
    if (!this.s3a && files.some((f) => f.startsWith('s3a://'))) {
      throw new RunError('load', `${req.field}.uri: the spark engine reads s3:// through Spark's S3A connector, which is not installed: run scripts/install-spark.sh (puts hadoop-aws in its cache), or use engine: duckdb`);
    }
    // Refused from the spec before a run (check-without-data.ts); here again for `raas run`,
    // which reads the spec without that check.
    const unsupported = req.format === 'csv' ? sparkCsvProblems(req.field, { csv: req.src.csv }) : [];
    if (unsupported.length) throw new RunError('load', unsupported[0]!);
    const base = { sid: this.sid, view: req.view, format: req.format, files, csv: req.src.csv ?? {}, keyColumns: [...req.keyNames], field: req.field, textSpelling: SNIFFER_TEXT_SPELLING };
    if (req.format === 'json' || req.format === 'ndjson') {
      // Numbers arrive as the text of their tokens; the runner sizes an exact DECIMAL for
      // the number fields from the data, as it does for the DuckDB engine's JSON copies.
      const raw = `${req.view}__text`;
      const answer = (await this.driver.request<LoadAnswer | null>('load', { ...base, view: raw })) ?? {};
      await this.exactNumbersView(req, raw, answer.numbers ?? [], true);
      return req.files;
    }
    // A refusal the driver words (it names the field) reaches the user whole: see stepWith.
    refuseHeaderClash((await this.driver.request<LoadAnswer | null>('load', base)) ?? {}, req.field);
    if (req.format !== 'csv') return req.files;
    // Columns Spark inferred as floating point are read again as text, and the runner sizes
    // an exact DECIMAL for them from the data (as it does for DuckDB's CSV reader).
    const described = await this.describe(req.view);
    const floats = described.filter((c) => classifyType(this.dialect.canonicalType(c.type)) === 'float').map((c) => c.name);
    if (floats.length === 0) return req.files;
    const raw = `${req.view}__raw`;
    await this.driver.request('load', { ...base, view: raw, stringColumns: floats });
    await this.exactNumbersView(req, raw, floats, false);
    return req.files;
  }

  /**
   * The input's view, reading `raw` with each of `columns` (text holding numbers) cast to the
   * exact DECIMAL its values need. `allowWide`: whole numbers wider than a DECIMAL stay text (JSON).
   */
  private async exactNumbersView(req: LoadRequest, raw: string, columns: readonly string[], allowWide: boolean): Promise<void> {
    const d = this.dialect;
    const shapes = columns.length ? await probeNumerics(this, raw, req.side, columns.map((column) => ({ column })), req.side, allowWide) : new Map();
    const casts = new Map(exactDecimalTypes(shapes, req.side, req.side).map((t) => [t.column, t.type]));
    const cols = (await this.describe(raw)).map((c) => {
      const type = casts.get(c.name);
      return type ? `CAST(trim(${d.ident(c.name)}) AS ${type}) AS ${d.ident(c.name)}` : d.ident(c.name);
    });
    await this.run(d.createView(d.ident(req.view), `SELECT ${cols.join(', ')} FROM ${d.ident(raw)}`));
  }

  /** Spark has no file sandbox to lock: user SQL may read only the names the parser check allows (checkSelect). */
  async lockDown(): Promise<void> {}

  textRows(sql: string, limit: number): Promise<Array<Array<string | null>>> {
    return this.driver.request('text_rows', { sid: this.sid, sql, limit });
  }

  async writeResult(relation: string, path: string, format: 'parquet' | 'csv'): Promise<number> {
    return writtenCount(await this.driver.request<unknown>('write', { sid: this.sid, relation, path, format }), relation);
  }

  message(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    // Spark messages carry a JVM stack trace and a SQL excerpt after the first lines.
    const lines = text.split('\n').map((l) => l.trim());
    const cut = lines.findIndex((l) => /^(JVM stacktrace:|== SQL|at org\.|Traceback)/.test(l));
    return (cut > 0 ? lines.slice(0, cut) : lines.slice(0, 3)).filter(Boolean).join(' | ');
  }

  /**
   * Ends the run's session and deletes its shared directory on S3. A failure to delete is
   * said as a progress line, not as the run's failure: the results are written already,
   * and the driver tries again when it stops.
   */
  async close(): Promise<void> {
    await this.driver.request('close', { sid: this.sid }).catch((err: unknown) => {
      this.progress?.(`warning  the Spark session did not close cleanly: ${this.message(err)}`);
    });
  }
}
