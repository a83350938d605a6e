// Working breaks, the pure part: what a person may send (assign, comment, close, reopen),
// how the append-only events fold into a break's current state, and when a closure still
// holds (the break's data unchanged since it was closed). No I/O: break-store.ts keeps the
// events in PostgreSQL, routes.ts gathers the caller and the break's row.
import { ParamError } from './listing.ts';

export const CLOSE_REASONS = ['written-off', 'adjusted upstream', 'explained'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];
export const BREAK_ACTIONS = ['assign', 'comment', 'close', 'reopen'] as const;
export type BreakActionName = (typeof BREAK_ACTIONS)[number];

/** Longest comment, in characters: a paragraph or two, not a document store. */
export const MAX_COMMENT = 2000;
/** Longest assignee: a Kubernetes user name or an e-mail address. */
export const MAX_ASSIGNEE = 253;

export type BreakAction =
  | { action: 'assign'; assignee: string | null; comment?: string }
  | { action: 'comment'; comment: string }
  | { action: 'close'; reason: CloseReason; comment?: string }
  | { action: 'reopen'; comment?: string };

/** Fields a client might send to speak for someone else; the server refuses them by name. */
const FORGED = ['actor', 'user', 'username', 'by', 'at', 'when', 'time', 'timestamp', 'author', 'closedBy', 'uid', 'groups'];

const BREAK_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A break id from a path: letters, digits and . _ : - (the runner's ids are hex). */
export function breakId(value: string): string {
  if (!BREAK_ID.test(value)) throw new ParamError('breakId', 'breakId must be a break id from the break list (letters, digits, ".", "_", ":" and "-", at most 128 characters)');
  return value;
}

// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

function text(body: Record<string, unknown>, name: string, max: number, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw new ParamError(name, `${name} must be a string${required ? '' : ' (or left out)'}`);
  const t = v.replace(/\r\n?/g, '\n').trim();
  if (!t) throw new ParamError(name, `${name} is empty; write something or leave it out`);
  // Characters as a person counts them (code points), not UTF-16 units.
  const n = [...t].length;
  if (n > max) throw new ParamError(name, `${name} is ${n} characters; at most ${max} are kept, shorten it`);
  if (CONTROL.test(t)) throw new ParamError(name, `${name} contains control or text-direction characters; remove them`);
  return t;
}

/** The body of a break action, checked field by field; who and when are never taken from it. */
export function parseBreakAction(body: Record<string, unknown>): BreakAction {
  for (const f of FORGED) {
    if (f in body) throw new ParamError(f, `${f} is not accepted: the server records the signed-in user and the time itself; remove ${f} from the body`);
  }
  const action = body.action;
  if (typeof action !== 'string' || !(BREAK_ACTIONS as readonly string[]).includes(action)) throw new ParamError('action', `action must be one of ${BREAK_ACTIONS.join(', ')}`);
  const allowed: Record<BreakActionName, string[]> = { assign: ['assignee', 'comment'], comment: ['comment'], close: ['reason', 'comment'], reopen: ['comment'] };
  for (const k of Object.keys(body)) {
    if (k !== 'action' && !allowed[action as BreakActionName].includes(k)) throw new ParamError(k, `${k} is not a field of ${action}; it takes ${allowed[action as BreakActionName].join(', ')}`);
  }
  const comment = () => text(body, 'comment', MAX_COMMENT, false);
  switch (action as BreakActionName) {
    case 'assign': {
      // null (not "") unassigns, so an empty field in a form is not mistaken for it.
      const assignee = body.assignee === null ? null : text(body, 'assignee', MAX_ASSIGNEE, true)!;
      if (assignee !== null && /\n/.test(assignee)) throw new ParamError('assignee', 'assignee must be one line');
      const c = comment();
      return { action: 'assign', assignee, ...(c ? { comment: c } : {}) };
    }
    case 'comment':
      return { action: 'comment', comment: text(body, 'comment', MAX_COMMENT, true)! };
    case 'close': {
      const reason = body.reason;
      if (typeof reason !== 'string' || !(CLOSE_REASONS as readonly string[]).includes(reason)) throw new ParamError('reason', `reason must be one of ${CLOSE_REASONS.map((r) => `"${r}"`).join(', ')}`);
      const c = comment();
      return { action: 'close', reason: reason as CloseReason, ...(c ? { comment: c } : {}) };
    }
    case 'reopen': {
      const c = comment();
      return { action: 'reopen', ...(c ? { comment: c } : {}) };
    }
  }
}

/** One audit entry as stored: who and when come from the server, never the request. */
export interface BreakEvent {
  id: string;
  namespace: string;
  job: string;
  breakId: string;
  /** The run the person was looking at when they acted. */
  run: string;
  at: string;
  actor: string;
  action: BreakActionName;
  assignee?: string | null;
  reason?: CloseReason;
  comment?: string;
  /** The break's data when it was closed (breakFingerprint), so a change reopens it. */
  fingerprint?: string;
}

/** What the events of one break add up to. */
export interface BreakWork {
  breakId: string;
  owner?: string;
  closed?: { reason: CloseReason; by: string; at: string; run: string; fingerprint: string };
  comments: number;
  lastComment?: { by: string; at: string; text: string };
  updatedAt?: string;
}

/** Folds a break's events, oldest first, into its current state. */
export function foldEvents(id: string, events: readonly BreakEvent[]): BreakWork {
  const w: BreakWork = { breakId: id, comments: 0 };
  for (const e of events) {
    w.updatedAt = e.at;
    if (e.comment) {
      w.comments++;
      w.lastComment = { by: e.actor, at: e.at, text: e.comment };
    }
    if (e.action === 'assign') {
      if (e.assignee) w.owner = e.assignee;
      else delete w.owner;
    } else if (e.action === 'close' && e.reason && e.fingerprint !== undefined) {
      w.closed = { reason: e.reason, by: e.actor, at: e.at, run: e.run, fingerprint: e.fingerprint };
    } else if (e.action === 'reopen') {
      delete w.closed;
    }
  }
  return w;
}

/**
 * Why an action cannot apply to a break in its current state, or undefined when it can.
 * `current` is the break's fingerprint in the run the person is looking at.
 */
export function actionConflict(a: BreakAction, w: BreakWork | undefined, current: string): string | undefined {
  const closedNow = w?.closed && w.closed.fingerprint === current;
  if (a.action === 'close' && closedNow) return `the break is already closed (${w.closed!.reason}, by ${w.closed!.by} at ${w.closed!.at}); reopen it first to close it again`;
  if (a.action === 'reopen' && !w?.closed) return 'the break is not closed; there is nothing to reopen';
  return undefined;
}

/**
 * The state a person sees for a break in a run: `closed` while a closure holds (same data
 * as when it was closed), else the run's own state. A closure whose data changed since
 * no longer holds: the break is open again and says so.
 */
export function effectiveState(runState: string, w: BreakWork | undefined, fingerprint: string): { state: string; changedSinceClosed: boolean } {
  if (w?.closed) {
    if (w.closed.fingerprint === fingerprint) return { state: 'closed', changedSinceClosed: false };
    return { state: runState, changedSinceClosed: true };
  }
  return { state: runState, changedSinceClosed: false };
}
