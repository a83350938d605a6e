// kubectl's typed generators (`kubectl create namespace|configmap|secret|serviceaccount`)
// send request bodies as Kubernetes protobuf, not JSON. This decodes that envelope for
// those few kinds (field numbers from the k8s.io/api types' protobuf tags); any other kind
// is refused with 415 so the caller knows to use `kubectl apply -f` instead.
import { isMap, statusError, type JsonMap } from './types.ts';

interface Field {
  no: number;
  /** varint value, or the bytes of a length-delimited field. */
  value: bigint | Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos);
    pos = p;
    const no = Number(tag >> 3n);
    const wt = Number(tag & 7n);
    if (wt === 0) {
      const [v, p2] = readVarint(buf, pos);
      out.push({ no, value: v });
      pos = p2;
    } else if (wt === 2) {
      const [len, p2] = readVarint(buf, pos);
      out.push({ no, value: buf.subarray(p2, p2 + Number(len)) });
      pos = p2 + Number(len);
    } else if (wt === 1) {
      pos += 8;
    } else if (wt === 5) {
      pos += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wt}`);
    }
  }
  return out;
}

const text = (v: bigint | Uint8Array): string => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v));
const bytes = (v: bigint | Uint8Array): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array());

function mapEntry(v: bigint | Uint8Array, asBase64: boolean): [string, string] {
  let key = '';
  let value = '';
  for (const f of fields(bytes(v))) {
    if (f.no === 1) key = text(f.value);
    if (f.no === 2) value = asBase64 ? Buffer.from(bytes(f.value)).toString('base64') : text(f.value);
  }
  return [key, value];
}

function addTo(obj: JsonMap, key: string, entry: [string, string]): void {
  const m = isMap(obj[key]) ? obj[key] : {};
  m[entry[0]] = entry[1];
  obj[key] = m;
}

function objectMeta(buf: Uint8Array): JsonMap {
  const m: JsonMap = {};
  const strings: Record<number, string> = { 1: 'name', 2: 'generateName', 3: 'namespace', 5: 'uid', 6: 'resourceVersion' };
  for (const f of fields(buf)) {
    const s = strings[f.no];
    if (s) m[s] = text(f.value);
    else if (f.no === 11) addTo(m, 'labels', mapEntry(f.value, false));
    else if (f.no === 12) addTo(m, 'annotations', mapEntry(f.value, false));
    else if (f.no === 14) m.finalizers = [...(Array.isArray(m.finalizers) ? m.finalizers : []), text(f.value)];
    else if (f.no === 13) {
      const ref: JsonMap = {};
      for (const r of fields(bytes(f.value))) {
        if (r.no === 5) ref.apiVersion = text(r.value);
        if (r.no === 1) ref.kind = text(r.value);
        if (r.no === 3) ref.name = text(r.value);
        if (r.no === 4) ref.uid = text(r.value);
        if (r.no === 6) ref.controller = r.value === 1n;
        if (r.no === 7) ref.blockOwnerDeletion = r.value === 1n;
      }
      m.ownerReferences = [...(Array.isArray(m.ownerReferences) ? m.ownerReferences : []), ref];
    }
  }
  return m;
}

const PROTOBUF_MAGIC = [0x6b, 0x38, 0x73, 0x00];

export function decodeProtobuf(raw: Buffer): JsonMap {
  if (!PROTOBUF_MAGIC.every((b, i) => raw[i] === b)) throw statusError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  let apiVersion = '';
  let kind = '';
  let payload: Uint8Array = new Uint8Array();
  for (const f of fields(raw.subarray(4))) {
    if (f.no === 1) {
      for (const t of fields(bytes(f.value))) {
        if (t.no === 1) apiVersion = text(t.value);
        if (t.no === 2) kind = text(t.value);
      }
    }
    if (f.no === 2) payload = bytes(f.value);
  }
  const obj: JsonMap = { apiVersion, kind };
  const supported = apiVersion === 'v1' && ['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount'].includes(kind);
  if (!supported) {
    throw statusError(
      415,
      'UnsupportedMediaType',
      `this test server decodes protobuf only for v1 Namespace, ConfigMap, Secret and ServiceAccount, not ${apiVersion} ${kind}; send JSON (kubectl apply/create -f) instead`,
    );
  }
  for (const f of fields(payload)) {
    if (f.no === 1) {
      obj.metadata = objectMeta(bytes(f.value));
      continue;
    }
    switch (kind) {
      case 'Namespace':
        if (f.no === 2) {
          const finalizers = fields(bytes(f.value)).filter((x) => x.no === 1).map((x) => text(x.value));
          obj.spec = finalizers.length ? { finalizers } : {};
        }
        break;
      case 'ConfigMap':
        if (f.no === 2) addTo(obj, 'data', mapEntry(f.value, false));
        if (f.no === 3) addTo(obj, 'binaryData', mapEntry(f.value, true));
        if (f.no === 4) obj.immutable = f.value === 1n;
        break;
      case 'Secret':
        if (f.no === 2) addTo(obj, 'data', mapEntry(f.value, true));
        if (f.no === 3) obj.type = text(f.value);
        if (f.no === 4) addTo(obj, 'stringData', mapEntry(f.value, false));
        if (f.no === 5) obj.immutable = f.value === 1n;
        break;
      case 'ServiceAccount':
        if (f.no === 4) obj.automountServiceAccountToken = f.value === 1n;
        break;
    }
  }
  return obj;
}
