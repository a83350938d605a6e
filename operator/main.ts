// `raas operator`: the controller process. Configuration comes from the environment the
// Helm chart sets (charts/raas/templates/deployment.yaml); logs are JSON lines (pino).
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { Operator } from './controllers/operator.ts';
import { Kube, loadKubeConfig } from './kube/client.ts';
import { LeaderElector } from './kube/leader.ts';
import { OperatorMetrics } from './http/metrics.ts';
import { KafkaConfigError, kafkaSettingsFromEnv, type KafkaSettings } from './notify/kafka.ts';
import type { RetryPolicy } from './notify/routing.ts';
import { runnerPolicyFromEnv, RunnerPolicyConfigError, type RunnerPolicy } from './desired/runner-policy.ts';
import { allowedDestinationsFromEnv, DestinationConfigError, type DestinationClass } from './notify/destination.ts';

export interface OperatorConfig {
  kubeconfig?: string;
  /** A kubeconfig as text (the sandbox, before it writes the file users wait for). */
  kubeconfigYaml?: string;
  runnerImage: string;
  namespaces: string[];
  httpPort: number;
  httpHost: string;
  leaderElection: boolean;
  leaseName: string;
  leaseNamespace: string;
  leaseDurationSeconds: number;
  identity: string;
  logLevel: string;
  resyncMs?: number;
  stallMs?: number;
  /** Reconcile workers per queue (RAAS_WORKERS, default 16). */
  workers?: number;
  /** Process metrics (process_*, nodejs_*); off when several operators share one process (tests). */
  processMetrics?: boolean;
  /** The Kafka sink's connection (RAAS_KAFKA_*); absent = kafka notify entries record a failure. */
  kafka?: KafkaSettings;
  /** Notification retry backoff; defaults 5 s doubling to 5 min, 20 attempts (tests shorten it). */
  notifyRetry?: Partial<RetryPolicy>;
  /** What ReconJob.spec.runner may ask for (RAAS_RUNNER_POLICY, chart value runnerPolicy). */
  runnerPolicy: RunnerPolicy;
  /** Webhook destination classes allowed besides public addresses (RAAS_WEBHOOK_ALLOW_DESTINATIONS). */
  allowDestinations?: Set<DestinationClass>;
}

export class ConfigError extends Error {}

export function configFromEnv(env: NodeJS.ProcessEnv, flags: { kubeconfig?: string; port?: string } = {}): OperatorConfig {
  const port = Number(flags.port ?? env.RAAS_HTTP_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`RAAS_HTTP_PORT "${flags.port ?? env.RAAS_HTTP_PORT}" must be a port number 0..65535`);
  const lease = Number(env.RAAS_LEASE_DURATION_SECONDS ?? 15);
  if (!Number.isInteger(lease) || lease < 2) throw new ConfigError(`RAAS_LEASE_DURATION_SECONDS "${env.RAAS_LEASE_DURATION_SECONDS}" must be a whole number of seconds, at least 2`);
  // Reconciles wait on API round trips (apply, status, event), not CPU: more workers than
  // cores is what makes a cold start over 1,000 jobs fast (npm run bench:operator).
  const workers = Number(env.RAAS_WORKERS ?? 16);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ConfigError(`RAAS_WORKERS "${env.RAAS_WORKERS}" must be a whole number from 1 to 64`);
  const level = env.RAAS_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new ConfigError(`RAAS_LOG_LEVEL "${level}" must be one of trace, debug, info, warn, error, fatal, silent`);
  let allowDestinations: Set<DestinationClass>;
  try {
    allowDestinations = allowedDestinationsFromEnv(env.RAAS_WEBHOOK_ALLOW_DESTINATIONS);
  } catch (err) {
    if (err instanceof DestinationConfigError) throw new ConfigError(err.message);
    throw err;
  }
  let runnerPolicy: RunnerPolicy;
  try {
    runnerPolicy = runnerPolicyFromEnv(env.RAAS_RUNNER_POLICY);
  } catch (err) {
    if (err instanceof RunnerPolicyConfigError) throw new ConfigError(err.message);
    throw err;
  }
  let kafka: KafkaSettings | undefined;
  try {
    kafka = kafkaSettingsFromEnv(env);
  } catch (err) {
    if (err instanceof KafkaConfigError) throw new ConfigError(err.message);
    throw err;
  }
  return {
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
    runnerImage: env.RAAS_RUNNER_IMAGE ?? 'raas:0.1.0',
    namespaces: (env.RAAS_WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    httpPort: port,
    httpHost: env.RAAS_HTTP_HOST ?? '0.0.0.0',
    leaderElection: (env.RAAS_LEADER_ELECTION ?? 'true') !== 'false',
    leaseName: env.RAAS_LEADER_ELECTION_LEASE ?? 'raas-leader',
    leaseNamespace: env.POD_NAMESPACE ?? 'default',
    leaseDurationSeconds: lease,
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
    logLevel: level,
    ...(kafka ? { kafka } : {}),
    ...(allowDestinations.size ? { allowDestinations } : {}),
    runnerPolicy,
  };
}

export interface RunningOperator {
  operator: Operator;
  metrics: OperatorMetrics;
  server: Server;
  port: number;
  stop(): Promise<void>;
}

export async function startOperator(cfg: OperatorConfig, log: Logger = pino({ level: cfg.logLevel, base: { component: 'raas-operator' } })): Promise<RunningOperator> {
  const kube = new Kube(loadKubeConfig(cfg.kubeconfig, cfg.kubeconfigYaml));
  const metrics = new OperatorMetrics({ processMetrics: cfg.processMetrics !== false });
  const operator = new Operator({
    metrics,
    kube,
    runner: { image: cfg.runnerImage, operatorNamespace: cfg.leaseNamespace, policy: cfg.runnerPolicy },
    namespaces: cfg.namespaces,
    log,
    ...(cfg.resyncMs ? { resyncMs: cfg.resyncMs } : {}),
    ...(cfg.workers ? { workers: cfg.workers } : {}),
    ...(cfg.stallMs ? { stallMs: cfg.stallMs } : {}),
    notify: { ...(cfg.kafka ? { kafka: cfg.kafka } : {}), ...(cfg.notifyRetry ? { retry: cfg.notifyRetry } : {}), ...(cfg.allowDestinations ? { allowDestinations: cfg.allowDestinations } : {}) },
  });
  let elector: LeaderElector | undefined;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url === '/metrics') {
      metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
      );
    } else if (url === '/readyz') {
      const ok = operator.synced;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'informers not synced\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.httpPort, cfg.httpHost, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.httpPort;
  log.info({ port, namespaces: cfg.namespaces.length ? cfg.namespaces : 'all', leaderElection: cfg.leaderElection, kafka: cfg.kafka ? cfg.kafka.brokers.join(',') : 'not configured' }, 'operator starting');
  await operator.start();
  if (cfg.leaderElection) {
    elector = new LeaderElector({
      api: kube.coordination,
      namespace: cfg.leaseNamespace,
      name: cfg.leaseName,
      identity: cfg.identity,
      leaseDurationSeconds: cfg.leaseDurationSeconds,
      retryPeriodMs: Math.max(500, Math.floor((cfg.leaseDurationSeconds * 1000) / 5)),
      onStartedLeading: () => operator.setLeading(true),
      onStoppedLeading: () => operator.setLeading(false),
      log: (msg, fields) => log.info(fields ?? {}, msg),
    });
    elector.start();
  } else {
    operator.setLeading(true);
  }
  return {
    operator,
    metrics,
    server,
    port,
    async stop() {
      await elector?.stop();
      await operator.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
