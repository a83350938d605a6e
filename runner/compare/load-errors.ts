// Turns DuckDB's long CSV reader errors (often 1,500 characters with a dump of the
// sniffer's settings) into one line naming the file, the line and the fix. Pure.
import { basename } from 'node:path';

/** The first line (1-based, counting the header) whose field count differs from the header's, quote-aware. */
export function firstRaggedLine(text: string, delimiter: string, quote: string): { line: number; fields: number; expected: number } | undefined {
  let line = 1;
  let fields = 1;
  let expected: number | undefined;
  let inQuotes = false;
  let empty = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === quote) {
        if (text[i + 1] === quote) i++;
        else inQuotes = false;
      } else if (c === '\n') line++;
      continue;
    }
    if (c === quote) {
      inQuotes = true;
      empty = false;
    } else if (c === delimiter) {
      fields++;
      empty = false;
    } else if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      if (!empty) {
        if (expected === undefined) expected = fields;
        else if (fields !== expected) return { line, fields, expected };
      }
      line++;
      fields = 1;
      empty = true;
    } else if (c !== '\r') empty = false;
  }
  if (!empty && expected !== undefined && fields !== expected) return { line, fields, expected };
  return undefined;
}

/**
 * One line for a CSV read failure, or undefined when the message is not one. `field` is
 * the side's spec path (e.g. spec.left), `ragged` what firstRaggedLine found, if run.
 */
export function describeCsvError(message: string, field: string, ragged?: { file: string; line: number; fields: number; expected: number }): string | undefined {
  const file = /file = (\S+)/.exec(message)?.[1] ?? /file "([^"]+)"/.exec(message)?.[1];
  const name = file ? basename(file) : 'the file';
  const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
  const layout = `set ${field}.csv.delimiter, quote or header if the file does not use ",", '"' and a header line`;
  if (/Invalid unicode|not utf-8 encoded/i.test(message)) {
    return `${field}.uri: ${name}${line ? ` line ${line}` : ''} is not UTF-8 text; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)`;
  }
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  if (counts && line) return `${field}.uri: ${name} line ${line} has ${counts[2]} field(s) where the header has ${counts[1]}; fix that line, or ${layout}`;
  if (ragged) return `${field}.uri: ${basename(ragged.file)} line ${ragged.line} has ${ragged.fields} field(s) where the header has ${ragged.expected}; fix that line, or ${layout}`;
  if (/sniffing file|detect the CSV parsing dialect/i.test(message)) return `${field}.uri: cannot tell how ${name} is laid out; ${layout}`;
  const converting = /Error when converting column "((?:[^"]|"")*)"\. Could not convert string "((?:[^"]|"")*)" to '([^']+)'/.exec(message);
  if (converting && line) {
    // The reader typed the column from the file's first rows; a later value does not fit.
    return `${field}.uri: ${name} line ${line}: column "${converting[1]}" holds "${(converting[2] ?? "").slice(0, 80)}", which is not a ${converting[3]} like the values before it (the type is read from the first rows of the file); correct the value in the file`;
  }
  if (line) {
    const reason = message.split(' | ').find((p) => p && !/^(Invalid Input Error: |Conversion Error: )?CSV Error on Line|^Original Line/.test(p)) ?? 'cannot be read';
    return `${field}.uri: ${name} line ${line}: ${reason.slice(0, 200)}`;
  }
  return undefined;
}
