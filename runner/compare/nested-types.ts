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

/** A DuckDB type, parsed as far as nesting goes: the leaves keep their text. */
export type DuckType =
  | { kind: 'struct'; fields: Array<{ name: string; written: string; type: DuckType }> }
  | { kind: 'list'; of: DuckType }
  | { kind: 'map'; key: DuckType; value: DuckType }
  | { kind: 'scalar'; text: string };

/** Parses DuckDB's type text (`STRUCT("a b" INTEGER)[]`, `MAP(VARCHAR, BIGINT[])`, ...). */
export function parseDuckType(text: string): DuckType {
  const type = text.trim();
  const suffix = lastTopLevelBracket(type);
  if (suffix > 0) return { kind: 'list', of: parseDuckType(type.slice(0, suffix)) };
  const struct = /^STRUCT\s*\(/i.exec(type);
  if (struct) {
    const open = struct[0].length - 1;
    const fields = splitTopLevel(type.slice(open + 1, matchingParen(type, open))).map(parseField);
    return { kind: 'struct', fields: fields.map((f) => ({ ...f, type: parseDuckType(f.type) })) };
  }
  const map = /^MAP\s*\(/i.exec(type);
  if (map) {
    const open = map[0].length - 1;
    const [key, value, ...rest] = splitTopLevel(type.slice(open + 1, matchingParen(type, open)));
    if (key === undefined || value === undefined || rest.length > 0) throw new Error(`internal: a MAP type without a key and a value type: ${type}`);
    return { kind: 'map', key: parseDuckType(key), value: parseDuckType(value) };
  }
  return { kind: 'scalar', text: type };
}

/**
 * A DuckDB expression giving `expr` (of type `type`) with the entries of every map in it, at
 * any depth, in key order; undefined when `type` holds no map. A map has no order that means
 * anything, yet a Parquet file keeps its writer's and JSON text follows it: `{x: 1, y: 2}`
 * written in another order on each side would compare unequal. Spark's driver sorts its maps
 * the same way (keys compare as bytes on both engines).
 */
export function mapsInKeyOrderSql(expr: string, type: DuckType, depth = 0): string | undefined {
  switch (type.kind) {
    case 'scalar':
      return undefined;
    case 'map': {
      const entry = `__raas_e${depth}`;
      const key = mapsInKeyOrderSql(`${entry}.key`, type.key, depth + 1);
      const value = mapsInKeyOrderSql(`${entry}.value`, type.value, depth + 1);
      const entries =
        key === undefined && value === undefined
          ? `map_entries(${expr})`
          : `list_transform(map_entries(${expr}), lambda ${entry}: struct_pack(key := ${key ?? `${entry}.key`}, value := ${value ?? `${entry}.value`}))`;
      return `map_from_entries(list_sort(${entries}))`;
    }
    case 'list': {
      const element = `__raas_x${depth}`;
      const inner = mapsInKeyOrderSql(element, type.of, depth + 1);
      return inner === undefined ? undefined : `list_transform(${expr}, lambda ${element}: ${inner})`;
    }
    case 'struct': {
      const fields = type.fields.map((f) => {
        const value = `struct_extract(${expr}, '${f.name.replaceAll("'", "''")}')`;
        return { written: f.written, value, sorted: mapsInKeyOrderSql(value, f.type, depth + 1) };
      });
      if (fields.every((f) => f.sorted === undefined)) return undefined;
      // struct_pack of a NULL struct's fields would be a struct of NULLs, another value.
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${fields.map((f) => `${f.written} := ${f.sorted ?? f.value}`).join(', ')}) END`;
    }
  }
}

/**
 * How a nested column is read so that equal values compare equal whatever order their
 * writers gave them: struct fields in name order, map entries in key order. Undefined when
 * the column is read as it is.
 */
export function nestedInOrderSql(expr: string, type: string): string | undefined {
  const sorted = sortStructFields(type);
  const cast = sorted === type ? expr : `CAST(${expr} AS ${sorted})`;
  const maps = mapsInKeyOrderSql(cast, parseDuckType(sorted));
  // A rebuilt list is a LIST even where the file had a fixed-size ARRAY: cast back to the type.
  if (maps !== undefined) return `CAST(${maps} AS ${sorted})`;
  return sorted === type ? undefined : cast;
}

/** The index of the last `[` outside parentheses and quotes that opens a list suffix (0 or less when none). */
function lastTopLevelBracket(s: string): number {
  if (!s.endsWith(']')) return -1;
  let depth = 0;
  let last = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') i = quotedEnd(s, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '[' && depth === 0) last = i;
  }
  return last;
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
