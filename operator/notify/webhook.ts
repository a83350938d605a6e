// The webhook sink: the URL lives in a Secret in the ReconJob's namespace (webhook URLs such
// as Slack's carry their token in the path), read through the Kubernetes API when an event
// is sent, so a rotated Secret applies to the next delivery. Error texts name the origin at
// most, never the full URL.
import { CLOUDEVENTS_CONTENT_TYPE, slackText, type CloudEvent } from './events.ts';
import type { WebhookFormat } from './routing.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Decoded Secret data, or undefined when the Secret does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export async function webhookUrl(readSecret: SecretReader, namespace: string, secretName: string, key: string): Promise<URL> {
  const data = await readSecret(namespace, secretName);
  if (!data) throw new Error(`Secret ${namespace}/${secretName} (webhook secretRef) not found`);
  const text = data[key]?.trim();
  if (!text) throw new Error(`Secret ${namespace}/${secretName} has no key "${key}" holding the webhook URL (keys: ${Object.keys(data).join(', ') || 'none'})`);
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

/** POSTs one event; resolves on a 2xx answer, throws a message naming the status otherwise. */
export async function postWebhook(url: URL, ce: CloudEvent, format: WebhookFormat, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<void> {
  const { contentType, body } = webhookBody(ce, format);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'user-agent': 'raas-operator' },
      body,
      // A redirect is a misconfigured URL; following it would re-POST the event elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new Error(`webhook at ${url.origin} did not answer within ${timeoutMs / 1000} s`, { cause: err });
    throw new Error(`cannot reach the webhook at ${url.origin}: ${e.cause?.code ?? e.cause?.message ?? (err as Error).message}`, { cause: err });
  }
  // Read (and bound) the body either way so the connection can be reused.
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) {
    const detail = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    throw new Error(`webhook at ${url.origin} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}
