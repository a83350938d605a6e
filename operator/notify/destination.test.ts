import { describe, expect, it } from 'vitest';
import { addressClass, allowedDestinationsFromEnv, destinationProblem, isClusterHostname } from './destination.ts';

describe('addressClass', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'unspecified'],
    ['172.32.0.1', undefined],
    ['8.8.8.8', undefined],
    ['2001:4860:4860::8888', undefined],
  ])('%s is %s', (ip, cls) => {
    expect(addressClass(ip)).toBe(cls);
  });
});

describe('isClusterHostname', () => {
  it.each([
    ['kubernetes.default.svc', true],
    ['raas.raas-system.svc.cluster.local', true],
    ['my-service', true],
    ['localhost', true],
    ['hooks.slack.com', false],
    ['example.com.', false],
  ])('%s -> %s', (h, expected) => {
    expect(isClusterHostname(h)).toBe(expected);
  });
});

describe('destinationProblem', () => {
  const none = new Set<never>();
  it('allows a public address and names the chart value for each refused class', () => {
    expect(destinationProblem('hooks.slack.com', '34.1.2.3', none)).toBeUndefined();
    expect(destinationProblem('x.example.com', '10.0.0.1', none)).toMatch(/allowDestinations: \[private\]/);
    expect(destinationProblem('x.example.com', '10.0.0.1', new Set(['private'] as const))).toBeUndefined();
    expect(destinationProblem('api.default.svc', '34.1.2.3', none)).toMatch(/cluster-internal name.*allowDestinations: \[cluster\]/);
    expect(destinationProblem('api.default.svc', '34.1.2.3', new Set(['cluster'] as const))).toBeUndefined();
    // Allowing "cluster" does not allow the node's own loopback or the metadata service.
    expect(destinationProblem('api.default.svc', '127.0.0.1', new Set(['cluster'] as const))).toMatch(/loopback/);
    expect(destinationProblem('x.example.com', '169.254.169.254', new Set(['cluster', 'private'] as const))).toMatch(/link-local/);
  });

  it('reads the allowed classes from the environment, refusing unknown ones', () => {
    expect([...allowedDestinationsFromEnv('loopback, private')]).toEqual(['loopback', 'private']);
    expect(allowedDestinationsFromEnv(undefined).size).toBe(0);
    expect(() => allowedDestinationsFromEnv('loopback,everything')).toThrow(/"everything" is not one of loopback, link-local, private, cluster/);
  });
});
