// What a run's status means to the outside world: the notification events it implies and
// their CloudEvents 1.0 form (structured JSON). Pure, so the same status always gives the
// same events with the same ids: receivers drop duplicates by id, which is what makes
// at-least-once delivery safe.
import type { z } from 'zod';
import { NOTIFY_EVENTS, type notifySchema } from '../../runner/spec/schema.ts';
import type { NotificationRecord, RunCounts, RunResults, Trigger } from '../api/reconrun.ts';

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export type NotifySpec = z.infer<typeof notifySchema>;
export { NOTIFY_EVENTS };
export type { NotificationRecord };

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** The parts of a ReconRun status events are made from (timestamps as the informer hands them). */
export interface RunStatusView extends RunOutcome {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  startTime?: string | Date;
  completionTime?: string | Date;
  notifications?: NotificationRecord[];
}

/** What a run found or why it failed: carried from the status into every event's data. */
export interface RunOutcome {
  balanced?: boolean;
  counts?: RunCounts;
  mismatchedByColumn?: Record<string, number>;
  diffTotals?: Record<string, string>;
  summaries?: Record<string, string>;
  results?: RunResults;
  message?: string;
  failedStage?: string;
}

export interface RunRef {
  name: string;
  namespace: string;
  uid: string;
  /** The ReconJob's name. */
  job: string;
  trigger: Trigger;
  window: { start: string; end: string };
}

/**
 * The events a status implies: Started while the run is Running; Succeeded or Failed once it
 * finished; Balanced or Unbalanced once it Succeeded. Started is not implied by a finished
 * run: a run the operator only saw finished is reported by its outcome alone.
 */
export function runEvents(status: RunStatusView | undefined): NotifyEvent[] {
  switch (status?.phase) {
    case 'Running':
      return ['Started'];
    case 'Failed':
      return ['Failed'];
    case 'Succeeded':
      // balanced is always set on a Succeeded status; without it only Succeeded is certain.
      return status.balanced === undefined ? ['Succeeded'] : ['Succeeded', status.balanced ? 'Balanced' : 'Unbalanced'];
    default:
      return [];
  }
}

/** Stable per run and event: the same on every attempt, every sink and every operator replica. */
export function eventId(runUid: string, event: NotifyEvent): string {
  return `${runUid}.${event}`;
}

export function eventType(event: NotifyEvent): string {
  return `dev.raas.run.${event.toLowerCase()}`;
}

export function eventSource(namespace: string, job: string): string {
  return `/apis/raas.dev/v1alpha1/namespaces/${namespace}/reconjobs/${job}`;
}

export interface RunEventData extends RunOutcome {
  job: string;
  namespace: string;
  run: string;
  trigger: Trigger;
  window: { start: string; end: string };
  phase?: string;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: RunEventData;
}

function iso(t: string | Date | undefined): string | undefined {
  if (t === undefined) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * The CloudEvent for one event of a run. `time` is when the event happened (start or
 * completion), not when it is sent, so a retried event is the same event.
 */
export function cloudEvent(run: RunRef, status: RunStatusView, event: NotifyEvent, now: Date): CloudEvent {
  const happened = event === 'Started' ? iso(status.startTime) : (iso(status.completionTime) ?? iso(status.startTime));
  const data: RunEventData = {
    job: run.job,
    namespace: run.namespace,
    run: run.name,
    trigger: run.trigger,
    window: { start: run.window.start, end: run.window.end },
    ...(status.phase ? { phase: status.phase } : {}),
    ...(status.balanced !== undefined ? { balanced: status.balanced } : {}),
    ...(status.counts ? { counts: status.counts } : {}),
    ...(status.mismatchedByColumn ? { mismatchedByColumn: status.mismatchedByColumn } : {}),
    ...(status.diffTotals ? { diffTotals: status.diffTotals } : {}),
    ...(status.summaries ? { summaries: status.summaries } : {}),
    ...(status.results ? { results: status.results } : {}),
    ...(status.message ? { message: status.message } : {}),
    ...(status.failedStage ? { failedStage: status.failedStage } : {}),
  };
  return {
    specversion: '1.0',
    id: eventId(run.uid, event),
    source: eventSource(run.namespace, run.job),
    type: eventType(event),
    subject: `${run.namespace}/${run.name}`,
    time: happened ?? now.toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

/** One line a person reads in a chat channel (webhook format slack). */
export function slackText(ce: CloudEvent): string {
  const d = ce.data;
  const what = ce.type.slice('dev.raas.run.'.length);
  const head = `raas: ${d.namespace}/${d.job} run ${d.run} ${what} (window ${d.window.start} to ${d.window.end}, ${d.trigger})`;
  const parts: string[] = [];
  if (d.counts) {
    const c = d.counts;
    parts.push(`matched ${c.matched}, mismatched ${c.mismatched}, left-only ${c.leftOnly}, right-only ${c.rightOnly}`);
    const dups = c.duplicateKeysLeft + c.duplicateKeysRight;
    const nulls = c.nullKeysLeft + c.nullKeysRight;
    if (dups) parts.push(`duplicate keys ${dups}`);
    if (nulls) parts.push(`null keys ${nulls}`);
  }
  const totals = Object.entries(d.diffTotals ?? {}).filter(([, v]) => !/^-?0(\.0*)?$/.test(v));
  if (totals.length) parts.push(`diff totals ${totals.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (d.phase === 'Failed') parts.push(`failed${d.failedStage ? ` in stage ${d.failedStage}` : ''}: ${d.message ?? 'no message'}`);
  if (d.results?.uri && d.phase !== 'Failed') parts.push(`results ${d.results.uri}`);
  return parts.length ? `${head}: ${parts.join('; ')}` : head;
}
