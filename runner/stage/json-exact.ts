// JSON numbers exactly as written (DESIGN §5). DuckDB's JSON reader turns every number
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

const NUMBER_CHARS = /[0-9+\-.eE]/;

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
  let lastKey: string | undefined;
  let number = '';
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
    let outText = '';
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (inString) {
        outText += c;
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') {
          inString = false;
          if (stringIsKey) {
            try {
              lastKey = JSON.parse(`"${keyRaw}"`) as string;
            } catch {
              lastKey = keyRaw;
            }
          }
          stringIsKey = false;
          continue;
        }
        if (stringIsKey) keyRaw += c;
        continue;
      }
      if (number) {
        if (NUMBER_CHARS.test(c)) {
          number += c;
          continue;
        }
        outText += `"${number}"`;
        number = '';
        note('number');
      }
      const top = stack[stack.length - 1];
      if (c === '"') {
        inString = true;
        if (top?.kind === 'object' && top.expectKey) {
          stringIsKey = true;
          keyRaw = '';
        } else note('other');
        outText += c;
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        number = c;
      } else if (c === '{' || c === '[') {
        note('other');
        stack.push({ kind: c === '{' ? 'object' : 'array', expectKey: c === '{' });
        outText += c;
      } else if (c === '}' || c === ']') {
        stack.pop();
        outText += c;
      } else if (c === ':') {
        if (top) top.expectKey = false;
        valueField = atRecord() ? lastKey : undefined;
        outText += c;
      } else if (c === ',') {
        if (top?.kind === 'object') top.expectKey = true;
        valueField = undefined;
        outText += c;
      } else {
        // true / false / null and whitespace: a boolean makes the field non-numeric.
        if (c === 't' || c === 'f') note('other');
        else if (c === 'n') valueField = undefined;
        outText += c;
      }
    }
    if (!out.write(outText)) await once(out, 'drain');
  }
  if (number) {
    out.write(`"${number}"`);
    note('number');
  }
  out.end();
  await once(out, 'finish');
  return { numericFields: [...fieldKinds].filter(([, k]) => k === 'number').map(([f]) => f) };
}
