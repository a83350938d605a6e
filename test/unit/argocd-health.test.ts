// The Argo CD health checks in charts/raas/argocd/*.lua, run in a real Lua VM (fengari).
// Argo CD runs a user-configured health script in gopher-lua with the global `obj` set to
// the live object (JSON objects and arrays become tables, null becomes nil) and only the
// base, table and package libraries open; the script's returned table is {status, message}.
// The VM here opens the same libraries, so a script that reached for string.format or math
// fails these tests as it would fail in Argo CD.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { jobStatusInvalid, jobStatusValid } from '../../operator/controllers/job-status.ts';
import { reconJobStatusSchema } from '../../operator/api/reconjob-status.ts';
import { reconRunStatusSchema } from '../../operator/api/reconrun.ts';
import type { ReconRun } from '../../operator/desired/types.ts';
import { repoRoot } from '../support/helm.ts';

// fengari ships no type declarations: this is the part of its C-like API the tests use.
type LuaState = object;
type LuaString = Uint8Array;
interface FengariApi {
  to_luastring(s: string): LuaString;
  lua: {
    LUA_OK: number;
    LUA_TTABLE: number;
    LUA_TSTRING: number;
    LUA_TNIL: number;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): void;
    lua_setfield(L: LuaState, idx: number, k: LuaString): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_getglobal(L: LuaState, name: LuaString): number;
    lua_getfield(L: LuaState, idx: number, k: LuaString): number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_type(L: LuaState, idx: number): number;
    lua_tojsstring(L: LuaState, idx: number): string;
    lua_pop(L: LuaState, n: number): void;
    lua_gettop(L: LuaState): number;
  };
  lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadstring(L: LuaState, s: LuaString): number;
    luaL_requiref(L: LuaState, modname: LuaString, openf: (L: LuaState) => number, glb: number): void;
  };
  lualib: {
    luaopen_base(L: LuaState): number;
    luaopen_package(L: LuaState): number;
    luaopen_table(L: LuaState): number;
  };
}
const { lua, lauxlib, lualib, to_luastring: luastr } = createRequire(import.meta.url)('fengari') as FengariApi;

const ARGOCD_DIR = join(repoRoot, 'charts', 'raas', 'argocd');
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Health {
  status: string;
  message: string;
}

/** Pushes a JSON value the way Argo CD's decodeValue does: arrays 1-based, null = nil. */
function push(L: LuaState, v: Json): void {
  if (v === null) lua.lua_pushnil(L);
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  // gopher-lua prints integral numbers without ".0"; Lua 5.3 does that only for integers.
  else if (typeof v === 'number') (Number.isInteger(v) ? lua.lua_pushinteger : lua.lua_pushnumber)(L, v);
  else if (typeof v === 'string') lua.lua_pushstring(L, luastr(v));
  else if (Array.isArray(v)) {
    // gopher-lua's LTable.Append drops nil, so a null inside an array closes up.
    const items = v.filter((item) => item !== null);
    lua.lua_createtable(L, items.length, 0);
    items.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    lua.lua_createtable(L, 0, Object.keys(v).length);
    for (const [k, item] of Object.entries(v)) {
      if (item === null) continue;
      push(L, item);
      lua.lua_setfield(L, -2, luastr(k));
    }
  }
}

function stringField(L: LuaState, key: string): string | undefined {
  const t = lua.lua_getfield(L, -1, luastr(key));
  const out = t === lua.LUA_TSTRING ? lua.lua_tojsstring(L, -1) : undefined;
  lua.lua_pop(L, 1);
  return out;
}

/** Runs a health script against `obj` as Argo CD does and returns its {status, message}. */
function runHealth(script: string, obj: Json): Health {
  const L = lauxlib.luaL_newstate();
  for (const [name, open] of [
    ['_G', lualib.luaopen_base],
    ['package', lualib.luaopen_package],
    ['table', lualib.luaopen_table],
  ] as const) {
    lauxlib.luaL_requiref(L, luastr(name), open, 1);
    lua.lua_pop(L, 1);
  }
  push(L, obj);
  lua.lua_setglobal(L, luastr('obj'));
  if (lauxlib.luaL_loadstring(L, luastr(script)) !== lua.LUA_OK) throw new Error(`Lua syntax error: ${lua.lua_tojsstring(L, -1)}`);
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) throw new Error(`Lua error: ${lua.lua_tojsstring(L, -1)}`);
  expect(lua.lua_type(L, -1), 'the script returns a table').toBe(lua.LUA_TTABLE);
  const status = stringField(L, 'status');
  const message = stringField(L, 'message');
  expect(status, 'hs.status').toBeDefined();
  expect(message, 'hs.message').toBeDefined();
  return { status: status!, message: message! };
}

const runScript = await readFile(join(ARGOCD_DIR, 'reconrun-health.lua'), 'utf8');
const jobScript = await readFile(join(ARGOCD_DIR, 'reconjob-health.lua'), 'utf8');
const reconRunHealth = (obj: Json) => runHealth(runScript, obj);
const reconJobHealth = (obj: Json) => runHealth(jobScript, obj);

const COUNTS = { left: 100, right: 101, matched: 96, mismatched: 3, leftOnly: 1, rightOnly: 2, duplicateKeysLeft: 0, duplicateKeysRight: 0, nullKeysLeft: 0, nullKeysRight: 0 };
const BALANCED_COUNTS = { ...COUNTS, right: 100, matched: 100, mismatched: 0, leftOnly: 0, rightOnly: 0 };
const WINDOW = { start: '2024-05-01T00:00:00+09:00', end: '2024-05-02T00:00:00+09:00' };

function reconRun(status?: Record<string, Json>, extra: Record<string, Json> = {}): Json {
  // Every status here is one the API server accepts: the operator's own schema parses it.
  if (status) reconRunStatusSchema.parse(status);
  return {
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconRun',
    metadata: { name: 'orders-20240501', namespace: 'finance', generation: 1, labels: { 'raas.dev/job': 'orders' } },
    spec: { jobRef: { name: 'orders' }, window: WINDOW, trigger: 'Scheduled' },
    ...(status ? { status } : {}),
    ...extra,
  };
}

describe('ReconRun health (charts/raas/argocd/reconrun-health.lua)', () => {
  it('is Healthy when the run Succeeded balanced', () => {
    expect(reconRunHealth(reconRun({ phase: 'Succeeded', balanced: true, counts: BALANCED_COUNTS, message: 'balanced: 100 matched' }))).toEqual({
      status: 'Healthy',
      message: 'Balanced: 100 matched for window 2024-05-01T00:00:00+09:00 to 2024-05-02T00:00:00+09:00',
    });
    // Balanced within spec.expect: differences are listed, the run is still Healthy.
    const within = reconRunHealth(reconRun({ phase: 'Succeeded', balanced: true, counts: { ...COUNTS, rightOnly: 0 } }));
    expect(within.status).toBe('Healthy');
    expect(within.message).toMatch(/^Balanced: 96 matched, 3 mismatched, 1 left-only for window/);
    // Without counts (or a window) it still says what it knows.
    expect(reconRunHealth({ kind: 'ReconRun', metadata: { name: 'x' }, status: { phase: 'Succeeded', balanced: true } })).toEqual({ status: 'Healthy', message: 'Balanced: 0 matched' });
  });

  it('is Degraded with the counts when the run Succeeded unbalanced', () => {
    expect(reconRunHealth(reconRun({ phase: 'Succeeded', balanced: false, counts: COUNTS }))).toEqual({
      status: 'Degraded',
      message:
        'Unbalanced: 96 matched, 3 mismatched, 1 left-only, 2 right-only for window 2024-05-01T00:00:00+09:00 to 2024-05-02T00:00:00+09:00; ' +
        'see kubectl recon results orders-20240501 -n finance',
    });
    const keys = reconRunHealth(reconRun({ phase: 'Succeeded', balanced: false, counts: { ...BALANCED_COUNTS, duplicateKeysLeft: 2, duplicateKeysRight: 1, nullKeysRight: 4 } }));
    expect(keys).toEqual({ status: 'Degraded', message: expect.stringMatching(/^Unbalanced: 100 matched, 3 duplicate keys, 4 null keys for window /) });
    const noCounts = reconRunHealth(reconRun({ phase: 'Succeeded', balanced: false, message: 'unbalanced: 5 matched, 1 mismatched' }));
    expect(noCounts).toEqual({ status: 'Degraded', message: expect.stringContaining('unbalanced: 5 matched, 1 mismatched; see kubectl recon results') });
  });

  it('is Degraded with status.message when the run Failed', () => {
    expect(
      reconRunHealth(reconRun({ phase: 'Failed', failedStage: 'stage', message: 'stage "stage" failed: s3://ledger/orders/dt=2024-05-01/: no objects match', completionTime: '2024-05-02T02:01:00Z' })),
    ).toEqual({ status: 'Degraded', message: 'Failed: stage "stage" failed: s3://ledger/orders/dt=2024-05-01/: no objects match' });
    expect(reconRunHealth(reconRun({ phase: 'Failed', failedStage: 'pod' }))).toEqual({ status: 'Degraded', message: 'Failed in stage pod' });
    expect(reconRunHealth(reconRun({ phase: 'Failed' }))).toEqual({ status: 'Degraded', message: 'Failed' });
  });

  it('is Progressing while Pending or Running, and with no status at all', () => {
    expect(reconRunHealth(reconRun())).toEqual({ status: 'Progressing', message: 'Waiting for the raas operator to start the run' });
    expect(reconRunHealth(reconRun({}))).toEqual({ status: 'Progressing', message: 'Waiting for the raas operator to start the run' });
    expect(reconRunHealth(reconRun({ phase: 'Pending', message: 'waiting to start', observedGeneration: 1, conditions: [] }))).toEqual({ status: 'Progressing', message: 'waiting to start' });
    expect(reconRunHealth(reconRun({ phase: 'Running', message: 'the runner is running', jobName: 'orders-20240501-x', startTime: '2024-05-02T02:00:00Z' }))).toEqual({
      status: 'Progressing',
      message: 'the runner is running',
    });
    expect(reconRunHealth(reconRun({ phase: 'Running' }))).toEqual({ status: 'Progressing', message: 'The runner is running' });
    expect(reconRunHealth({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconRun' })).toEqual({ status: 'Progressing', message: 'Waiting for the raas operator to start the run' });
  });

  it('ignores unknown and null fields, and is Unknown for what it cannot judge', () => {
    const odd = reconRun(
      { phase: 'Succeeded', balanced: true, counts: { ...BALANCED_COUNTS, futureCount: 7 } as Record<string, Json>, notifications: [{ sink: 'kafka:recon-events', event: 'Succeeded', id: 'x', delivered: true, attempts: 1 }] },
      { extra: { nested: [1, 'two', null, { three: 3 }] }, metadata: { name: 'r', annotations: { a: 'b' }, deletionTimestamp: null } },
    );
    expect(reconRunHealth(odd)).toEqual({ status: 'Healthy', message: 'Balanced: 100 matched for window 2024-05-01T00:00:00+09:00 to 2024-05-02T00:00:00+09:00' });
    expect(reconRunHealth(reconRun({ phase: 'Succeeded', counts: COUNTS }))).toEqual({ status: 'Unknown', message: 'Succeeded, but status.balanced is missing' });
    expect(reconRunHealth({ kind: 'ReconRun', status: { phase: 'Archived' } })).toEqual({ status: 'Unknown', message: 'Unknown phase Archived' });
    expect(reconRunHealth({ kind: 'ReconRun', status: { phase: 42, balanced: 'yes' } }).status).toBe('Progressing');
    expect(reconRunHealth({ kind: 'ReconRun', status: 'weird' }).status).toBe('Progressing');
  });
});

// ---- ReconJob: statuses as the operator computes them (operator/controllers/job-status.ts)

const NOW = new Date('2024-05-02T03:00:00Z');
const SPEC = { left: { uri: 'l.csv' }, right: { uri: 'r.csv' }, keys: [{ column: 'id' }], schedule: { cron: '0 2 * * *', timeZone: 'Asia/Tokyo' } };

function run(name: string, phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed', extra: Record<string, unknown> = {}): ReconRun {
  return {
    metadata: { name, creationTimestamp: '2024-05-01T17:00:00Z' },
    spec: { jobRef: { name: 'orders' }, window: WINDOW, trigger: 'Scheduled' },
    status: { phase, ...extra },
  } as ReconRun;
}

function reconJob(spec: Record<string, Json>, status: Record<string, unknown> | undefined, generation = 3, { schemaValid = true } = {}): Json {
  // Unless a test feeds oddities on purpose, the status is one the operator's schema accepts.
  if (status && schemaValid) reconJobStatusSchema.parse(status);
  return {
    apiVersion: 'raas.dev/v1alpha1',
    kind: 'ReconJob',
    metadata: { name: 'orders', namespace: 'finance', generation, uid: 'u-1', resourceVersion: '42' },
    spec,
    ...(status ? { status: JSON.parse(JSON.stringify(status)) as Json } : {}),
  };
}

function validStatus(spec: Record<string, Json>, runs: ReconRun[], generation = 3) {
  return jobStatusValid({ apiVersion: 'raas.dev/v1alpha1', kind: 'ReconJob', metadata: { name: 'orders', namespace: 'finance', generation }, spec } as never, undefined, undefined, runs, NOW);
}

describe('ReconJob health (charts/raas/argocd/reconjob-health.lua)', () => {
  it('is Healthy when Ready=True for the current generation and the last run is fine', () => {
    const balanced = run('orders-a', 'Succeeded', { balanced: true, completionTime: '2024-05-01T17:05:00Z', counts: BALANCED_COUNTS });
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, [balanced])))).toEqual({ status: 'Healthy', message: 'scheduled "0 2 * * *" in Asia/Tokyo; last run orders-a balanced' });
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, [])))).toEqual({ status: 'Healthy', message: 'scheduled "0 2 * * *" in Asia/Tokyo' });
    // A first run in progress does not make the job Progressing.
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, [run('orders-b', 'Running')])))).toEqual({ status: 'Healthy', message: 'scheduled "0 2 * * *" in Asia/Tokyo; last run orders-b Running' });
    const { schedule: _unscheduled, ...manual } = SPEC;
    expect(reconJobHealth(reconJob(manual, validStatus(manual, [])))).toEqual({ status: 'Healthy', message: 'no schedule: runs are created as ReconRuns (manual or backfill)' });
    // No generation in metadata (e.g. a hand-made object): nothing to compare, Ready decides.
    expect(reconJobHealth({ kind: 'ReconJob', status: { conditions: [{ type: 'Ready', status: 'True' }] } })).toEqual({ status: 'Healthy', message: 'Ready' });
  });

  it('is Progressing until the operator has observed the current generation or reported Ready', () => {
    expect(reconJobHealth(reconJob(SPEC, undefined))).toEqual({ status: 'Progressing', message: 'Waiting for the raas operator to report status' });
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, []), 4))).toEqual({ status: 'Progressing', message: 'Waiting for the raas operator to observe generation 4' });
    // Stale Ready=False (the user just pushed the fix): Progressing, not Degraded.
    expect(reconJobHealth(reconJob(SPEC, jobStatusInvalid(3, undefined, ['spec.keys: is required'], NOW), 4)).status).toBe('Progressing');
    // A status without observedGeneration was not computed for this generation.
    expect(reconJobHealth(reconJob(SPEC, { conditions: [{ type: 'Ready', status: 'True', reason: 'Scheduled', message: '', lastTransitionTime: '2024-05-01T00:00:00Z' }] })).status).toBe('Progressing');
    expect(reconJobHealth(reconJob(SPEC, { observedGeneration: 3 }))).toEqual({ status: 'Progressing', message: 'Waiting for the Ready condition' });
    expect(reconJobHealth(reconJob(SPEC, { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Reconciling', message: 'creating the CronJob', lastTransitionTime: '2024-05-01T00:00:00Z' }] }))).toEqual({
      status: 'Progressing',
      message: 'Reconciling: creating the CronJob',
    });
  });

  it('is Degraded when Ready=False, with the reason and message', () => {
    expect(reconJobHealth(reconJob(SPEC, jobStatusInvalid(3, undefined, ['spec.keys: is required', 'spec.schedule.cron: bad'], NOW)))).toEqual({
      status: 'Degraded',
      message: 'InvalidSpec: spec.keys: is required; spec.schedule.cron: bad',
    });
    expect(reconJobHealth({ kind: 'ReconJob', metadata: { generation: 2 }, status: { observedGeneration: 2, conditions: [{ type: 'Other', status: 'True' }, { type: 'Ready', status: 'False' }] } })).toEqual({
      status: 'Degraded',
      message: 'Ready is False',
    });
  });

  it('is Degraded when the last run failed or was unbalanced (Argo CD shows only the committed ReconJob in app health)', () => {
    const failed = run('orders-c', 'Failed', { completionTime: '2024-05-01T17:03:00Z', message: 'stage "stage" failed: no objects' });
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, [failed])))).toEqual({
      status: 'Degraded',
      message: 'Last run orders-c (window from 2024-05-01T00:00:00+09:00) failed; see kubectl recon runs orders -n finance',
    });
    const unbalanced = run('orders-d', 'Succeeded', { balanced: false, completionTime: '2024-05-01T17:05:00Z', counts: COUNTS });
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, [unbalanced])))).toEqual({
      status: 'Degraded',
      message:
        'Last run orders-d (window from 2024-05-01T00:00:00+09:00) is unbalanced: 96 matched, 3 mismatched, 1 left-only, 2 right-only; ' +
        'see kubectl recon results orders-d -n finance',
    });
    // Degraded wins over Suspended: pausing a failing job does not hide the failure.
    const paused = { ...SPEC, schedule: { ...SPEC.schedule, suspend: true } };
    expect(reconJobHealth(reconJob(paused, validStatus(paused, [failed]))).status).toBe('Degraded');
    // A newer balanced run heals it (the operator's lastRun is the latest finished run).
    const later = run('orders-e', 'Succeeded', { balanced: true, completionTime: '2024-05-02T17:05:00Z', counts: BALANCED_COUNTS });
    expect(reconJobHealth(reconJob(SPEC, validStatus(SPEC, [failed, unbalanced, later]))).status).toBe('Healthy');
  });

  it('is Suspended when its schedule is suspended', () => {
    const paused = { ...SPEC, schedule: { ...SPEC.schedule, suspend: true } };
    expect(reconJobHealth(reconJob(paused, validStatus(paused, [])))).toEqual({ status: 'Suspended', message: 'schedule "0 2 * * *" is suspended' });
  });

  it('ignores unknown and null fields', () => {
    const status = { ...validStatus(SPEC, []), futureField: { a: [1, 2] }, lastScheduleTime: null };
    const obj = reconJob({ ...SPEC, somethingNew: true, notify: [{ kafka: { topic: 't' }, on: ['Failed'] }] }, status, 3, { schemaValid: false });
    expect(reconJobHealth(obj)).toEqual({ status: 'Healthy', message: 'scheduled "0 2 * * *" in Asia/Tokyo' });
    expect(reconJobHealth({ kind: 'ReconJob', metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: 'not-a-list' } }).status).toBe('Progressing');
    expect(reconJobHealth({ kind: 'ReconJob', metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: [null, 'x', { type: 'Ready', status: 'True' }], lastRun: 'x' } })).toEqual({
      status: 'Healthy',
      message: 'Ready',
    });
  });
});

describe('charts/raas/argocd/README.md', () => {
  it('embeds both scripts verbatim in its argocd-cm snippet, under the right keys', async () => {
    const readme = await readFile(join(ARGOCD_DIR, 'README.md'), 'utf8');
    const yamlBlock = /```yaml\n(# argocd-cm[\s\S]*?)```/.exec(readme);
    expect(yamlBlock, 'a ```yaml block starting with "# argocd-cm"').not.toBeNull();
    const cm = parseYaml(yamlBlock![1]!) as { kind: string; metadata: { name: string }; data: Record<string, string> };
    expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'argocd-cm' } });
    expect(cm.data['resource.customizations.health.raas.dev_ReconRun']).toBe(runScript);
    expect(cm.data['resource.customizations.health.raas.dev_ReconJob']).toBe(jobScript);
  });
});
