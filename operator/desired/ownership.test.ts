import { describe, expect, it } from 'vitest';
import { controlledBy, controllerUid, judgeRunJob, ownedPods } from './ownership.ts';

const ref = (uid: string, controller?: boolean) => ({ apiVersion: 'v1', kind: 'X', name: 'x', uid, ...(controller !== undefined ? { controller } : {}) });
const obj = (uid: string, refs: ReturnType<typeof ref>[] = [], deleting = false) => ({ metadata: { uid, name: uid, ownerReferences: refs, ...(deleting ? { deletionTimestamp: new Date('2024-01-01T00:00:00Z') } : {}) } });
const run = obj('run-uid');

describe('controlledBy', () => {
  it.each([
    ['controller reference with the owner uid', obj('j', [ref('run-uid', true)]), true],
    ['owner uid but not the controller', obj('j', [ref('run-uid', false)]), false],
    ['owner uid without controller set', obj('j', [ref('run-uid')]), false],
    ['another controller, the owner only as a plain reference', obj('j', [ref('other', true), ref('run-uid')]), false],
    ['no owner references (a Job named and labelled like the run)', obj('j'), false],
  ])('%s', (_n, o, want) => {
    expect(controlledBy(o, run)).toBe(want);
  });
  it('an owner without a uid controls nothing', () => {
    expect(controlledBy(obj('j', [ref('', true)]), { metadata: {} })).toBe(false);
    expect(controllerUid(obj('j', [ref('a', true)]))).toBe('a');
  });
});

describe('judgeRunJob', () => {
  it.each([
    ['no Job yet', undefined, run, 'none'],
    ['the run\'s own Job', obj('j', [ref('run-uid', true)]), run, 'owned'],
    ['a Job of an earlier run of the same name, being deleted', obj('j', [ref('old-run', true)], true), run, 'wait'],
    ['a Job whose expected owner is not known yet (CronJob not cached)', obj('j', [ref('cron', true)]), undefined, 'wait'],
    ['a Job someone else made with the run\'s name and labels', obj('j'), run, 'foreign'],
    ['a Job that names the run as a non-controlling owner', obj('j', [ref('run-uid', false)]), run, 'foreign'],
    ['a Job controlled by an earlier run of the same name (not being deleted)', obj('j', [ref('old-run', true)]), run, 'foreign'],
  ])('%s: %s', (_n, job, owner, kind) => {
    expect(judgeRunJob(job, owner, 'ReconRun r', 'r-job', 'team-a').kind).toBe(kind);
  });
  it('a foreign Job fails the run with one line naming the Job, the namespace and the fix', () => {
    const v = judgeRunJob(obj('j'), run, 'ReconRun steal', 'steal-run', 'team-a');
    expect(v).toEqual({
      kind: 'foreign',
      message:
        'a Job named steal-run already exists in namespace team-a and its controller is not ReconRun steal; raas takes a run\'s result only from the Job it made, so this run is not started. Delete that Job or create the run under another name',
    });
  });
});

describe('ownedPods', () => {
  it('keeps only the pods the Job controls, not pods that carry its job-name label', () => {
    const job = obj('job-uid');
    const pods = [obj('p1', [ref('job-uid', true)]), obj('p2'), obj('p3', [ref('other-job', true)])];
    expect(ownedPods(pods, job).map((p) => p.metadata.uid)).toEqual(['p1']);
  });
});
