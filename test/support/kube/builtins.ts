// Defaulting and validation the real API server applies to the built-in kinds served here,
// limited to what a controller notices: Job selector/labels and pod defaults (an operator
// that diffs against these must expect them), CronJob name length, restartPolicy, Secret
// stringData, label and name syntax.
import { deepEqual, goValue, isMap, type FieldError, type JsonMap, type KObject } from './types.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function subdomainError(field: string, v: string): FieldError | undefined {
  if (v.length > 253) return { type: 'FieldValueInvalid', field, detail: `Invalid value: ${goValue(v)}: must be no more than 253 characters` };
  if (!DNS1123_SUBDOMAIN.test(v)) {
    return {
      type: 'FieldValueInvalid',
      field,
      detail: `Invalid value: ${goValue(v)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    };
  }
  return undefined;
}

function labelKeyErrors(field: string, key: string): FieldError[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errors: FieldError[] = [];
  if (prefix !== undefined) {
    const e = subdomainError(field, prefix);
    if (e) errors.push({ ...e, detail: `Invalid value: ${goValue(key)}: prefix part ${e.detail.replace(/^Invalid value: "[^"]*": /, '')}` });
  }
  if (name.length > 63) errors.push({ type: 'FieldValueInvalid', field, detail: `Invalid value: ${goValue(key)}: name part must be no more than 63 characters` });
  else if (!QUALIFIED_NAME_PART.test(name)) {
    errors.push({
      type: 'FieldValueInvalid',
      field,
      detail: `Invalid value: ${goValue(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    });
  }
  return errors;
}

function stringMapErrors(field: string, v: unknown): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isMap(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    return [{ type: 'FieldValueTypeInvalid', field, detail: `Invalid value: ${goValue(v)}: must be a map of strings` }];
  }
  return [];
}

/** ObjectMeta validation shared by every kind; also guarantees the shapes ObjectMeta declares. */
export function validateMeta(obj: JsonMap, opts: { namespaceName?: boolean }): FieldError[] {
  const m = isMap(obj.metadata) ? obj.metadata : {};
  const errors: FieldError[] = [];
  for (const f of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']) {
    if (m[f] !== undefined && m[f] !== null && typeof m[f] !== 'string') {
      errors.push({ type: 'FieldValueTypeInvalid', field: `metadata.${f}`, detail: `Invalid value: ${goValue(m[f])}: must be a string` });
    }
  }
  if (typeof m.name === 'string') {
    if (opts.namespaceName) {
      if (!DNS1123_LABEL.test(m.name) || m.name.length > 63) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'metadata.name',
          detail: `Invalid value: ${goValue(m.name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        });
      }
    } else {
      const e = subdomainError('metadata.name', m.name);
      if (e) errors.push(e);
    }
  }
  errors.push(...stringMapErrors('metadata.labels', m.labels), ...stringMapErrors('metadata.annotations', m.annotations));
  if (isMap(m.labels)) {
    for (const [k, v] of Object.entries(m.labels)) {
      errors.push(...labelKeyErrors('metadata.labels', k));
      if (typeof v !== 'string') continue;
      if (v.length > 63) errors.push({ type: 'FieldValueInvalid', field: 'metadata.labels', detail: `Invalid value: ${goValue(v)}: must be no more than 63 characters` });
      else if (!LABEL_VALUE.test(v)) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'metadata.labels',
          detail: `Invalid value: ${goValue(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        });
      }
    }
  }
  if (m.ownerReferences !== undefined) {
    if (!Array.isArray(m.ownerReferences)) {
      errors.push({ type: 'FieldValueTypeInvalid', field: 'metadata.ownerReferences', detail: 'Invalid value: "object": must be a list' });
    } else {
      m.ownerReferences.forEach((r, i) => {
        for (const f of ['apiVersion', 'kind', 'name', 'uid']) {
          if (!isMap(r) || typeof r[f] !== 'string' || r[f] === '') {
            errors.push({ type: 'FieldValueRequired', field: `metadata.ownerReferences[${i}].${f}`, detail: 'Required value' });
          }
        }
      });
      const controllers = m.ownerReferences.filter((r) => isMap(r) && r.controller === true);
      if (controllers.length > 1) {
        errors.push({ type: 'FieldValueInvalid', field: 'metadata.ownerReferences', detail: 'Invalid value: "object": Only one reference can have Controller set to true' });
      }
    }
  }
  if (m.finalizers !== undefined && (!Array.isArray(m.finalizers) || m.finalizers.some((f) => typeof f !== 'string'))) {
    errors.push({ type: 'FieldValueTypeInvalid', field: 'metadata.finalizers', detail: 'Invalid value: "object": must be a list of strings' });
  }
  return errors;
}

function ensureMap(parent: JsonMap, key: string): JsonMap {
  const v = parent[key];
  if (isMap(v)) return v;
  const m: JsonMap = {};
  parent[key] = m;
  return m;
}

function defaultContainer(c: unknown): void {
  if (!isMap(c)) return;
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const tag = /:([^/:@]+)$/.exec(c.image.split('@')[0] ?? '')?.[1];
    c.imagePullPolicy = tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
}

/** The pod-spec defaults the real server fills in (a subset: the ones visible in every pod). */
export function defaultPodSpec(spec: JsonMap, restartPolicy?: string): void {
  if (restartPolicy !== undefined) spec.restartPolicy ??= restartPolicy;
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) cs.forEach(defaultContainer);
  }
}

function podSpecErrors(spec: unknown, field: string, job: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const s = isMap(spec) ? spec : {};
  const containers = s.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push({ type: 'FieldValueRequired', field: `${field}.containers`, detail: 'Required value' });
  } else {
    containers.forEach((c, i) => {
      if (!isMap(c) || typeof c.name !== 'string' || c.name === '') errors.push({ type: 'FieldValueRequired', field: `${field}.containers[${i}].name`, detail: 'Required value' });
      if (!isMap(c) || typeof c.image !== 'string' || c.image === '') errors.push({ type: 'FieldValueRequired', field: `${field}.containers[${i}].image`, detail: 'Required value' });
    });
  }
  if (job && s.restartPolicy !== 'OnFailure' && s.restartPolicy !== 'Never') {
    errors.push(
      s.restartPolicy === undefined
        ? { type: 'FieldValueRequired', field: `${field}.restartPolicy`, detail: 'Required value: valid values: "OnFailure", "Never"' }
        : { type: 'FieldValueNotSupported', field: `${field}.restartPolicy`, detail: `Unsupported value: ${goValue(s.restartPolicy)}: supported values: "OnFailure", "Never"` },
    );
  }
  return errors;
}

function defaultJobSpec(spec: JsonMap): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  const template = ensureMap(spec, 'template');
  defaultPodSpec(ensureMap(template, 'spec'));
}

/** Defaults applied on create (and update) of a built-in kind. `isCreate` adds the Job's generated selector. */
export function defaultBuiltin(resource: string, group: string, obj: KObject, isCreate: boolean): void {
  const spec = isMap(obj.spec) ? obj.spec : undefined;
  if (group === '' && resource === 'namespaces') {
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
    const s = ensureMap(obj, 'spec');
    s.finalizers ??= ['kubernetes'];
  }
  if (group === '' && resource === 'pods' && spec) defaultPodSpec(spec, 'Always');
  if (group === '' && resource === 'secrets') {
    if (!obj.type) obj.type = 'Opaque';
    if (isMap(obj.stringData)) {
      // stringData is write-only: merged into data as base64 and never stored.
      const data = ensureMap(obj, 'data');
      for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
      delete obj.stringData;
    }
  }
  if (group === 'batch' && resource === 'jobs' && spec) {
    defaultJobSpec(spec);
    if (isCreate && spec.manualSelector !== true) {
      const uid = obj.metadata.uid ?? '';
      const name = obj.metadata.name ?? '';
      spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const tmeta = ensureMap(ensureMap(spec, 'template'), 'metadata');
      tmeta.labels = {
        ...(isMap(tmeta.labels) ? tmeta.labels : {}),
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      };
    }
  }
  if (group === 'batch' && resource === 'cronjobs' && spec) {
    spec.concurrencyPolicy ??= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    const jt = ensureMap(spec, 'jobTemplate');
    const jspec = ensureMap(jt, 'spec');
    jspec.backoffLimit ??= 6;
    jspec.completionMode ??= 'NonIndexed';
    jspec.suspend ??= false;
    jspec.podReplacementPolicy ??= 'TerminatingOrFailed';
    defaultPodSpec(ensureMap(ensureMap(jspec, 'template'), 'spec'));
  }
}

/** Kind-specific validation; `old` is set on update. */
export function validateBuiltin(resource: string, group: string, obj: KObject, old: KObject | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isMap(obj.spec) ? obj.spec : {};
  const name = obj.metadata.name ?? '';
  if (group === '' && resource === 'pods') errors.push(...podSpecErrors(spec, 'spec', false));
  if (group === 'batch' && resource === 'jobs') {
    if (name.length > 63) {
      errors.push({ type: 'FieldValueInvalid', field: 'spec.template.labels', detail: `Invalid value: ${goValue(name)}: must be no more than 63 characters` });
    }
    errors.push(...podSpecErrors(isMap(spec.template) ? spec.template.spec : undefined, 'spec.template.spec', true));
    if (old) {
      const oldSpec = isMap(old.spec) ? old.spec : {};
      for (const f of ['template', 'selector', 'completions', 'completionMode']) {
        if (!deepEqual(oldSpec[f], spec[f])) {
          errors.push({ type: 'FieldValueInvalid', field: `spec.${f}`, detail: `Invalid value: ${goValue(spec[f])}: field is immutable` });
        }
      }
    }
  }
  if (group === 'batch' && resource === 'cronjobs') {
    if (name.length > 52) {
      errors.push({ type: 'FieldValueInvalid', field: 'metadata.name', detail: `Invalid value: ${goValue(name)}: must be no more than 52 characters` });
    }
    if (typeof spec.schedule !== 'string' || spec.schedule === '') errors.push({ type: 'FieldValueRequired', field: 'spec.schedule', detail: 'Required value' });
    const jt = isMap(spec.jobTemplate) && isMap(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
    errors.push(...podSpecErrors(isMap(jt.template) ? jt.template.spec : undefined, 'spec.jobTemplate.spec.template.spec', true));
  }
  if (group === 'coordination.k8s.io' && resource === 'leases') {
    const ld = spec.leaseDurationSeconds;
    if (ld !== undefined && (typeof ld !== 'number' || ld <= 0)) {
      errors.push({ type: 'FieldValueInvalid', field: 'spec.leaseDurationSeconds', detail: `Invalid value: ${goValue(ld)}: must be greater than 0` });
    }
  }
  return errors;
}
