// One line for a failed API call in logs: the status code and the start of the body.
import { statusCode } from '../kube/client.ts';

export function errText(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown }).body;
  const msg = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${typeof body === 'string' ? body.slice(0, 300) : msg.slice(0, 300)}` : msg;
}
