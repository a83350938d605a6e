import { describe, expect, it } from 'vitest';
import { DEFAULT_RUNNER_POLICY, matchesPattern, runnerPolicyFromEnv, runnerPolicyProblems, type RunnerPolicy } from './runner-policy.ts';

const IMAGE = 'raas:0.1.0';

describe('matchesPattern', () => {
  it.each([
    ['raas:0.1.0', 'raas:0.1.0', true],
    ['raas:0.1.0', 'raas:*', true],
    ['raas:0.1.0', '*', true],
    ['registry.example.com/raas:1', 'registry.example.com/raas:*', true],
    ['registry.example.com.evil/raas:1', 'registry.example.com/raas:*', false],
    ['RAAS:0.1.0', 'raas:*', false],
    ['raas:0.1.0x', 'raas:0.1.0', false],
    ['a?b', 'a.b', false],
  ])('%s against %s -> %s', (value, pattern, expected) => {
    expect(matchesPattern(value, pattern)).toBe(expected);
  });
});

describe('runnerPolicyProblems', () => {
  const policy: RunnerPolicy = { allowedImages: ['registry.example.com/raas:*'], allowedServiceAccounts: ['recon-reader'], allowedEnvFromSecrets: ['s3-*'] };
  it('allows what the policy lists and the operator image', () => {
    expect(runnerPolicyProblems(undefined, policy, IMAGE)).toEqual([]);
    expect(runnerPolicyProblems({ image: IMAGE }, policy, IMAGE)).toEqual([]);
    expect(runnerPolicyProblems({ image: 'registry.example.com/raas:2', serviceAccountName: 'recon-reader', envFrom: [{ secretRef: { name: 's3-creds' } }, { configMapRef: { name: 'anything' } }] }, policy, IMAGE)).toEqual([]);
  });
  it('names each refused field and the chart value that allows it', () => {
    const problems = runnerPolicyProblems({ image: 'evil/miner:latest', serviceAccountName: 'cluster-admin-sa', envFrom: [{ secretRef: { name: 's3-creds' } }, { secretRef: { name: 'db-root' } }] }, policy, IMAGE);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^spec\.runner\.image: "evil\/miner:latest" is not allowed by the runner policy; .*runnerPolicy\.allowedImages$/);
    expect(problems[1]).toMatch(/^spec\.runner\.serviceAccountName: "cluster-admin-sa" is not allowed.*runnerPolicy\.allowedServiceAccounts$/);
    expect(problems[2]).toMatch(/^spec\.runner\.envFrom\[1\]\.secretRef\.name: Secret "db-root" is not allowed.*\(s3-\*\)$/);
  });
  it('defaults: only the operator image, no service account, any Secret', () => {
    expect(runnerPolicyProblems({ image: 'raas:9.9.9' }, DEFAULT_RUNNER_POLICY, IMAGE)).toHaveLength(1);
    expect(runnerPolicyProblems({ serviceAccountName: 'default' }, DEFAULT_RUNNER_POLICY, IMAGE)).toHaveLength(1);
    expect(runnerPolicyProblems({ envFrom: [{ secretRef: { name: 'whatever' } }] }, DEFAULT_RUNNER_POLICY, IMAGE)).toEqual([]);
  });
});

describe('runnerPolicyFromEnv', () => {
  it('reads the chart JSON, defaulting missing keys', () => {
    expect(runnerPolicyFromEnv(undefined)).toEqual(DEFAULT_RUNNER_POLICY);
    expect(runnerPolicyFromEnv('{"allowedImages":["r/*"]}')).toEqual({ ...DEFAULT_RUNNER_POLICY, allowedImages: ['r/*'] });
  });
  it.each([
    ['not JSON', 'allowedImages=r', /must be JSON like/],
    ['a string instead of a list', '{"allowedImages":"r/*"}', /allowedImages must be a list/],
    ['a * inside a pattern', '{"allowedServiceAccounts":["a*b"]}', /allowedServiceAccounts must be a list of names, each optionally ending in one \*/],
    ['an empty name', '{"allowedEnvFromSecrets":[""]}', /allowedEnvFromSecrets/],
  ])('refuses %s', (_n, value, error) => {
    expect(() => runnerPolicyFromEnv(value)).toThrow(error);
  });
});
