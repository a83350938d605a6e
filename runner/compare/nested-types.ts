// Nested column types as DuckDB writes them (`STRUCT(x VARCHAR, "a b" BIGINT)[]`,
// `MAP(VARCHAR, STRUCT(...))`). A JSON object has no field order (RFC 8259), but DuckDB's
// JSON reader gives a struct its fields in the order it first meets them, and Spark's in
// the order of their names: the same object read from two files could compare unequal on
// one engine and equal on the other. Reading every JSON struct with its fields in name
// order, as Spark does, gives both engines one answer.

/** Whether a type (DuckDB's or Spark's spelling) holds a struct, list or map: compared as a whole, as JSON text. */
export function isNestedType(type: string): boolean {
  return /\[\d*\]$|^(STRUCT|MAP|UNION)\s*\(|^(ARRAY|STRUCT|MAP)\s*</i.test(type.trim());
}

/**
 * `type` with the fields of every struct in it, at any depth, in name order (UTF-16 code
 * units, as Spark sorts them). Anything else in the text is kept as written.
 */
export function sortStructFields(type: string): string {
  let out = '';
  let i = 0;
  while (i < type.length) {
    const rest = type.slice(i);
    const atWord = i === 0 || !/[A-Za-z0-9_"]/.test(type[i - 1]!);
    if (atWord && /^STRUCT\(/i.test(rest)) {
      const open = i + 'STRUCT'.length;
      const close = matchingParen(type, open);
      const fields = splitTopLevel(type.slice(open + 1, close)).map(parseField);
      fields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      out += `${type.slice(i, open)}(${fields.map((f) => `${f.written} ${sortStructFields(f.type)}`).join(', ')})`;
      i = close + 1;
    } else if (type[i] === '"') {
      const end = quotedEnd(type, i);
      out += type.slice(i, end + 1);
      i = end + 1;
    } else {
      out += type[i];
      i++;
    }
  }
  return out;
}

/** The index of the `)` closing the `(` at `open`, skipping quoted names. */
function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"') i = quotedEnd(s, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error(`internal: unbalanced parentheses in the type ${s}`);
}

/** The index of the `"` closing the quoted name starting at `start` (`""` is a quote inside it). */
function quotedEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] !== '"') continue;
    if (s[i + 1] === '"') i++;
    else return i;
  }
  throw new Error(`internal: unclosed quote in the type ${s}`);
}

/** Splits at the commas outside parentheses, brackets and quotes. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') i = quotedEnd(s, i);
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(s.slice(from));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** A struct field `name TYPE` or `"quoted name" TYPE`: its name, the name as written, its type. */
function parseField(text: string): { name: string; written: string; type: string } {
  if (text.startsWith('"')) {
    const end = quotedEnd(text, 0);
    return { name: text.slice(1, end).replaceAll('""', '"'), written: text.slice(0, end + 1), type: text.slice(end + 1).trim() };
  }
  const space = text.indexOf(' ');
  if (space < 0) throw new Error(`internal: a struct field without a type: ${text}`);
  return { name: text.slice(0, space), written: text.slice(0, space), type: text.slice(space + 1).trim() };
}
