import { describe, expect, it } from 'vitest';
import { actionConflict, breakId, effectiveState, foldEvents, MAX_COMMENT, parseBreakAction, type BreakEvent } from './breaks.ts';
import { ParamError } from './listing.ts';

function refusal(body: Record<string, unknown>): string {
  try {
    parseBreakAction(body);
  } catch (err) {
    if (err instanceof ParamError) return `${err.param}: ${err.message}`;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('break actions a person may send', () => {
  it.each([
    [{ action: 'assign', assignee: 'alice' }, { action: 'assign', assignee: 'alice' }],
    [{ action: 'assign', assignee: null }, { action: 'assign', assignee: null }],
    [{ action: 'comment', comment: '  PSP confirms\r\nsettles Monday ' }, { action: 'comment', comment: 'PSP confirms\nsettles Monday' }],
    [{ action: 'close', reason: 'written-off' }, { action: 'close', reason: 'written-off' }],
    [{ action: 'close', reason: 'adjusted upstream', comment: 'JE 4411' }, { action: 'close', reason: 'adjusted upstream', comment: 'JE 4411' }],
    [{ action: 'reopen' }, { action: 'reopen' }],
  ])('%j', (body, parsed) => expect(parseBreakAction(body)).toEqual(parsed));

  it.each([
    [{ action: 'delete' }, /^action: action must be one of assign, comment, close, reopen/],
    [{}, /^action:/],
    [{ action: 'close' }, /^reason: reason must be one of "written-off", "adjusted upstream", "explained"/],
    [{ action: 'close', reason: 'Written-Off' }, /^reason:/],
    [{ action: 'comment', comment: '' }, /^comment: comment is empty/],
    [{ action: 'comment', comment: 42 }, /^comment: comment must be a string/],
    [{ action: 'comment', comment: 'x'.repeat(MAX_COMMENT + 1) }, /^comment: comment is 2001 characters; at most 2000/],
    [{ action: 'comment', comment: 'bell\u0007' }, /^comment: comment contains control/],
    [{ action: 'comment', comment: 'evil \u202e txt' }, /^comment: .*text-direction/],
    [{ action: 'assign', assignee: 'a\nb' }, /^assignee: assignee must be one line/],
    [{ action: 'assign', assignee: 'x'.repeat(254) }, /^assignee: assignee is 254 characters/],
    [{ action: 'comment', comment: 'hi', actor: 'ceo' }, /^actor: actor is not accepted: the server records the signed-in user/],
    [{ action: 'close', reason: 'explained', by: 'ceo' }, /^by: /],
    [{ action: 'comment', comment: 'hi', at: '2020-01-01T00:00:00Z' }, /^at: /],
    [{ action: 'comment', comment: 'hi', user: { username: 'ceo' } }, /^user: /],
    [{ action: 'comment', comment: 'hi', reason: 'explained' }, /^reason: reason is not a field of comment/],
  ])('refuses %j', (body, message) => expect(refusal(body)).toMatch(message));

  it('counts characters as people do: 2000 emoji are accepted', () => {
    expect(parseBreakAction({ action: 'comment', comment: '💶'.repeat(MAX_COMMENT) })).toMatchObject({ action: 'comment' });
  });

  it.each(['abc123', 'k-0f3a', 'a.b_c:d-e'])('break id %s is accepted', (id) => expect(breakId(id)).toBe(id));
  it.each(['', '../x', 'a b', 'x'.repeat(129), '-lead', 'ä'])('break id %j is refused', (id) => expect(() => breakId(id)).toThrow(ParamError));
});

const ev = (n: number, e: Partial<BreakEvent>): BreakEvent => ({ id: String(n), namespace: 'finance', job: 'orders', breakId: 'b1', run: 'r1', at: `2024-01-0${n}T00:00:00.000Z`, actor: 'alice', action: 'comment', ...e });

describe('folding the audit trail into a break\'s state', () => {
  it('assign, comment, close, reopen, unassign', () => {
    const events = [
      ev(1, { action: 'assign', assignee: 'bob' }),
      ev(2, { action: 'comment', comment: 'looking', actor: 'bob' }),
      ev(3, { action: 'close', reason: 'explained', fingerprint: 'fp1', actor: 'bob', comment: 'timing' }),
    ];
    expect(foldEvents('b1', events)).toEqual({
      breakId: 'b1', owner: 'bob', comments: 2, updatedAt: '2024-01-03T00:00:00.000Z',
      lastComment: { by: 'bob', at: '2024-01-03T00:00:00.000Z', text: 'timing' },
      closed: { reason: 'explained', by: 'bob', at: '2024-01-03T00:00:00.000Z', run: 'r1', fingerprint: 'fp1' },
    });
    const reopened = foldEvents('b1', [...events, ev(4, { action: 'reopen' }), ev(5, { action: 'assign', assignee: null })]);
    expect(reopened.closed).toBeUndefined();
    expect(reopened.owner).toBeUndefined();
    expect(reopened.comments).toBe(2);
  });

  it('a closure holds while the data is unchanged and lapses when it changes', () => {
    const w = foldEvents('b1', [ev(1, { action: 'close', reason: 'written-off', fingerprint: 'fp1' })]);
    expect(effectiveState('persisting', w, 'fp1')).toEqual({ state: 'closed', changedSinceClosed: false });
    expect(effectiveState('persisting', w, 'fp2')).toEqual({ state: 'persisting', changedSinceClosed: true });
    expect(effectiveState('new', undefined, 'fp1')).toEqual({ state: 'new', changedSinceClosed: false });
  });

  it('refuses closing a closed break and reopening an open one; a changed break may be closed again', () => {
    const w = foldEvents('b1', [ev(1, { action: 'close', reason: 'written-off', fingerprint: 'fp1' })]);
    expect(actionConflict({ action: 'close', reason: 'explained' }, w, 'fp1')).toMatch(/^the break is already closed \(written-off, by alice/);
    expect(actionConflict({ action: 'close', reason: 'explained' }, w, 'fp2')).toBeUndefined();
    expect(actionConflict({ action: 'reopen' }, undefined, 'fp1')).toBe('the break is not closed; there is nothing to reopen');
    expect(actionConflict({ action: 'reopen' }, w, 'fp1')).toBeUndefined();
    expect(actionConflict({ action: 'comment', comment: 'x' }, w, 'fp1')).toBeUndefined();
  });
});
