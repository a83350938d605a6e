// JSON numbers exactly as written (docs/design.md, Compare semantics). DuckDB's JSON reader turns every number
// with a fraction into a binary double, so 0.123456789012345678 and ...677 become one
// value. This copies a JSON/NDJSON file with each number token turned into a string token
// of the same text, and reports which top-level record fields held only numbers; the
// runner then casts those columns to an exact DECIMAL (or keeps the text when wider than
// DECIMAL can hold). Streaming and single-pass, so large files stay cheap in memory.
// Numbers nested inside objects or arrays of a record are copied as strings too.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';

interface Frame {
  kind: 'object' | 'array';
  expectKey: boolean;
}

export interface ExactJsonResult {
  /** Record fields whose every non-null value was a number. */
  numericFields: string[];
}

function decodeKey(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Characters that may continue a JSON number token: digits, sign, point, exponent. */
function continuesNumber(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46 || code === 69 || code === 101;
}

export async function copyJsonExact(src: string, dest: string): Promise<ExactJsonResult> {
  const input = createReadStream(src);
  const stream = /\.gz$/i.test(src) ? input.pipe(createGunzip()) : input;
  stream.setEncoding('utf8');
  const out = createWriteStream(dest);
  const stack: Frame[] = [];
  const fieldKinds = new Map<string, 'number' | 'other'>();
  let inString = false;
  let escaped = false;
  let stringIsKey = false;
  let keyRaw = '';
  let keyFrom = 0;
  let lastKey: string | undefined;
  let inNumber = false;
  let valueField: string | undefined;

  const atRecord = () => {
    const top = stack[stack.length - 1];
    return top?.kind === 'object' && (stack.length === 1 || (stack.length === 2 && stack[0]!.kind === 'array'));
  };
  const note = (kind: 'number' | 'other') => {
    if (valueField === undefined) return;
    if (kind === 'other' || !fieldKinds.has(valueField)) fieldKinds.set(valueField, fieldKinds.get(valueField) === 'other' ? 'other' : kind);
    valueField = undefined;
  };

  for await (const chunk of stream as AsyncIterable<string>) {
    // The output is the input with a quote before and after each number: copy slices.
    const parts: string[] = [];
    let from = 0;
    let backslash = -1;
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (code === 92) escaped = true;
        else if (code === 34) {
          inString = false;
          if (stringIsKey) {
            keyRaw += chunk.slice(keyFrom, i);
            lastKey = keyRaw.includes('\\') ? decodeKey(keyRaw) : keyRaw;
          }
          stringIsKey = false;
          continue;
        } else {
          // Skip ahead to the next quote or backslash: string bodies are most of the text.
          const q = chunk.indexOf('"', i + 1);
          // The next backslash is remembered: searching again per string would scan the rest
          // of a chunk without any each time.
          if (backslash <= i) backslash = chunk.indexOf('\\', i + 1) >>> 0;
          const next = Math.min(q < 0 ? chunk.length : q, backslash);
          i = next - 1;
        }
        continue;
      }
      if (inNumber) {
        if (continuesNumber(code)) continue;
        parts.push(chunk.slice(from, i), '"');
        from = i;
        inNumber = false;
        note('number');
      }
      const top = stack[stack.length - 1];
      if (code === 34) {
        inString = true;
        if (top?.kind === 'object' && top.expectKey) {
          stringIsKey = true;
          keyRaw = '';
          keyFrom = i + 1;
        } else note('other');
      } else if (code === 45 || (code >= 48 && code <= 57)) {
        parts.push(chunk.slice(from, i), '"');
        from = i;
        inNumber = true;
      } else if (code === 123 || code === 91) {
        note('other');
        stack.push({ kind: code === 123 ? 'object' : 'array', expectKey: code === 123 });
      } else if (code === 125 || code === 93) {
        stack.pop();
      } else if (code === 58) {
        if (top) top.expectKey = false;
        valueField = atRecord() ? lastKey : undefined;
      } else if (code === 44) {
        if (top?.kind === 'object') top.expectKey = true;
        valueField = undefined;
      } else if (code === 116 || code === 102) {
        // true / false make the field non-numeric; null (n) leaves it as it was.
        note('other');
      } else if (code === 110) {
        valueField = undefined;
      }
    }
    parts.push(chunk.slice(from));
    if (inString && stringIsKey) {
      // A key split across chunks: keep what this chunk holds of it.
      keyRaw += chunk.slice(keyFrom);
      keyFrom = 0;
    }
    if (!out.write(parts.join(''))) await once(out, 'drain');
  }
  if (inNumber) {
    out.write('"');
    note('number');
  }
  out.end();
  await once(out, 'finish');
  return { numericFields: [...fieldKinds].filter(([, k]) => k === 'number').map(([f]) => f) };
}
