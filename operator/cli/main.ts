// The Kubernetes-facing commands of `raas` (bin/raas.js sends them here, so runner/ never
// imports operator/): operator, sandbox, backfill, rerun, runs, results. `kubectl recon X`
// runs the same code through bin/kubectl-recon.js.
import { Command, CommanderError } from 'commander';
import { ConfigError, configFromEnv, startOperator } from '../main.ts';
import { Kube, loadKubeConfig, statusCode } from '../kube/client.ts';
import { backfill, CommandError, rerun, results, runs } from './recon-commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Until the sandbox should stop: Ctrl-C (SIGINT), SIGTERM, the terminal closing (SIGHUP), or
 * the process that started it going away. The last is how `npx raas sandbox` stops when npm
 * is killed: npm passes SIGTERM only to the shell it runs the command in, which exits
 * without passing it on, so this process would be left running alone.
 */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const parent = process.ppid;
    const timer = setInterval(() => {
      if (process.ppid !== parent) done();
    }, 500);
    const done = () => {
      clearInterval(timer);
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(s, done);
      resolve();
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, done);
  });
}
const fail = (msg: string) => process.stderr.write(`raas: ${msg}\n`);

function currentNamespace(kc: ReturnType<typeof loadKubeConfig>): string {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace ?? 'default';
}

async function withKube(flags: { kubeconfig?: string; namespace?: string }, fn: (kube: Kube, ns: string) => Promise<void>): Promise<number> {
  try {
    let kc;
    try {
      kc = loadKubeConfig(flags.kubeconfig);
    } catch (err) {
      throw new CommandError(`cannot read the kubeconfig ${flags.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'}: ${(err as Error).message}; pass --kubeconfig <path> or set KUBECONFIG`);
    }
    await fn(new Kube(kc), flags.namespace ?? currentNamespace(kc));
    return 0;
  } catch (err) {
    if (err instanceof CommandError || err instanceof ConfigError) fail(err.message);
    else {
      const code = statusCode(err);
      const body = (err as { body?: unknown }).body;
      fail(code ? `the Kubernetes API answered ${code}: ${typeof body === 'string' ? body : (err as Error).message}` : (err as Error).message);
    }
    return 2;
  }
}

export async function main(argv: string[], name = 'raas'): Promise<number> {
  let exitCode = 0;
  const program = new Command().name(name).exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `${name}: ${s}` : s) });
  const common = (c: Command) => c.option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s)').option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)');

  program
    .command('operator')
    .description('run the controller (in a cluster this is the Deployment\'s command)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster or $KUBECONFIG)')
    .option('--port <n>', 'HTTP port for /healthz, /readyz (default $RAAS_HTTP_PORT or 8080)')
    .action(async (flags: { kubeconfig?: string; port?: string }) => {
      try {
        const running = await startOperator(configFromEnv(process.env, flags));
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        await running.stop();
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
        exitCode = 2;
      }
    });

  program
    .command('sandbox')
    .description('try raas without a cluster: a real Kubernetes control plane on loopback (scripts/install-kube.sh), pods as local processes, an S3 test server and the operator, in one process')
    .requiredOption('--kubeconfig <path>', 'where to write the kubeconfig once ready (point kubectl at it)')
    .option('-n, --namespace <ns>', 'the kubeconfig context\'s namespace', 'default')
    .option('--no-s3', 'do not start the S3 test server')
    .option('--log-level <level>', 'operator log level (JSON lines on stderr)', 'info')
    .option('--metrics-port <n>', 'serve the operator\'s metrics at http://127.0.0.1:<n>/metrics (default: a free port, printed)')
    .option('--kafka-brokers <host:port>', 'send ReconJobs\' kafka notifications to this Kafka (comma list; as RAAS_KAFKA_BROKERS)')
    .option('--s3-env <path>', 'also write the S3 test server\'s AWS_* settings to this file as export lines (`. <path>` in another shell)')
    .option('--image <ref>', 'with --node containerd: run this image from podman\'s storage instead of building this checkout\'s (scripts/build-image.sh)')
    .option('--node <kind>', 'process: pods run as local processes (no root, no image); containerd: a real kubelet with containerd and runc runs the image built from this checkout, and the chart is installed by helm (root; docs/real-node.md)', 'process')
    .action(async (flags: { kubeconfig: string; namespace: string; s3: boolean; logLevel: string; metricsPort?: string; kafkaBrokers?: string; s3Env?: string; node: string; image?: string }) => {
      try {
        if (flags.node !== 'process' && flags.node !== 'containerd') throw new ConfigError(`--node "${flags.node}" must be process or containerd, e.g. --node containerd`);
        if (flags.node === 'containerd') {
          const unsupported = [flags.metricsPort !== undefined && '--metrics-port', flags.kafkaBrokers !== undefined && '--kafka-brokers', !flags.s3 && '--no-s3'].filter(Boolean);
          if (flags.image !== undefined && !/^[a-z0-9][a-z0-9._/:@-]*$/i.test(flags.image)) throw new ConfigError(`--image "${flags.image}" is not an image reference, e.g. --image localhost/raas:0.1.0`);
          if (unsupported.length) throw new ConfigError(`${unsupported.join(', ')} apply to --node process only; with --node containerd the operator runs in pods installed by the chart (set its values instead)`);
          const { startRealNodeSandbox } = await import('../sandbox/real-node-sandbox.ts');
          // Listening from the start: Ctrl-C while the image builds or helm installs stops what started.
          const stopped = untilStopped();
          const abort = new AbortController();
          void stopped.then(() => abort.abort());
          const sandbox = await startRealNodeSandbox({ kubeconfig: flags.kubeconfig, namespace: flags.namespace, signal: abort.signal, ...(flags.s3Env ? { s3EnvFile: flags.s3Env } : {}), ...(flags.image ? { image: flags.image } : {}) }, out).catch((err: unknown) => {
            if (abort.signal.aborted) return undefined;
            throw err;
          });
          if (!sandbox) return;
          await stopped;
          await sandbox.stop();
          return;
        }
        if (flags.image !== undefined) throw new ConfigError('--image applies to --node containerd only (the process node runs this checkout)');
        if (flags.metricsPort !== undefined && !/^\d{1,5}$/.test(flags.metricsPort)) throw new ConfigError(`--metrics-port "${flags.metricsPort}" must be a port number, e.g. --metrics-port 9090`);
        const { startSandbox } = await import('../sandbox/sandbox.ts');
        const sandbox = await startSandbox(
          {
            kubeconfig: flags.kubeconfig,
            namespace: flags.namespace,
            s3: flags.s3,
            logLevel: flags.logLevel,
            ...(flags.metricsPort ? { metricsPort: Number(flags.metricsPort) } : {}),
            ...(flags.kafkaBrokers ? { kafkaBrokers: flags.kafkaBrokers } : {}),
            ...(flags.s3Env ? { s3EnvFile: flags.s3Env } : {}),
          },
          out,
        );
        await untilStopped();
        await sandbox.stop();
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
        exitCode = 2;
      }
    });

  program
    .command('web')
    .description('serve the results page (/) and API (/api/v1) for people and systems that never use kubectl; every request is authenticated with TokenReview and authorized with SubjectAccessReview')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster or $KUBECONFIG)')
    .option('--port <n>', 'HTTP port (default $RAAS_WEB_PORT or 8080)')
    .option('--host <h>', 'address to listen on (default $RAAS_HTTP_HOST or 0.0.0.0)')
    .action(async (flags: { kubeconfig?: string; port?: string; host?: string }) => {
      try {
        const { webConfigFromEnv } = await import('../web/config.ts');
        const { startWeb } = await import('../web/server.ts');
        const web = await startWeb(await webConfigFromEnv(process.env, flags));
        out(`raas web: ${web.url}`);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        await web.stop();
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
        exitCode = 2;
      }
    });

  common(program.command('backfill').description('create one ReconRun per period from --from to --to (inclusive); applying it twice creates nothing new'))
    .argument('<job>', 'ReconJob name')
    .requiredOption('--from <YYYY-MM-DD>', 'first date')
    .requiredOption('--to <YYYY-MM-DD>', 'last date (its period is included)')
    .option('--dry-run', 'print the runs without creating them')
    .action(async (job: string, flags: { from: string; to: string; dryRun?: boolean; namespace?: string; kubeconfig?: string }) => {
      exitCode = await withKube(flags, async (kube, ns) => {
        await backfill(kube, { namespace: ns, job, from: flags.from, to: flags.to, ...(flags.dryRun ? { dryRun: true } : {}) }, out);
      });
    });

  common(program.command('rerun').description('run the period containing --date again, as a new ReconRun'))
    .argument('<job>', 'ReconJob name')
    .requiredOption('--date <YYYY-MM-DD>', 'a date inside the period to re-run')
    .option('--cascade', 'carryForward jobs: also rerun every later committed window, in order, each after the one before it succeeds')
    .action(async (job: string, flags: { date: string; cascade?: boolean; namespace?: string; kubeconfig?: string }) => {
      exitCode = await withKube(flags, async (kube, ns) => {
        await rerun(kube, { namespace: ns, job, date: flags.date, cascade: flags.cascade === true }, out);
      });
    });

  common(program.command('runs').description('list a ReconJob\'s runs, oldest window first'))
    .argument('<job>', 'ReconJob name')
    .action(async (job: string, flags: { namespace?: string; kubeconfig?: string }) => {
      exitCode = await withKube(flags, async (kube, ns) => {
        await runs(kube, { namespace: ns, job }, out);
      });
    });

  common(program.command('results').description('print a run\'s summary; --download fetches its result files'))
    .argument('<run>', 'ReconRun name')
    .option('--download <dir>', 'download the result files and summary.json into this directory')
    .action(async (run: string, flags: { download?: string; namespace?: string; kubeconfig?: string }) => {
      exitCode = await withKube(flags, async (kube, ns) => {
        await results(kube, { namespace: ns, run, ...(flags.download ? { download: flags.download } : {}) }, out);
      });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' ? 0 : 2;
    throw err;
  }
  return exitCode;
}
