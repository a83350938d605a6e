// Break rows as API items and as a CSV file Excel opens as it is: UTF-8 with a byte-order
// mark (else Excel guesses a legacy code page), CRLF lines, RFC 4180 quoting, the list of
// differing columns as one text cell, and cells that would start a formula made inert.
// Pure: routes.ts hands in the rows the break query returned.
import type { ResultColumn } from './break-query.ts';
import { statusLabel, type Sides } from './labels.ts';

/** More rows than this is not a spreadsheet; the API asks for a narrower filter. */
export const MAX_EXPORT_ROWS = 200_000;

export interface BreakItem {
  id: string;
  state: string;
  changedSinceClosed: boolean;
  status: string;
  statusLabel: string;
  amount?: string;
  currency?: string;
  ageDays?: number;
  firstSeen?: string;
  owner?: string;
  comments: number;
  lastComment?: string;
  closedReason?: string;
  row: Record<string, string | string[] | null>;
}

type Raw = Record<string, unknown>;

/** A CSV result file writes the differing columns as JSON text (`["amount","status"]`); older ones as `[amount, status]`. */
export function columnList(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) return v.map(String);
  } catch {
    // the older bracketed form
  }
  const inner = text.replace(/^\[|\]$/g, '').trim();
  return inner ? inner.split(/,\s*/) : [];
}
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

export function breakItems(rows: readonly Raw[], columns: readonly ResultColumn[], sides: Sides): BreakItem[] {
  return rows.map((r) => {
    const row: BreakItem['row'] = {};
    for (const c of columns) {
      const v = r[c.name];
      row[c.name] = v === null || v === undefined ? null : Array.isArray(v) ? v.map(String) : c.name === 'recon_mismatched' ? columnList(String(v)) : String(v);
    }
    const status = str(r.recon_status) ?? '';
    const age = r.b_age_days;
    const item: BreakItem = { id: str(r.b_id) ?? '', state: str(r.b_state) ?? 'open', changedSinceClosed: r.b_changed === true, status, statusLabel: statusLabel(status, sides), comments: Number(r.b_comments ?? 0), row };
    const opt: Array<[keyof BreakItem, string | undefined]> = [
      ['amount', str(r.b_amount)],
      ['currency', str(r.b_currency)],
      ['firstSeen', str(r.b_first_seen)],
      ['owner', str(r.b_owner)],
      ['lastComment', str(r.b_last_comment)],
      ['closedReason', str(r.b_closed_reason)],
    ];
    for (const [k, v] of opt) if (v !== undefined) (item as unknown as Record<string, unknown>)[k] = v;
    if (age !== null && age !== undefined && Number.isFinite(Number(age))) item.ageDays = Number(age);
    return item;
  });
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** One CSV cell: quoted when needed; text that Excel would run as a formula gets a leading apostrophe. */
export function csvCell(v: string | undefined | null): string {
  if (v === undefined || v === null) return '';
  let t = v;
  if (/^[=+\-@\t\r]/.test(t) && !NUMBER.test(t)) t = `'${t}`;
  return /[",\r\n]/.test(t) || /^\s|\s$/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
}

/** The columns the break fields already show, not repeated from the file. */
const SHOWN = new Set(['recon_status', 'recon_break_id', 'recon_break_state', 'recon_age_days', 'recon_first_seen']);

export function breaksCsv(items: readonly BreakItem[], columns: ReadonlyArray<{ name: string; label: string }>, sides: Sides): Buffer {
  const fileCols = columns.filter((c) => !SHOWN.has(c.name));
  const header = ['Break', 'State', 'Status', 'Amount at stake', 'Currency', 'Age (days)', 'First seen', 'Owner', 'Comments', 'Last comment', 'Closed as', ...fileCols.map((c) => c.label)];
  const lines = [header.map(csvCell).join(',')];
  for (const it of items) {
    const state = it.changedSinceClosed ? `${it.state} (changed since closed)` : it.state;
    const cells = [it.id, state, statusLabel(it.status, sides), it.amount, it.currency, it.ageDays === undefined ? undefined : String(it.ageDays), it.firstSeen, it.owner, String(it.comments), it.lastComment, it.closedReason];
    for (const c of fileCols) {
      const v = it.row[c.name];
      // A list (the columns that differ) is one cell, never spread over several.
      cells.push(Array.isArray(v) ? v.join(', ') : c.name === 'recon_mismatched' && typeof v === 'string' ? columnList(v).join(', ') : (v ?? undefined));
    }
    lines.push(cells.map(csvCell).join(','));
  }
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}
