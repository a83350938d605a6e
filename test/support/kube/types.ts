// Shared shapes of the Kubernetes API test server: plain JSON objects, the metadata the
// server itself reads and writes, and the Status errors every endpoint answers with.

/** A decoded JSON object (a Kubernetes object, a patch, a schema). */
export type JsonMap = Record<string, unknown>;

export function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** group/version/resource; the core group is ''. */
export interface Gvr {
  group: string;
  version: string;
  resource: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonMap;
  subresource?: string;
}

/** The metadata fields the server reads; validateMeta() checks their types before anything casts. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** A stored object: always has metadata (the store creates it). */
export interface KObject extends JsonMap {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export function asKObject(v: JsonMap): KObject {
  if (!isMap(v.metadata)) v.metadata = {};
  // The metadata map is shape-checked by validateMeta() on every write; reads of stored
  // objects may therefore treat it as ObjectMeta.
  return v as KObject;
}

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** A meta/v1 Status, the body of every error response. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: JsonMap;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** Thrown anywhere in the server; the HTTP layer answers with its Status. */
export class KubeApiError extends Error {
  readonly status: StatusBody;
  /** Extra response headers (e.g. Warning). */
  readonly headers: Record<string, string>;
  constructor(status: StatusBody, headers: Record<string, string> = {}) {
    super(status.message);
    this.status = status;
    this.headers = headers;
  }
  get code(): number {
    return this.status.code;
  }
}

export function statusError(
  code: number,
  reason: string,
  message: string,
  details?: StatusBody['details'],
): KubeApiError {
  const status: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new KubeApiError(status);
}

/** `reconruns.raas.dev` / `pods`: how the real server names a resource in messages. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(group: string, resource: string, name: string): KubeApiError {
  return statusError(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });
}

export function alreadyExists(group: string, resource: string, name: string): KubeApiError {
  return statusError(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

export function conflict(group: string, resource: string, name: string, why?: string): KubeApiError {
  const reason = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return statusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${reason}`,
    { name, group, kind: resource },
  );
}

export function badRequest(message: string): KubeApiError {
  return statusError(400, 'BadRequest', message);
}

/** One field error, formatted the way apimachinery's field.Error prints. */
export interface FieldError {
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueTypeInvalid' | 'FieldValueNotSupported'
    | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueDuplicate' | 'FieldValueForbidden';
  field: string;
  /** The message after "<field>: " — e.g. `Required value`, `Invalid value: "x": must be ...`. */
  detail: string;
}

export function invalid(kind: string, group: string, name: string, errors: FieldError[]): KubeApiError {
  const lines = errors.map((e) => `${e.field}: ${e.detail}`);
  const gk = group ? `${kind}.${group}` : kind;
  const list = lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
  return statusError(422, 'Invalid', `${gk} "${name}" is invalid: ${list}`, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  });
}

/** Go's %q-ish rendering of a value inside "Invalid value: ..." messages. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(Array.isArray(v) ? 'array' : 'object');
  return String(v);
}
