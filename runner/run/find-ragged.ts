// Finds the first ragged line of a CSV input, for a one-line load error when DuckDB's
// sniffer gave up without saying where (compare/load-errors.ts formats the message).
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { firstRaggedLine } from '../compare/load-errors.ts';

/** The first ragged line of the first file that has one (reads at most 64 MiB of each, decompressing .gz). */
export async function findRagged(files: string[], delimiter: string, quote: string): Promise<{ file: string; line: number; fields: number; expected: number } | undefined> {
  for (const file of files) {
    const chunks: Buffer[] = [];
    let size = 0;
    const input = createReadStream(file);
    const stream = /\.gz$/i.test(file) ? input.pipe(createGunzip()) : input;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > 64 * 1024 * 1024) break;
      }
    } catch {
      continue;
    } finally {
      input.destroy();
    }
    const found = firstRaggedLine(Buffer.concat(chunks).toString('utf8'), delimiter, quote);
    if (found) return { file, ...found };
  }
  return undefined;
}
