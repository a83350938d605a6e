import { describe, expect, it } from 'vitest';
import { canCreate, canRead, canSee, canWork, resourceAttributes, reviewKey, tokenKey, TtlCache, visibleNamespaces, type Review } from './authz.ts';

const r = (namespace: string, verb: Review['verb'], allowed = true): Review => ({ namespace, verb, allowed });

describe('authorization decisions', () => {
  it.each([
    { reviews: [r('finance', 'list')], ns: 'finance', see: true, read: false, create: false },
    { reviews: [r('finance', 'list'), r('finance', 'get')], ns: 'finance', see: true, read: true, create: false },
    { reviews: [r('finance', 'create')], ns: 'finance', see: false, read: false, create: true },
    { reviews: [r('finance', 'list', false), r('finance', 'get', false)], ns: 'finance', see: false, read: false, create: false },
    { reviews: [r('finance', 'list'), r('finance', 'get'), r('finance', 'create')], ns: 'ops', see: false, read: false, create: false },
    { reviews: [], ns: 'finance', see: false, read: false, create: false },
  ])('$reviews.length review(s) in $ns: see=$see read=$read create=$create', ({ reviews, ns, see, read, create }) => {
    expect(canSee(reviews, ns)).toBe(see);
    expect(canRead(reviews, ns)).toBe(read);
    expect(canCreate(reviews, ns)).toBe(create);
  });

  it('working breaks is its own right: update on the virtual subresource reconruns/breaks, never implied by create or get', () => {
    expect(canWork([r('finance', 'work')], 'finance')).toBe(true);
    expect(canWork([r('finance', 'create'), r('finance', 'get'), r('finance', 'list')], 'finance')).toBe(false);
    expect(canWork([r('finance', 'work')], 'ops')).toBe(false);
    expect(canWork([r('finance', 'work', false)], 'finance')).toBe(false);
    expect(resourceAttributes('finance', 'work')).toEqual({ namespace: 'finance', verb: 'update', group: 'raas.dev', resource: 'reconruns', subresource: 'breaks' });
    expect(resourceAttributes('finance', 'get')).toEqual({ namespace: 'finance', verb: 'get', group: 'raas.dev', resource: 'reconruns' });
  });

  it('lists only the namespaces with list allowed, sorted and once each', () => {
    const reviews = [r('ops', 'list'), r('finance', 'list'), r('hr', 'list', false), r('hr', 'get')];
    expect(visibleNamespaces(reviews, ['hr', 'ops', 'finance', 'ops', 'unknown'])).toEqual(['finance', 'ops']);
  });

  it('keys reviews by the credential, so two users never share an answer', () => {
    expect(reviewKey('token-a', 'finance', 'list')).not.toBe(reviewKey('token-b', 'finance', 'list'));
    expect(reviewKey('token-a', 'finance', 'list')).not.toBe(reviewKey('token-a', 'finance', 'get'));
    expect(reviewKey('token-a', 'a', 'list')).not.toBe(reviewKey('token-a', 'b', 'list'));
    expect(tokenKey('token-a')).not.toContain('token-a');
  });

  it('expires entries after the TTL and keeps the map bounded', () => {
    const c = new TtlCache<boolean>(5_000, 2);
    c.set('a', true, 1_000);
    expect(c.get('a', 5_999)).toBe(true);
    expect(c.get('a', 6_000)).toBeUndefined();
    c.set('a', true, 0);
    c.set('b', true, 0);
    c.set('c', false, 0);
    expect(c.size).toBe(2);
    expect(c.get('a', 1)).toBeUndefined();
    expect(c.get('c', 1)).toBe(false);
  });
});
