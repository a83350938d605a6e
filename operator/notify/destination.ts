// Which addresses a webhook may reach. A ReconJob author picks the URL (through a Secret),
// so without a rule a namespace user could make the operator POST to the cloud metadata
// service, the API server, or anything else only the cluster can reach (SSRF). The decision
// is pure; webhook.ts applies it to the address each connection actually uses, so a DNS
// answer that changes between a check and the connect (rebinding) changes nothing.
import { isIP } from 'node:net';

/** Destination classes refused unless the chart allows them (notifications.webhook.allowDestinations). */
export const DESTINATION_CLASSES = ['loopback', 'link-local', 'private', 'cluster'] as const;
export type DestinationClass = (typeof DESTINATION_CLASSES)[number];

function ipv4Parts(ip: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? m.slice(1).map(Number) : undefined;
}

/** The class of an IP address, or undefined for a public one. */
export function addressClass(address: string): DestinationClass | 'unspecified' | undefined {
  let ip = address.toLowerCase();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) ip = mapped[1]!;
  // The same, as WHATWG URL writes it: ::ffff:7f00:1 is 127.0.0.1.
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (mappedHex) {
    const hi = parseInt(mappedHex[1]!, 16);
    const lo = parseInt(mappedHex[2]!, 16);
    ip = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const v4 = ipv4Parts(ip);
  if (v4) {
    const [a, b] = v4 as [number, number, number, number];
    if (a === 0) return 'unspecified';
    if (a === 127) return 'loopback';
    if (a === 169 && b === 254) return 'link-local';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    if (a >= 224) return 'unspecified'; // multicast and reserved: never a webhook
    return undefined;
  }
  if (isIP(ip) !== 6) return undefined;
  if (ip === '::') return 'unspecified';
  if (ip === '::1') return 'loopback';
  if (/^fe[89ab]/.test(ip)) return 'link-local';
  if (/^f[cd]/.test(ip)) return 'private';
  if (/^ff/.test(ip)) return 'unspecified';
  return undefined;
}

/** Host names that only mean something inside a cluster. */
export function isClusterHostname(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.svc') || h.endsWith('.cluster.local') || h.includes('.svc.') || h === 'kubernetes' || h.startsWith('kubernetes.default') || !h.includes('.');
}

/**
 * Why a connection to `address` (resolved from `host`) is refused, or undefined when it is
 * allowed. The message names the class and the chart value that allows it; never the URL.
 */
export function destinationProblem(host: string, address: string, allowed: ReadonlySet<DestinationClass>): string | undefined {
  const cls = addressClass(address);
  if (cls === 'unspecified') return `the webhook host resolves to ${address}, which is not a destination`;
  if (cls && !allowed.has(cls)) return `the webhook host resolves to a ${cls} address (${address}); the operator refuses ${cls} destinations unless the chart allows them (notifications.webhook.allowDestinations: [${cls}])`;
  if (!isIP(host.replace(/^\[|\]$/g, '')) && isClusterHostname(host) && !allowed.has('cluster') && cls !== 'loopback') {
    return `the webhook host "${host}" is a cluster-internal name; the operator refuses cluster destinations unless the chart allows them (notifications.webhook.allowDestinations: [cluster])`;
  }
  return undefined;
}

export class DestinationConfigError extends Error {}

/** RAAS_WEBHOOK_ALLOW_DESTINATIONS (comma list of classes) -> the allowed set. */
export function allowedDestinationsFromEnv(value: string | undefined): Set<DestinationClass> {
  const out = new Set<DestinationClass>();
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(DESTINATION_CLASSES as readonly string[]).includes(item)) {
      throw new DestinationConfigError(`RAAS_WEBHOOK_ALLOW_DESTINATIONS: "${item}" is not one of ${DESTINATION_CLASSES.join(', ')}`);
    }
    out.add(item as DestinationClass);
  }
  return out;
}
