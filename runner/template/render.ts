// `{{ name }}` templates for URIs and SQL. Pure functions, no I/O.
//
// Rendering is a single left-to-right pass that never rescans inserted values, so a
// value containing `{{` is inserted literally. In SQL, values only ever appear as
// quoted, escaped string literals: the template author cannot splice raw text, which
// is what keeps job names and window bounds from becoming SQL.
import type { ReconWindow } from '../window/window.ts';

export type TemplateVars = Readonly<Record<string, string>>;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export function templateVars(input: {
  window: ReconWindow;
  jobName: string;
  jobNamespace: string;
  runName: string;
}): TemplateVars {
  return Object.freeze({
    'window.start': input.window.start,
    'window.end': input.window.end,
    'window.startDate': input.window.startDate,
    'window.endDate': input.window.endDate,
    'job.name': input.jobName,
    'job.namespace': input.jobNamespace,
    'run.name': input.runName,
  });
}

/** Renders a template whose values are inserted as plain text (URIs, paths). */
export function renderText(template: string, vars: TemplateVars, field: string): string {
  let out = '';
  let pos = 0;
  for (;;) {
    const open = template.indexOf('{{', pos);
    if (open < 0) return out + template.slice(pos);
    const ph = readPlaceholder(template, open, field);
    out += template.slice(pos, open) + lookup(ph, vars, template, field);
    pos = ph.end;
  }
}

/** Renders SQL; every value becomes a quoted, escaped string literal. */
export function renderSql(template: string, vars: TemplateVars, field: string): string {
  return renderSqlWith(template, vars, field, sqlStringLiteral);
}

export interface BoundSql {
  sql: string;
  /** Values for the placeholders, in order. */
  params: string[];
}

/**
 * Renders SQL for a database that runs it itself (postgres://, mysql:// sources): every
 * value becomes a bind parameter ($1, $2... or ?), never text in the statement. The same
 * checks as renderSql apply (no placeholders inside quotes or comments).
 */
export function renderSqlBound(template: string, vars: TemplateVars, field: string, style: 'dollar' | 'question'): BoundSql {
  const params: string[] = [];
  const sql = renderSqlWith(template, vars, field, (value) => {
    params.push(value);
    return style === 'dollar' ? `$${params.length}` : '?';
  });
  return { sql, params };
}

function renderSqlWith(template: string, vars: TemplateVars, field: string, emit: (value: string) => string): string {
  let out = '';
  let pos = 0;
  let i = 0;
  const n = template.length;
  const copyThrough = (end: number): void => {
    out += template.slice(pos, end);
    pos = end;
  };

  while (i < n) {
    if (template.startsWith('{{', i)) {
      copyThrough(i);
      const ph = readPlaceholder(template, i, field);
      out += emit(lookup(ph, vars, template, field));
      i = pos = ph.end;
      continue;
    }
    const c = template[i];
    const prevIsIdent = i > 0 && IDENT_CHAR.test(template[i - 1] ?? '');
    let end: number | undefined;
    let kind: 'string' | 'identifier' | 'comment' | undefined;
    if (c === "'") {
      end = endOfQuoted(template, i + 1, "'", false);
      kind = 'string';
    } else if ((c === 'e' || c === 'E') && template[i + 1] === "'" && !prevIsIdent) {
      end = endOfQuoted(template, i + 2, "'", true);
      kind = 'string';
    } else if (c === '"') {
      end = endOfQuoted(template, i + 1, '"', false);
      kind = 'identifier';
    } else if (c === '$' && !prevIsIdent) {
      const tag = DOLLAR_TAG.exec(template.slice(i))?.[0];
      if (tag !== undefined) {
        const close = template.indexOf(tag, i + tag.length);
        end = close < 0 ? n : close + tag.length;
        kind = 'string';
      }
    } else if (template.startsWith('--', i)) {
      const nl = template.indexOf('\n', i);
      end = nl < 0 ? n : nl;
      kind = 'comment';
    } else if (template.startsWith('/*', i)) {
      end = endOfBlockComment(template, i);
      kind = 'comment';
    }

    if (end === undefined || kind === undefined) {
      i++;
      continue;
    }
    checkQuotedRegion(template, i, end, kind, vars, field);
    i = end;
  }
  copyThrough(n);
  return out;
}

/** A standard SQL string literal: single quotes doubled, backslashes literal. */
export function sqlStringLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

// ---------------------------------------------------------------------------------------

interface Placeholder {
  name: string;
  /** Index of the opening `{{`. */
  start: number;
  /** Index just past the closing `}}`. */
  end: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const IDENT_CHAR = /[A-Za-z0-9_$]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;
// Inside SQL quotes, `{{` followed by a name (or a closing `}}`) is taken as an attempted
// placeholder; other `{{` (JSON, regexes) are left alone as string content.
const PLACEHOLDER_ATTEMPT = /^\{\{\s*(?:[A-Za-z_]|\}\})/;
const EXAMPLE = '{{ window.startDate }}';

function readPlaceholder(template: string, start: number, field: string): Placeholder {
  const close = template.indexOf('}}', start + 2);
  const nextOpen = template.indexOf('{{', start + 2);
  if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
    throw new TemplateError(
      `${field}: unclosed "{{" at ${position(template, start)}; close it with "}}", e.g. ${EXAMPLE}`,
      field,
    );
  }
  const name = template.slice(start + 2, close).trim();
  const raw = template.slice(start, close + 2);
  if (name === '') {
    throw new TemplateError(
      `${field}: empty placeholder ${JSON.stringify(raw)} at ${position(template, start)}; put a variable name inside, e.g. ${EXAMPLE}`,
      field,
    );
  }
  if (!NAME.test(name)) {
    throw new TemplateError(
      `${field}: invalid placeholder ${JSON.stringify(snippet(raw))} at ${position(template, start)}; a placeholder holds exactly one variable name, e.g. ${EXAMPLE}`,
      field,
    );
  }
  return { name, start, end: close + 2 };
}

function lookup(ph: Placeholder, vars: TemplateVars, template: string, field: string): string {
  // hasOwn, so that names such as `constructor` cannot resolve through the prototype.
  const value = Object.hasOwn(vars, ph.name) ? vars[ph.name] : undefined;
  if (typeof value !== 'string') {
    throw new TemplateError(
      `${field}: unknown template variable ${JSON.stringify(ph.name)} at ${position(template, ph.start)}; known variables: ${Object.keys(vars).join(', ')}`,
      field,
    );
  }
  return value;
}

/** Index just past the closing quote, or the end of the text if it is never closed. */
function endOfQuoted(template: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from;
  while (i < template.length) {
    const c = template[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (template[i + 1] !== quote) return i + 1;
      i += 2; // doubled quote
    } else {
      i++;
    }
  }
  return template.length;
}

/** Block comments nest in DuckDB (as in PostgreSQL). */
function endOfBlockComment(template: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < template.length) {
    if (template.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (template.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return template.length;
}

function checkQuotedRegion(
  template: string,
  from: number,
  to: number,
  kind: 'string' | 'identifier' | 'comment',
  vars: TemplateVars,
  field: string,
): void {
  let open = template.indexOf('{{', from);
  while (open >= 0 && open < to) {
    if (PLACEHOLDER_ATTEMPT.test(template.slice(open, open + 64))) {
      if (kind === 'comment') {
        // Left as written (a comment has no value to fill), but still checked, so that a
        // typo in a commented-out line is caught as it would be anywhere else.
        // Sliced at the comment's end so that a `}}` after the comment cannot close it.
        const ph = readPlaceholder(template.slice(0, to), open, field);
        lookup(ph, vars, template, field);
        open = ph.end;
      } else {
        throw quotedPlaceholderError(template, open, kind, field);
      }
    } else {
      open += 2;
    }
    open = template.indexOf('{{', open);
  }
}

function quotedPlaceholderError(
  template: string,
  open: number,
  kind: 'string' | 'identifier',
  field: string,
): TemplateError {
  const close = template.indexOf('}}', open + 2);
  const raw = snippet(close < 0 ? template.slice(open) : template.slice(open, close + 2));
  const where = kind === 'string' ? 'a quoted string' : 'a double-quoted identifier';
  return new TemplateError(
    `${field}: placeholder ${JSON.stringify(raw)} at ${position(template, open)} is inside ${where}; ` +
      `remove the quotes around it, because values are inserted as quoted SQL string literals ` +
      `(write d = ${EXAMPLE}, or 'dt=' || ${EXAMPLE} to build a longer string)`,
    field,
  );
}

function position(template: string, index: number): string {
  const before = template.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
