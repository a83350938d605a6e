import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

/** A real Apache Kafka broker (KRaft, one combined broker+controller node) on 127.0.0.1. */
export interface KafkaBroker {
  /** ['127.0.0.1:PORT'], for `new Kafka({ brokers })`. */
  brokers: string[];
  /** Graceful shutdown (SIGTERM, SIGKILL after a grace period); removes a temp data dir. */
  stop(): Promise<void>;
  /** SIGKILL, as in an outage: no clean shutdown; the data dir stays for restart(). */
  kill(): Promise<void>;
  /** Starts the broker again on the same port and data dir (stopping it first if up). */
  restart(): Promise<void>;
}

export interface StartKafkaBrokerOptions {
  /** Log directory to use and keep; by default a temp dir that stop() removes. */
  dataDir?: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const POM = path.join(ROOT, 'test/support/kafka/pom.xml');
const LIB_DIR = path.join(ROOT, '.tools/kafka-libs');
/** Written last by scripts/install-kafka.sh: "pom-sha256 <hash>" then one jar name a line. */
const STAMP = path.join(LIB_DIR, '.installed');
const INSTALL_HINT = 'run `bash scripts/install-kafka.sh` from the repository root';

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 20_000;
const KILL_WAIT_MS = 10_000;
const OUTPUT_LINES = 40;

// Sized for a small CI machine that runs other suites next to this one. C1-only JIT and
// the serial collector start the JVM noticeably faster and use fewer threads; a test
// broker moves kilobytes, so peak throughput does not matter.
const JVM_ARGS = [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:-UsePerfData',
  '-Djava.awt.headless=true',
];

// WARN and above only: a healthy broker then prints almost nothing, and the lines kept for
// a failed start's error message are the ones that explain it.
const LOG4J2_PROPERTIES = `status = error
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d{HH:mm:ss.SSS}] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
`;

function serverProperties(o: { dataDir: string; port: number; controllerPort: number }): string {
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    // A static voter set: no dynamic-quorum bootstrap (format --standalone) to get right,
    // and the same file works across restarts.
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `log.dirs=${o.dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'auto.create.topics.enable=true',
    // Internal topics default to 3 replicas, which one node can never satisfy, and to 50
    // partitions, whose creation on first consumer-group use costs seconds.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // After a SIGKILL the restarted controller rejects the broker's new registration until
    // the dead incarnation's session expires (default 9 s). Heartbeats stay 6x more frequent
    // than the timeout so a loaded machine does not fence a live broker.
    'broker.heartbeat.interval.ms=500',
    'broker.session.timeout.ms=3000',
    // Consumers join at once instead of after the default 3 s wait for more members.
    'group.initial.rebalance.delay.ms=0',
    // Fewer threads than the production defaults; two cores are shared with the tests.
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
  ];
  return lines.join('\n') + '\n';
}

/** Kafka's Uuid text form: 16 random bytes, base64url without padding. */
function kafkaClusterId(): string {
  // Kafka's own generator rejects ids starting with '-' (they read as a CLI flag).
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Throws saying what to run when the jars are missing, partial or from another pom. */
async function checkJars(): Promise<void> {
  let stamp: string;
  try {
    stamp = await readFile(STAMP, 'utf8');
  } catch {
    throw new Error(`the Kafka broker jars are not installed in ${LIB_DIR}: ${INSTALL_HINT}`);
  }
  const [first = '', ...jars] = stamp.split('\n').filter((l) => l.length > 0);
  const pomHash = createHash('sha256').update(await readFile(POM)).digest('hex');
  if (first !== `pom-sha256 ${pomHash}`) {
    throw new Error(`the Kafka broker jars in ${LIB_DIR} were fetched for an older ${path.relative(ROOT, POM)}: ${INSTALL_HINT}`);
  }
  const missing = jars.filter((jar) => !existsSync(path.join(LIB_DIR, jar)));
  if (jars.length === 0 || missing.length > 0) {
    throw new Error(`the Kafka broker jars in ${LIB_DIR} are incomplete (missing ${missing.join(', ') || 'all'}): ${INSTALL_HINT}`);
  }
}

function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', 'java') : 'java';
}

function javaMissing(err: unknown): Error | undefined {
  if ((err as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') return undefined;
  return new Error(
    `Java is not installed (${javaBinary()} not found): install Java 17 (e.g. apt-get install openjdk-17-jre-headless), then ${INSTALL_HINT}`,
  );
}

/** Keeps the last lines a process printed, for error messages. */
class OutputTail {
  private lines: string[] = [];
  private partial = '';

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.trim().length > 0));
    if (this.lines.length > OUTPUT_LINES) this.lines.splice(0, this.lines.length - OUTPUT_LINES);
  }

  text(): string {
    const all = this.partial.trim() ? [...this.lines, this.partial] : this.lines;
    return all.length > 0 ? all.join('\n') : '(no output)';
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs kafka.tools.StorageTool format (Kafka refuses to start on an unformatted log dir). */
async function formatStorage(propertiesFile: string, log4jFile: string): Promise<void> {
  const tail = new OutputTail();
  const args = [
    ...JVM_ARGS,
    `-Dlog4j2.configurationFile=${log4jFile}`,
    '-cp',
    path.join(LIB_DIR, '*'),
    'kafka.tools.StorageTool',
    'format',
    '--config',
    propertiesFile,
    '--cluster-id',
    kafkaClusterId(),
  ];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(javaBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (c: string) => tail.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => tail.push(c));
    child.once('error', (err) => reject(javaMissing(err) ?? err));
    child.once('close', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`formatting the Kafka log dir failed (exit ${code}):\n${tail.text()}`);
}

interface Running {
  child: ChildProcess;
  tail: OutputTail;
  /** Set when the process could not be spawned at all (e.g. no java). */
  spawnError?: Error;
}

/** Resolves once a fresh admin client can list topics; rejects early if the broker exits. */
async function waitUntilReady(brokers: string[], current: Running): Promise<void> {
  const { child, tail } = current;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no attempt finished';
  while (Date.now() < deadline) {
    if (current.spawnError) throw current.spawnError;
    if (exited(child)) {
      throw new Error(`the Kafka broker exited during start (code ${child.exitCode}, signal ${child.signalCode}):\n${tail.text()}`);
    }
    // One attempt per client, no client-side retries: the loop owns the timing, and a
    // failed attempt must not outlive the deadline.
    const admin = new Kafka({
      brokers,
      clientId: 'raas-test-kafka-ready',
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(`the Kafka broker was not ready within ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError}):\n${tail.text()}`);
}

/** SIGKILLs the broker when this Node process dies, whichever way it dies. */
function startReaper(pid: number): ChildProcess {
  // A SIGKILLed test worker runs no exit hooks, and an orphaned 512 MB JVM would starve the
  // rest of a small CI run. This shell reads its stdin, a pipe from this process, until
  // EOF, which the kernel delivers when this process is gone; then it kills the broker.
  const reaper = spawn('sh', ['-c', 'read -r _ignored; kill -KILL "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  reaper.on('error', () => undefined);
  reaper.unref();
  return reaper;
}

/**
 * Starts a real Kafka broker (KRaft, combined broker+controller, node 1) from the jars that
 * scripts/install-kafka.sh put in .tools/kafka-libs, on free loopback ports, and waits
 * until it serves metadata. Throws an Error saying why (and what to run) when it cannot.
 */
export async function startKafkaBroker(opts: StartKafkaBrokerOptions = {}): Promise<KafkaBroker> {
  await checkJars();

  const workDir = await mkdtemp(path.join(tmpdir(), 'raas-kafka-'));
  // A temp data dir lives inside workDir, so removing workDir at stop() removes it too.
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : path.join(workDir, 'data');
  const propertiesFile = path.join(workDir, 'server.properties');
  const log4jFile = path.join(workDir, 'log4j2.properties');

  let running: Running | undefined;
  let port = 0;

  const launch = (): Running => {
    const child = spawn(
      javaBinary(),
      [...JVM_ARGS, `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', path.join(LIB_DIR, '*'), 'kafka.Kafka', propertiesFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const current: Running = { child, tail: new OutputTail() };
    child.stdout.setEncoding('utf8').on('data', (c: string) => current.tail.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => current.tail.push(c));
    child.once('error', (err) => {
      current.spawnError = javaMissing(err) ?? err;
    });
    const reaper = child.pid !== undefined ? startReaper(child.pid) : undefined;
    child.on('exit', () => {
      // The broker's pid may be reused once it is gone; the reaper must not outlive it.
      reaper?.kill('SIGKILL');
    });
    return current;
  };

  const terminate = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const current = running;
    running = undefined;
    // No pid: the spawn itself failed, so there is nothing to signal or wait for.
    if (!current || current.child.pid === undefined || exited(current.child)) return;
    current.child.kill(signal);
    if (signal === 'SIGTERM' && (await waitForExit(current.child, STOP_GRACE_MS))) return;
    current.child.kill('SIGKILL');
    await waitForExit(current.child, KILL_WAIT_MS);
  };

  const startProcess = async (): Promise<void> => {
    const current = launch();
    running = current;
    try {
      await waitUntilReady([`127.0.0.1:${port}`], current);
    } catch (err) {
      await terminate('SIGKILL');
      throw err;
    }
  };

  const exitHook = (): void => {
    running?.child.kill('SIGKILL');
  };
  process.once('exit', exitHook);

  const cleanUp = async (): Promise<void> => {
    process.removeListener('exit', exitHook);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    await writeFile(log4jFile, LOG4J2_PROPERTIES);
    await mkdir(dataDir, { recursive: true });
    // Another process can take a free port between the probe and the broker's bind; on a
    // fresh start that is harmless to retry with new ports (a restart must keep its port).
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      let controllerPort = await freePort();
      while (controllerPort === port) controllerPort = await freePort();
      await writeFile(propertiesFile, serverProperties({ dataDir, port, controllerPort }));
      // A caller's data dir may already hold a formatted log from an earlier run.
      if (!existsSync(path.join(dataDir, 'meta.properties'))) await formatStorage(propertiesFile, log4jFile);
      try {
        await startProcess();
        break;
      } catch (err) {
        const bindFailed = err instanceof Error && /BindException|Address already in use/.test(err.message);
        if (!bindFailed || attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await cleanUp();
    throw err;
  }

  let stopped = false;
  return {
    brokers: [`127.0.0.1:${port}`],
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate('SIGTERM');
      await cleanUp();
    },
    async kill() {
      await terminate('SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop(): the broker and its files are gone');
      await terminate('SIGTERM');
      await startProcess();
    },
  };
}
