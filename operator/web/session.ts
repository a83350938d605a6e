// Browser sessions: a token pasted once on the sign-in page becomes a random session id
// in an HttpOnly, Secure, SameSite=Strict cookie; the token itself never reaches page
// script. Each session has a CSRF token the page sends back on every POST.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'raas_session';
export const SIGNIN_COOKIE = 'raas_signin';

export interface Session {
  token: string;
  csrf: string;
  expires: number;
}

export const randomId = () => randomBytes(32).toString('base64url');

export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (/^[A-Za-z0-9_-]{1,64}$/.test(name) && /^[A-Za-z0-9_-]{0,256}$/.test(value)) out[name] = value;
  }
  return out;
}

export function cookie(name: string, value: string, maxAgeSeconds: number, path = '/'): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export class Sessions {
  private readonly map = new Map<string, Session>();
  constructor(
    private readonly ttlMs = 8 * 3600_000,
    private readonly max = 10_000,
  ) {}

  create(token: string, now = Date.now()): { id: string; session: Session } {
    for (const [id, s] of this.map) if (s.expires <= now) this.map.delete(id);
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    const id = randomId();
    const session = { token, csrf: randomId(), expires: now + this.ttlMs };
    this.map.set(id, session);
    return { id, session };
  }

  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.map.get(id);
    if (!s) return undefined;
    if (s.expires <= now) {
      this.map.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.map.delete(id);
  }

  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }
}
