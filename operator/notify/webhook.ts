// The webhook sink: the URL lives in a Secret in the ReconJob's namespace (webhook URLs such
// as Slack's carry their token in the path), read through the Kubernetes API when an event
// is sent, so a rotated Secret applies to the next delivery. Error texts name the origin at
// most, never the full URL.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { destinationProblem, type DestinationClass } from './destination.ts';
import { CLOUDEVENTS_CONTENT_TYPE, slackText, type CloudEvent } from './events.ts';
import type { WebhookFormat } from './routing.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Decoded Secret data, or undefined when the Secret does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export async function webhookUrl(readSecret: SecretReader, namespace: string, secretName: string, key: string): Promise<URL> {
  let data: Record<string, string> | undefined;
  try {
    data = await readSecret(namespace, secretName);
  } catch (err) {
    // RBAC: Secrets are readable only in namespaces the platform team opted in (chart).
    if (statusOf(err) === 403) {
      throw new Error(`the operator may not read Secret ${namespace}/${secretName} (webhook secretRef): add ${namespace} to the chart value notifications.secretNamespaces`, { cause: err });
    }
    throw err;
  }
  if (!data) throw new Error(`Secret ${namespace}/${secretName} (webhook secretRef) not found`);
  const text = data[key]?.trim();
  // The Secret's other keys are not named: they are the owner's business, not the event's.
  if (!text) throw new Error(`Secret ${namespace}/${secretName} has no key "${key}" holding the webhook URL; add it, or set secretRef.key to the key that holds the URL`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Secret ${namespace}/${secretName} key "${key}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`Secret ${namespace}/${secretName} key "${key}": the webhook URL must be http or https, not ${url.protocol}`);
  return url;
}

export function webhookBody(ce: CloudEvent, format: WebhookFormat): { contentType: string; body: string } {
  return format === 'slack'
    ? { contentType: 'application/json', body: JSON.stringify({ text: slackText(ce) }) }
    : { contentType: CLOUDEVENTS_CONTENT_TYPE, body: JSON.stringify(ce) };
}

export interface WebhookOptions {
  timeoutMs?: number;
  /** Destination classes allowed besides public addresses (chart: notifications.webhook.allowDestinations). */
  allowDestinations?: ReadonlySet<DestinationClass>;
}

/**
 * POSTs one event; resolves on a 2xx answer, throws a message naming the status otherwise.
 * The receiver's answer body is never read into the message: it may echo the URL's token or
 * anything else the receiver chooses, and the message lands in status and Events.
 */
export function postWebhook(url: URL, ce: CloudEvent, format: WebhookFormat, o: WebhookOptions = {}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const allowed = o.allowDestinations ?? new Set<DestinationClass>();
  const { contentType, body } = webhookBody(ce, format);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let refused: string | undefined;
  // Every address the connection may use is checked when it is resolved, at connect time.
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const problem = destinationProblem(host, a.address, allowed);
        if (problem) {
          refused = problem;
          return callback(Object.assign(new Error(problem), { code: 'EDESTINATION' }), '', 4);
        }
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
      callback(null, first.address, first.family);
    });
  };
  // A literal IP is never looked up: check it here.
  if (isIP(host)) {
    const problem = destinationProblem(host, host, allowed);
    if (problem) return Promise.reject(new Error(problem));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'user-agent': 'raas-operator' },
        lookup,
        timeout: timeoutMs,
      },
      (res) => {
        // Drained, never kept: see the function comment.
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          // A redirect is a misconfigured URL; following it would re-POST the event elsewhere.
          if (status >= 200 && status <= 299) resolve();
          else reject(new Error(`webhook at ${url.origin} answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        });
        res.on('error', (err) => reject(new Error(`webhook at ${url.origin}: the answer broke off (${err.message})`)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: Error & { code?: string }) => {
      if (refused) return reject(new Error(refused));
      if (err.code === 'ETIMEDOUT') return reject(new Error(`webhook at ${url.origin} did not answer within ${timeoutMs / 1000} s`));
      reject(new Error(`cannot reach the webhook at ${url.origin}: ${err.code ?? err.message}`));
    });
    req.end(body);
  });
}

function statusOf(err: unknown): number | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown; statusCode?: unknown }).code ?? (e as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}
