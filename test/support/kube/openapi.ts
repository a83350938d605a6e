// Minimal OpenAPI documents. kubectl reads /openapi/v3 to decide (a) whether the server
// supports the `fieldValidation` parameter (then it validates server-side: --validate=strict
// becomes fieldValidation=Strict) and (b) which patch type `kubectl apply` sends: no
// strategic-merge content type is advertised, so kubectl falls back to its compiled-in types
// for built-ins (strategic merge) and to JSON merge patch for custom resources, as it does
// against a real cluster. Custom resource schemas are included so `kubectl explain` works.
import { createHash } from 'node:crypto';
import { groupVersion, type ResourceInfo } from './resources.ts';
import type { JsonMap } from './types.ts';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function reverseDomain(group: string): string {
  return group ? group.split('.').reverse().join('.') : 'io.k8s.api.core';
}

function schemaName(info: ResourceInfo, version: string): string {
  return `${reverseDomain(info.group)}.${version}.${info.kind}`;
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'];

function gvDoc(resources: ResourceInfo[], group: string, version: string): JsonMap | undefined {
  const served = resources.filter((r) => r.group === group && r.versions.some((v) => v.name === version));
  if (served.length === 0) return undefined;
  const paths: JsonMap = {};
  const schemas: JsonMap = {};
  for (const r of served) {
    const gvk = { group: r.group, version, kind: r.kind };
    const ref = { $ref: `#/components/schemas/${schemaName(r, version)}` };
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    const patchOp = (suffix: string): JsonMap => ({
      operationId: `patch${r.kind}${suffix}`,
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': gvk,
      parameters: QUERY_PARAMS.map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } })),
      requestBody: {
        content: Object.fromEntries(
          ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'].map((t) => [t, { schema: { type: 'object' } }]),
        ),
        required: true,
      },
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
    });
    paths[`${base}/{name}`] = {
      get: { operationId: `read${r.kind}`, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk, responses: { '200': { description: 'OK' } } },
      patch: patchOp(''),
    };
    const v = r.versions.find((x) => x.name === version);
    if (v?.hasStatus) paths[`${base}/{name}/status`] = { patch: patchOp('Status') };
    const schema: JsonMap = v?.schema ? { ...(v.schema as JsonMap) } : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    schema['x-kubernetes-group-version-kind'] = [gvk];
    schemas[schemaName(r, version)] = schema;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

export function openApiV3GroupVersion(resources: ResourceInfo[], segments: string[]): JsonMap | undefined {
  if (segments[0] === 'api' && segments.length === 2) return gvDoc(resources, '', segments[1] ?? '');
  if (segments[0] === 'apis' && segments.length === 3) return gvDoc(resources, segments[1] ?? '', segments[2] ?? '');
  return undefined;
}

export function openApiV3Index(resources: ResourceInfo[]): JsonMap {
  const paths: JsonMap = {};
  const gvs = new Set<string>();
  for (const r of resources) for (const v of r.versions) gvs.add(groupVersion(r.group, v.name));
  for (const gv of gvs) {
    const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
    const doc = gvDoc(resources, group ?? '', version ?? '');
    // The hash lets kubectl's disk cache notice a changed document (a CRD update).
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 32).toUpperCase();
    const p = gvPath(group ?? '', version ?? '');
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  }
  return { paths };
}

/** Swagger 2.0 with no definitions: kubectl then uses its compiled-in types. */
export function openApiV2(_resources: ResourceInfo[]): JsonMap {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions: {} };
}
