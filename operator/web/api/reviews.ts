// The one I/O edge of authorization: TokenReview (who is this token?) and
// SubjectAccessReview (may they X reconruns in namespace N?), made with the web
// server's own ServiceAccount and cached briefly, per credential (authz.ts keys).
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { resourceAttributes, reviewKey, tokenKey, TtlCache, type Review, type User, type Verb } from './authz.ts';

export interface Reviewer {
  /** The user behind a bearer token, or undefined when the API server does not accept it. */
  authenticate(token: string): Promise<User | undefined>;
  /** One SubjectAccessReview for `verb` (authz.ts resourceAttributes) in `namespace` (cached per token). */
  review(token: string, user: User, namespace: string, verb: Verb): Promise<Review>;
}

export interface ReviewerOptions {
  /** How long an answer is reused. Default 5 s: a removed RoleBinding bites within seconds. */
  ttlMs?: number;
  /** Audiences the tokens must be for (TokenReview spec.audiences); default the API server's. */
  audiences?: string[];
  now?: () => number;
}

export function kubeReviewer(kc: KubeConfig, o: ReviewerOptions = {}): Reviewer {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const ttl = o.ttlMs ?? 5_000;
  const now = o.now ?? Date.now;
  const users = new TtlCache<User | null>(ttl);
  const reviews = new TtlCache<boolean>(ttl);
  return {
    async authenticate(token) {
      const key = tokenKey(token);
      const hit = users.get(key, now());
      if (hit !== undefined) return hit ?? undefined;
      const res = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(o.audiences ? { audiences: o.audiences } : {}) } } });
      const u = res.status?.authenticated && res.status.user?.username ? res.status.user : undefined;
      const user: User | undefined = u ? { username: u.username!, groups: u.groups ?? [], ...(u.uid ? { uid: u.uid } : {}), ...(u.extra ? { extra: u.extra } : {}) } : undefined;
      users.set(key, user ?? null, now());
      return user;
    },
    async review(token, user, namespace, verb) {
      const key = reviewKey(token, namespace, verb);
      let allowed = reviews.get(key, now());
      if (allowed === undefined) {
        const res = await authz.createSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              groups: user.groups,
              ...(user.uid ? { uid: user.uid } : {}),
              ...(user.extra ? { extra: user.extra } : {}),
              resourceAttributes: resourceAttributes(namespace, verb),
            },
          },
        });
        allowed = res.status?.allowed === true && res.status.denied !== true;
        reviews.set(key, allowed, now());
      }
      return { namespace, verb, allowed };
    },
  };
}
