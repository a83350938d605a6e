// `raas web` settings from flags and environment; a bad value is a one-line error naming it.
import { pino } from 'pino';
import { ConfigError } from '../main.ts';
import { loadKubeConfig } from '../kube/client.ts';
import type { WebConfig } from './server.ts';

function catalogUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError('RAAS_WEB_CATALOG_URL is not a URL; set it to the results catalog, e.g. postgres://user:password@host:5432/recon');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new ConfigError(`RAAS_WEB_CATALOG_URL must be a postgres:// URL (it is ${u.protocol}//…)`);
  return v;
}

export async function webConfigFromEnv(env: NodeJS.ProcessEnv, flags: { kubeconfig?: string; port?: string; host?: string }): Promise<WebConfig> {
  const portText = flags.port ?? env.RAAS_WEB_PORT ?? '8080';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new ConfigError(`--port "${portText}" must be a port number 0..65535, e.g. --port 8080`);
  const level = env.RAAS_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new ConfigError(`RAAS_LOG_LEVEL "${level}" must be one of trace, debug, info, warn, error, fatal, silent`);
  const ttl = env.RAAS_WEB_REVIEW_TTL_SECONDS;
  if (ttl !== undefined && !/^\d{1,3}$/.test(ttl)) throw new ConfigError(`RAAS_WEB_REVIEW_TTL_SECONDS "${ttl}" must be a whole number of seconds (0..999)`);
  const path = flags.kubeconfig ?? env.KUBECONFIG;
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig(path);
  } catch (err) {
    throw new ConfigError(`cannot read the kubeconfig ${path ?? '(in-cluster)'}: ${(err as Error).message}; pass --kubeconfig <path>`);
  }
  return {
    kubeConfig,
    port: Number(portText),
    host: flags.host ?? env.RAAS_HTTP_HOST ?? '0.0.0.0',
    s3Env: env,
    localRoots: (env.RAAS_WEB_LOCAL_ROOTS ?? '').split(':').map((s) => s.trim()).filter(Boolean),
    ...(ttl !== undefined ? { reviewTtlMs: Number(ttl) * 1000 } : {}),
    ...(env.RAAS_WEB_CATALOG_URL ? { catalogUrl: catalogUrl(env.RAAS_WEB_CATALOG_URL) } : {}),
    log: pino({ level }, pino.destination(2)),
  };
}
