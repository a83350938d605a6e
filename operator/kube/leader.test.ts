import { describe, expect, it } from 'vitest';
import { leaseAction } from './leader.ts';

const now = new Date('2024-01-01T00:00:30Z');
describe('leaseAction', () => {
  it.each([
    ['no lease', undefined, { kind: 'create' }],
    ['mine', { holder: 'a', renewTime: new Date('2024-01-01T00:00:29Z'), durationSeconds: 15, transitions: 0 }, { kind: 'renew' }],
    ['held and fresh', { holder: 'b', renewTime: new Date('2024-01-01T00:00:20Z'), durationSeconds: 15, transitions: 0 }, { kind: 'wait', holder: 'b' }],
    ['held but expired', { holder: 'b', renewTime: new Date('2024-01-01T00:00:10Z'), durationSeconds: 15, transitions: 0 }, { kind: 'takeover' }],
    ['released', { durationSeconds: 15, transitions: 3 }, { kind: 'takeover' }],
  ])('%s', (_n, lease, expected) => {
    expect(leaseAction(lease, 'a', now)).toEqual(expected);
  });
});
