// The JSON copy that keeps numbers exact: token rewriting and field detection.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyJsonExact } from './json-exact.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raas-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copy(text: string | Buffer, name = 'in.json'): Promise<{ text: string; numericFields: string[] }> {
  const src = join(dir, name);
  const dest = join(dir, `${name}.out`);
  await writeFile(src, text);
  const r = await copyJsonExact(src, dest);
  return { text: await readFile(dest, 'utf8'), numericFields: r.numericFields.sort() };
}

describe('copyJsonExact', () => {
  it('turns every number token into a string of the same text, and nothing else', async () => {
    const input = '[{"id": 123456789012345678901234567890, "a": -0.123456789012345678e-3, "s": "1, \\"2\\" 3", "b": true, "n": null, "o": {"x": 1.50}, "l": [1, 2]}]';
    const r = await copy(input);
    expect(r.text).toBe('[{"id": "123456789012345678901234567890", "a": "-0.123456789012345678e-3", "s": "1, \\"2\\" 3", "b": true, "n": null, "o": {"x": "1.50"}, "l": ["1", "2"]}]');
    expect(JSON.parse(r.text)).toBeTruthy();
    expect(r.numericFields).toEqual(['a', 'id']);
  });

  it('NDJSON: a field is numeric only when every record has a number or null there', async () => {
    const r = await copy('{"a": 1, "b": 2, "c\\u0041": 3}\n{"a": null, "b": "x", "cA": 4}\n{"a": 5, "b": 6}\n', 'in.ndjson');
    expect(r.numericFields).toEqual(['a', 'cA']);
    expect(r.text.split('\n')[0]).toBe('{"a": "1", "b": "2", "c\\u0041": "3"}');
  });

  it('reads .gz and keeps tokens split across chunks intact', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `{"key_${i % 7}": ${i}.${String(i).padStart(5, '0')}, "t": "${'x'.repeat(i % 13)}\\\\"}`).join('\n');
    const r = await copy(gzipSync(rows), 'big.json.gz');
    const lines = r.text.split('\n');
    expect(lines).toHaveLength(20_000);
    lines.forEach((l, i) => expect(JSON.parse(l)).toEqual({ [`key_${i % 7}`]: `${i}.${String(i).padStart(5, '0')}`, t: `${'x'.repeat(i % 13)}\\` }));
    expect(r.numericFields).toEqual(Array.from({ length: 7 }, (_, i) => `key_${i}`).sort());
  });
});
