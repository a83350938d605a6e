// The resource catalog: the built-in kinds this server serves, custom resources registered
// from CustomResourceDefinitions, and the discovery documents kubectl and client libraries
// read to map `rr` to raas.dev/v1alpha1 reconruns.
import { asSchema, structuralErrors, type Schema } from './schema.ts';
import { isMap, type FieldError, type JsonMap } from './types.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface ResourceVersionInfo {
  name: string;
  schema?: Schema;
  printerColumns: PrinterColumn[];
  hasStatus: boolean;
}

export interface ResourceInfo {
  group: string;
  /** Served versions, preferred first. */
  versions: ResourceVersionInfo[];
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Whether metadata.generation is maintained (CRs, Jobs, CronJobs). */
  generation: boolean;
  /** What DELETE does to dependents when the request does not say. */
  defaultPropagation: 'Background' | 'Orphan';
  /** For CRs: the CRD's uid, so a CRD update re-registers in place. */
  crdName?: string;
}

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function versionInfo(info: ResourceInfo, version: string): ResourceVersionInfo | undefined {
  return info.versions.find((v) => v.name === version);
}

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  opts: { namespaced?: boolean; shortNames?: string[]; categories?: string[]; status?: boolean; generation?: boolean; orphan?: boolean } = {},
): ResourceInfo {
  return {
    group,
    versions: [{ name: version, printerColumns: [], hasStatus: opts.status ?? false }],
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    generation: opts.generation ?? false,
    defaultPropagation: opts.orphan ? 'Orphan' : 'Background',
  };
}

export function builtinResources(): ResourceInfo[] {
  return [
    builtin('', 'v1', 'namespaces', 'Namespace', { namespaced: false, shortNames: ['ns'], status: true }),
    builtin('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'], status: true }),
    builtin('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
    builtin('', 'v1', 'secrets', 'Secret'),
    builtin('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
    builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
    // batch/v1 Jobs orphan their pods unless the DELETE asks otherwise (kept for
    // backward compatibility by the real server, which also warns about it).
    builtin('batch', 'v1', 'jobs', 'Job', { categories: ['all'], status: true, generation: true, orphan: true }),
    builtin('batch', 'v1', 'cronjobs', 'CronJob', { shortNames: ['cj'], categories: ['all'], status: true, generation: true }),
    builtin('coordination.k8s.io', 'v1', 'leases', 'Lease'),
    builtin('events.k8s.io', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
    builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', {
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      status: true,
      generation: true,
    }),
  ];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Checks a CRD the way the real server would refuse to store it (the parts that matter here). */
export function validateCrd(crd: JsonMap): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isMap(crd.spec) ? crd.spec : {};
  const names = isMap(spec.names) ? spec.names : {};
  const group = str(spec.group);
  const plural = str(names.plural);
  const name = isMap(crd.metadata) ? str(crd.metadata.name) : undefined;
  if (!group) errors.push({ type: 'FieldValueRequired', field: 'spec.group', detail: 'Required value' });
  if (!plural) errors.push({ type: 'FieldValueRequired', field: 'spec.names.plural', detail: 'Required value' });
  if (!str(names.kind)) errors.push({ type: 'FieldValueRequired', field: 'spec.names.kind', detail: 'Required value' });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    errors.push({ type: 'FieldValueNotSupported', field: 'spec.scope', detail: `Unsupported value: ${JSON.stringify(spec.scope ?? '')}: supported values: "Cluster", "Namespaced"` });
  }
  if (group && plural && name !== `${plural}.${group}`) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      detail: `Invalid value: ${JSON.stringify(name ?? '')}: must be spec.names.plural+"."+spec.group`,
    });
  }
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errors.push({ type: 'FieldValueInvalid', field: 'spec.versions', detail: 'Invalid value: null: must have exactly one version marked as storage version' });
  if (versions.filter((v) => isMap(v) && v.storage === true).length !== 1 && versions.length > 0) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.versions', detail: 'Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version' });
  }
  versions.forEach((v, i) => {
    if (!isMap(v)) return;
    const schema = asSchema(isMap(v.schema) ? v.schema.openAPIV3Schema : undefined);
    if (!schema) {
      errors.push({ type: 'FieldValueRequired', field: `spec.versions[${i}].schema.openAPIV3Schema`, detail: 'Required value: schemas are required' });
      return;
    }
    errors.push(...structuralErrors(schema, `spec.versions[${i}].schema.openAPIV3Schema`));
  });
  return errors;
}

/** The ResourceInfo a (validated) CRD registers. */
export function resourceFromCrd(crd: JsonMap): ResourceInfo {
  const spec = isMap(crd.spec) ? crd.spec : {};
  const names = isMap(spec.names) ? spec.names : {};
  const kind = str(names.kind) ?? '';
  const versions: ResourceVersionInfo[] = [];
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    if (!isMap(v) || v.served === false) continue;
    const cols = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns.filter(isMap) : [];
    versions.push({
      name: str(v.name) ?? '',
      schema: asSchema(isMap(v.schema) ? v.schema.openAPIV3Schema : undefined),
      printerColumns: cols.length
        ? cols.map((c) => {
            const col: PrinterColumn = { name: str(c.name) ?? '', type: str(c.type) ?? 'string', jsonPath: str(c.jsonPath) ?? '' };
            if (str(c.format)) col.format = str(c.format);
            if (str(c.description)) col.description = str(c.description);
            if (typeof c.priority === 'number') col.priority = c.priority;
            return col;
          })
        : // What the real server shows for a CRD version without printer columns.
          [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
      hasStatus: isMap(v.subresources) && v.subresources.status !== undefined,
    });
  }
  // Discovery lists the storage version first among equals; kubectl picks the first.
  const storage = (Array.isArray(spec.versions) ? spec.versions : []).find((v) => isMap(v) && v.storage === true);
  const storageName = isMap(storage) ? str(storage.name) : undefined;
  versions.sort((a, b) => Number(b.name === storageName) - Number(a.name === storageName));
  return {
    group: str(spec.group) ?? '',
    versions,
    resource: str(names.plural) ?? '',
    singular: str(names.singular) ?? kind.toLowerCase(),
    kind,
    listKind: str(names.listKind) ?? `${kind}List`,
    namespaced: spec.scope !== 'Cluster',
    shortNames: strList(names.shortNames),
    categories: strList(names.categories),
    generation: true,
    defaultPropagation: 'Background',
    crdName: isMap(crd.metadata) ? str(crd.metadata.name) : undefined,
  };
}

/** The status the real server writes on a CRD it accepted. */
export function establishedCrdStatus(crd: JsonMap, now: string): JsonMap {
  const spec = isMap(crd.spec) ? crd.spec : {};
  const names = isMap(spec.names) ? { ...spec.names } : {};
  if (names.singular === undefined && typeof names.kind === 'string') names.singular = names.kind.toLowerCase();
  if (names.listKind === undefined && typeof names.kind === 'string') names.listKind = `${names.kind}List`;
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isMap).map((v) => v.name) : [];
  const cond = (type: string, reason: string, message: string): JsonMap => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: names,
    storedVersions: versions.slice(0, 1),
  };
}

function apiResource(info: ResourceInfo): JsonMap[] {
  const out: JsonMap[] = [];
  const main: JsonMap = {
    name: info.resource,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: VERBS,
  };
  if (info.shortNames.length) main.shortNames = info.shortNames;
  if (info.categories.length) main.categories = info.categories;
  out.push(main);
  return out;
}

/** GET /api/v1 or /apis/<group>/<version>. */
export function apiResourceList(resources: ResourceInfo[], group: string, version: string): JsonMap {
  const items: JsonMap[] = [];
  for (const r of resources) {
    const v = versionInfo(r, version);
    if (r.group !== group || !v) continue;
    items.push(...apiResource(r));
    if (v.hasStatus) {
      items.push({ name: `${r.resource}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
    if (r.group === '' && r.resource === 'pods') items.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources: items };
}

export function groupsOf(resources: ResourceInfo[]): { name: string; versions: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    if (r.group === '') continue;
    const vs = groups.get(r.group) ?? [];
    for (const v of r.versions) if (!vs.includes(v.name)) vs.push(v.name);
    groups.set(r.group, vs);
  }
  return [...groups].map(([name, versions]) => ({ name, versions }));
}

function apiGroup(g: { name: string; versions: string[] }): JsonMap {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(resources: ResourceInfo[]): JsonMap {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsOf(resources).map(apiGroup) };
}

export function apiGroupDoc(resources: ResourceInfo[], group: string): JsonMap | undefined {
  const g = groupsOf(resources).find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) } : undefined;
}

/** Aggregated discovery (apidiscovery.k8s.io/v2), which kubectl >= 1.30 asks for first. */
export function aggregatedDiscovery(resources: ResourceInfo[], legacy: boolean): JsonMap {
  const groups = legacy ? [{ name: '', versions: ['v1'] }] : groupsOf(resources);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: resources
          .filter((r) => r.group === g.name && versionInfo(r, v))
          .map((r) => {
            const entry: JsonMap = {
              resource: r.resource,
              responseKind: { group: r.group, version: v, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs: VERBS,
            };
            if (r.shortNames.length) entry.shortNames = r.shortNames;
            if (r.categories.length) entry.categories = r.categories;
            if (versionInfo(r, v)?.hasStatus) {
              entry.subresources = [
                { subresource: 'status', responseKind: { group: r.group, version: v, kind: r.kind }, verbs: ['get', 'patch', 'update'] },
              ];
            }
            return entry;
          }),
      })),
    })),
  };
}
