// Authorization as pure decisions (STYLE: "canSee(user, namespace) from review results").
// The HTTP layer gathers SubjectAccessReview answers; these functions decide what a
// caller may see or do with them, and the cache keys keep one user's answers from ever
// serving another.
import { createHash } from 'node:crypto';

/**
 * What a caller asks to do in a namespace. `list`, `get` and `create` are those verbs on
 * `reconruns`; `work` (assign, comment on and close breaks) is `update` on the virtual
 * subresource `reconruns/breaks`, which no component but this server uses, so a role
 * that lets people work breaks gives them nothing else (ADR 0130).
 */
export type Verb = 'list' | 'get' | 'create' | 'work';

/** The SubjectAccessReview resource attributes a Verb stands for. */
export function resourceAttributes(namespace: string, verb: Verb): { namespace: string; verb: string; group: string; resource: string; subresource?: string } {
  if (verb === 'work') return { namespace, verb: 'update', group: 'raas.dev', resource: 'reconruns', subresource: 'breaks' };
  return { namespace, verb, group: 'raas.dev', resource: 'reconruns' };
}

/** What TokenReview said about a bearer token. */
export interface User {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** One SubjectAccessReview answer, for `verb reconruns` in `namespace`. */
export interface Review {
  namespace: string;
  verb: Verb;
  allowed: boolean;
}

function allowed(reviews: readonly Review[], namespace: string, verb: Verb): boolean {
  return reviews.some((r) => r.namespace === namespace && r.verb === verb && r.allowed);
}

/** A namespace is listed (and its runs counted) only with `list reconruns` there. */
export function canSee(reviews: readonly Review[], namespace: string): boolean {
  return allowed(reviews, namespace, 'list');
}

/** Reading one run, its summary, rows or files takes `get reconruns`. */
export function canRead(reviews: readonly Review[], namespace: string): boolean {
  return allowed(reviews, namespace, 'get');
}

/** Starting a rerun or backfill takes `create reconruns`. */
export function canCreate(reviews: readonly Review[], namespace: string): boolean {
  return allowed(reviews, namespace, 'create');
}

/** Assigning, commenting on and closing breaks takes `update reconruns/breaks`. */
export function canWork(reviews: readonly Review[], namespace: string): boolean {
  return allowed(reviews, namespace, 'work');
}

/** The namespaces of `candidates` the caller may list, sorted, without duplicates. */
export function visibleNamespaces(reviews: readonly Review[], candidates: Iterable<string>): string[] {
  return [...new Set(candidates)].filter((ns) => canSee(reviews, ns)).sort();
}

/**
 * The HTTP answer for a namespaced request the caller may not make: always 403 with the
 * same text whether or not the namespace (or the object) exists, so nothing is hinted.
 */
export function forbiddenDetail(verb: Verb): string {
  if (verb === 'work') return 'you may not work breaks in this namespace (it takes update on reconruns/breaks)';
  return `you may not ${verb} reconruns in this namespace`;
}

/** The cache identity of a credential: a hash of the token itself, never the user name. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Cache key of one review: the credential's key first, so entries never cross users. */
export function reviewKey(token: string, namespace: string, verb: Verb): string {
  return `${tokenKey(token)}\u0000${namespace}\u0000${verb}`;
}

/** A time-bounded map; `now` is injected so expiry is a table test, not a sleep. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now: number): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, now: number): void {
    // Bounded: the oldest insertion goes first (Map keeps insertion order).
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
