// Server-side printing: the meta.k8s.io/v1 Table kubectl asks for on `kubectl get`, built
// from a CRD's additionalPrinterColumns (as the apiextensions server does) or from a small
// printer per built-in kind.
import type { PrinterColumn, ResourceInfo } from './resources.ts';
import { isMap, type JsonMap, type KObject } from './types.ts';

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, which is what AGE columns show. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
}

type Step = { field: string } | { index: number } | { all: true } | { filter: string[]; op: '==' | '!='; value: unknown };

/** Parses the JSONPath subset printer columns use: `.a.b`, `['k']`, `[0]`, `[*]`, `[?(@.x=="y")]`. */
export function parseJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === '.') {
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        name += s[i];
        i++;
      }
      if (name === '*') steps.push({ all: true });
      else if (name !== '') steps.push({ field: name });
    } else if (ch === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated [ in ${expr}`);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      const quoted = /^['"](.*)['"]$/.exec(inner);
      const filter = /^\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(.+)\)$/.exec(inner);
      if (quoted) steps.push({ field: quoted[1] ?? '' });
      else if (inner === '*') steps.push({ all: true });
      else if (/^-?\d+$/.test(inner)) steps.push({ index: Number(inner) });
      else if (filter) {
        const raw = (filter[3] ?? '').trim();
        const value: unknown = /^['"].*['"]$/.test(raw) ? raw.slice(1, -1) : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
        steps.push({ filter: (filter[1] ?? '').split('.').filter(Boolean), op: filter[2] === '!=' ? '!=' : '==', value });
      } else throw new Error(`unsupported JSONPath segment [${inner}] in ${expr}`);
    } else {
      throw new Error(`unsupported JSONPath ${expr}`);
    }
  }
  return steps;
}

export function evalJsonPath(obj: unknown, expr: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const step of parseJsonPath(expr)) {
    const next: unknown[] = [];
    for (const v of cur) {
      if ('field' in step) {
        if (isMap(v) && v[step.field] !== undefined) next.push(v[step.field]);
      } else if ('index' in step) {
        if (Array.isArray(v)) {
          const x = v[step.index < 0 ? v.length + step.index : step.index];
          if (x !== undefined) next.push(x);
        }
      } else if ('all' in step) {
        if (Array.isArray(v)) next.push(...v);
        else if (isMap(v)) next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          let x: unknown = item;
          for (const f of step.filter) x = isMap(x) ? x[f] : undefined;
          if ((x === step.value || String(x) === String(step.value)) === (step.op === '==')) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}

function printValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** apiextensions-apiserver tableconvertor.cellForJSONValue. */
function crCell(col: PrinterColumn, obj: KObject, now: number): unknown {
  let results: unknown[];
  try {
    results = evalJsonPath(obj, col.jsonPath);
  } catch {
    return null;
  }
  const v = results[0];
  if (v === undefined || v === null) return null;
  switch (col.type) {
    case 'string':
      return printValue(v);
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      return typeof v === 'string' ? age(v, now) : null;
  }
  return null;
}

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

function colDef(name: string, type: string, description: string, extra: { format?: string; priority?: number } = {}): ColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

const NAME_COL = colDef('Name', 'string', 'Name must be unique within a namespace.', { format: 'name' });
const AGE_COL = colDef('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

interface Printer {
  columns: ColumnDefinition[];
  cells(obj: KObject, now: number): unknown[];
}

function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isMap(cur) ? cur[p] : undefined;
  return cur;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

const builtinPrinters: Record<string, Printer> = {
  namespaces: {
    columns: [NAME_COL, colDef('Status', 'string', 'The status of the namespace'), AGE_COL],
    cells: (o, now) => [o.metadata.name, get(o, 'status', 'phase') ?? 'Active', age(o.metadata.creationTimestamp, now)],
  },
  pods: {
    columns: [
      NAME_COL,
      colDef('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      colDef('Status', 'string', 'The aggregate status of the containers in this pod.'),
      colDef('Restarts', 'string', 'The number of times the containers in this pod have been restarted.'),
      AGE_COL,
    ],
    cells: (o, now) => {
      const containers = get(o, 'spec', 'containers');
      const statuses = get(o, 'status', 'containerStatuses');
      const list = Array.isArray(statuses) ? statuses : [];
      const ready = list.filter((c) => get(c, 'ready') === true).length;
      const restarts = list.reduce((n: number, c) => n + num(get(c, 'restartCount')), 0);
      const total = Array.isArray(containers) ? containers.length : 0;
      return [o.metadata.name, `${ready}/${total}`, get(o, 'status', 'reason') ?? get(o, 'status', 'phase') ?? 'Pending', String(restarts), age(o.metadata.creationTimestamp, now)];
    },
  },
  jobs: {
    columns: [
      NAME_COL,
      colDef('Status', 'string', 'Status of the job.'),
      colDef('Completions', 'string', 'The desired number of successfully finished pods the job should be run with.'),
      colDef('Duration', 'string', 'Time required to complete the job.'),
      AGE_COL,
    ],
    cells: (o, now) => {
      const conds = get(o, 'status', 'conditions');
      const isTrue = (t: string): boolean => Array.isArray(conds) && conds.some((c) => get(c, 'type') === t && get(c, 'status') === 'True');
      const status = isTrue('Complete') ? 'Complete' : isTrue('Failed') ? 'Failed' : isTrue('Suspended') ? 'Suspended' : 'Running';
      const start = get(o, 'status', 'startTime');
      const end = get(o, 'status', 'completionTime');
      const duration = typeof start === 'string' ? humanDuration((typeof end === 'string' ? Date.parse(end) : now) - Date.parse(start)) : '';
      const completions = get(o, 'spec', 'completions');
      return [o.metadata.name, status, `${num(get(o, 'status', 'succeeded'))}/${typeof completions === 'number' ? completions : 1}`, duration, age(o.metadata.creationTimestamp, now)];
    },
  },
  cronjobs: {
    columns: [
      NAME_COL,
      colDef('Schedule', 'string', 'The schedule in Cron format.'),
      colDef('Timezone', 'string', 'The time zone name for the given schedule.'),
      colDef('Suspend', 'boolean', 'Whether subsequent executions are suspended.'),
      colDef('Active', 'integer', 'A list of pointers to currently running jobs.'),
      colDef('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
      AGE_COL,
    ],
    cells: (o, now) => {
      const active = get(o, 'status', 'active');
      const last = get(o, 'status', 'lastScheduleTime');
      return [
        o.metadata.name,
        get(o, 'spec', 'schedule') ?? '',
        get(o, 'spec', 'timeZone') ?? '<none>',
        get(o, 'spec', 'suspend') === true,
        Array.isArray(active) ? active.length : 0,
        typeof last === 'string' ? age(last, now) : '<none>',
        age(o.metadata.creationTimestamp, now),
      ];
    },
  },
};

const defaultPrinter: Printer = {
  columns: [NAME_COL, AGE_COL],
  cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
};

function printerFor(info: ResourceInfo, columns: PrinterColumn[] | undefined): Printer {
  if (info.crdName !== undefined && columns) {
    return {
      columns: [
        NAME_COL,
        ...columns.map((c) =>
          colDef(c.name, c.type, c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, {
            format: c.format ?? '',
            priority: c.priority ?? 0,
          }),
        ),
      ],
      cells: (o, now) => [o.metadata.name, ...columns.map((c) => crCell(c, o, now))],
    };
  }
  return builtinPrinters[info.resource] ?? defaultPrinter;
}

export type IncludeObject = 'None' | 'Object' | 'Metadata';

export function partialObjectMetadata(obj: KObject): JsonMap {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(
  info: ResourceInfo,
  columns: PrinterColumn[] | undefined,
  objects: KObject[],
  listMeta: JsonMap,
  include: IncludeObject,
  withHeaders = true,
): JsonMap {
  const printer = printerFor(info, columns);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders ? printer.columns : [],
    rows: objects.map((o) => {
      const row: JsonMap = { cells: printer.cells(o, now) };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = partialObjectMetadata(o);
      return row;
    }),
  };
}
