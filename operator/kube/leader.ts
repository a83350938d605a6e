// Leader election with a coordination.k8s.io Lease, so two replicas never act twice. The
// API server's optimistic concurrency (resourceVersion, 409 on a stale update) is the
// lock; the decision what to write is a pure function.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';

export interface LeaseRecord {
  holder?: string;
  renewTime?: Date;
  durationSeconds: number;
  transitions: number;
}

export type LeaseAction = { kind: 'create' } | { kind: 'renew' } | { kind: 'takeover' } | { kind: 'wait'; holder: string };

/** What a candidate should do about the lease it observes. */
export function leaseAction(lease: LeaseRecord | undefined, me: string, now: Date): LeaseAction {
  if (!lease) return { kind: 'create' };
  if (lease.holder === me) return { kind: 'renew' };
  if (!lease.holder || !lease.renewTime) return { kind: 'takeover' };
  const expires = lease.renewTime.getTime() + lease.durationSeconds * 1000;
  return now.getTime() > expires ? { kind: 'takeover' } : { kind: 'wait', holder: lease.holder };
}

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastRenew = 0;
  private inflight: Promise<void> | undefined;

  constructor(private readonly o: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.inflight = this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A renewal under way must finish before the hand-over: otherwise it lands after the
    // lease was released and this stopped replica "leads" again (found on the real API
    // server under load, where a renewal takes longer than the test's retry period).
    await this.inflight?.catch(() => undefined);
    if (this.leading) {
      this.setLeading(false);
      // Hand over at once instead of making the other replica wait for expiry.
      try {
        const lease = await this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
        if (lease.spec?.holderIdentity === this.o.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.renewTime = undefined;
          await this.o.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
        }
      } catch {
        // The lease expires by itself.
      }
    }
  }

  private setLeading(v: boolean): void {
    if (v && this.stopped) return;
    if (v === this.leading) return;
    this.leading = v;
    this.o.log?.(v ? 'became leader' : 'stopped leading', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    if (v) this.o.onStartedLeading();
    else this.o.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.log?.('lease update failed', { error: (err as Error).message });
    }
    // A leader that could not renew within the lease duration must stop acting: another
    // replica may already have taken over.
    const duration = (this.o.leaseDurationSeconds ?? 15) * 1000;
    if (this.leading && Date.now() - this.lastRenew > duration) this.setLeading(false);
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.inflight = this.tick();
      }, this.o.retryPeriodMs ?? 2000);
      this.timer.unref();
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { api, namespace, name, identity } = this.o;
    const durationSeconds = this.o.leaseDurationSeconds ?? 15;
    let lease: V1Lease | undefined;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    // acquireTime/renewTime are MicroTime: the real API server refuses anything but six
    // fractional digits (a plain Date serialises with three and every write is a 400).
    const now = new V1MicroTime();
    const record: LeaseRecord | undefined = lease
      ? {
          ...(lease.spec?.holderIdentity ? { holder: lease.spec.holderIdentity } : {}),
          ...(lease.spec?.renewTime ? { renewTime: new Date(lease.spec.renewTime) } : {}),
          durationSeconds: lease.spec?.leaseDurationSeconds ?? durationSeconds,
          transitions: lease.spec?.leaseTransitions ?? 0,
        }
      : undefined;
    const action = leaseAction(record, identity, now);
    try {
      if (action.kind === 'create') {
        await api.createNamespacedLease({
          namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } },
        });
      } else if (action.kind === 'renew' || action.kind === 'takeover') {
        const spec = { ...lease!.spec, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: now };
        if (action.kind === 'takeover') Object.assign(spec, { acquireTime: now, leaseTransitions: (record?.transitions ?? 0) + 1 });
        await api.replaceNamespacedLease({ name, namespace, body: { ...lease!, spec } });
      } else {
        this.setLeading(false);
        return;
      }
    } catch (err) {
      // 409: someone else wrote the lease first; they lead.
      if (statusCode(err) === 409) {
        this.setLeading(false);
        return;
      }
      throw err;
    }
    this.lastRenew = Date.now();
    this.setLeading(true);
  }
}
