// The raas results page: a small script over the /api/v1 JSON API, no framework and no
// build step. Money arrives as decimal strings and is only ever re-grouped as text,
// never parsed into a float. Times are shown in each job's own time zone.

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
const toast = document.getElementById('toast');
let csrf = '';

// ---- formatting -----------------------------------------------------------------------
const intFmt = new Intl.NumberFormat('en-US');
export const count = (n) => (n === undefined || n === null ? '–' : intFmt.format(n));
/** "-1234567.891" -> "-1,234,567.891", by string surgery only (exact for any length). */
export function money(s) {
  if (s === undefined || s === null) return '–';
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(s));
  if (!m) return String(s);
  return `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}`;
}
function fmtTime(iso, tz) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(d);
}
function fmtDate(iso, tz) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // en-CA gives YYYY-MM-DD, the format finance people type into the forms.
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
function fmtWindow(w, tz) {
  const start = fmtDate(w.start, tz);
  // The end is exclusive; a one-day window reads as that one day.
  const last = fmtDate(new Date(new Date(w.end).getTime() - 1).toISOString(), tz);
  return start === last ? start : `${start} – ${last}`;
}

// ---- DOM helpers ------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const badge = (b) => h('span', { class: `badge ${b}` }, b);
function show(title, ...content) {
  main.replaceChildren(h('h1', {}, title), ...content);
  document.title = `${typeof title === 'string' ? title : title.textContent} · raas results`;
}
function setCrumbs(items) {
  crumbs.replaceChildren(...items.flatMap((it, i) => [i ? ' / ' : '', it.href ? h('a', { href: it.href }, it.text) : h('span', { 'aria-current': 'page' }, it.text)]));
}
function say(msg) {
  toast.textContent = msg;
  toast.classList.add('show');
  setTimeout(() => toast.classList.remove('show'), 6000);
}

// ---- API --------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}
async function api(path, opts = {}) {
  const res = await fetch(`/api/v1/${path}`, { credentials: 'same-origin', ...opts, headers: { accept: 'application/json', ...(opts.headers ?? {}) } });
  if (res.status === 401) {
    location.assign('/signin');
    throw new ApiError(401, 'signed out');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.detail ?? res.statusText);
  return body;
}
const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
const enc = encodeURIComponent;
const runPath = (ns, name) => `namespaces/${enc(ns)}/reconruns/${enc(name)}`;
const jobPath = (ns, name) => `namespaces/${enc(ns)}/reconjobs/${enc(name)}`;

// ---- views ------------------------------------------------------------------------------
async function jobsView() {
  setCrumbs([{ text: 'Jobs' }]);
  const items = [];
  let cont;
  for (let i = 0; i < 50; i++) {
    const page = await api(`reconjobs?limit=500${cont ? `&continue=${enc(cont)}` : ''}`);
    items.push(...page.items);
    cont = page.metadata.continue;
    if (!cont) break;
  }
  if (!items.length) return show('Jobs', h('p', {}, 'No reconciliation jobs in the namespaces you may see.'));
  const rows = items.map((j) => {
    const r = j.lastRun;
    const c = r?.counts;
    return h('tr', {},
      h('td', {}, j.namespace),
      h('th', { scope: 'row' }, h('a', { href: `#/jobs/${enc(j.namespace)}/${enc(j.name)}` }, j.name)),
      h('td', {}, badge(j.badge)),
      h('td', {}, r ? h('a', { href: `#/runs/${enc(j.namespace)}/${enc(r.name)}` }, fmtWindow(r.window, j.timeZone)) : '–'),
      h('td', { class: 'num' }, count(c?.matched)), h('td', { class: 'num' }, count(c?.mismatched)), h('td', { class: 'num' }, count(c?.leftOnly)), h('td', { class: 'num' }, count(c?.rightOnly)),
      h('td', {}, j.schedule?.suspend ? 'suspended' : fmtTime(j.nextScheduleTime, j.timeZone)),
      h('td', {}, j.timeZone));
  });
  show('Jobs', h('table', { 'aria-label': 'Reconciliation jobs' },
    h('thead', {}, h('tr', {}, ...['Namespace', 'Job', 'Status', 'Last window', 'Matched', 'Mismatched', 'Left only', 'Right only', 'Next run', 'Time zone'].map((t, i) => h('th', { scope: 'col', class: i >= 4 && i <= 7 ? 'num' : undefined }, t)))),
    h('tbody', {}, rows)));
}

function chart(title, points, value, fmt, tz) {
  const W = 300, H = 140, L = 44, B = 22, T = 8, R = 8;
  const vals = points.map(value);
  const nums = vals.map((v) => (v === undefined || v === null ? null : Number(v)));
  const finite = nums.filter((v) => v !== null && Number.isFinite(v));
  const max = Math.max(0, ...finite), min = Math.min(0, ...finite);
  const span = max - min || 1;
  const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  // Drawing positions only; labels and the table below show the exact values.
  const y = (v) => T + (H - T - B) * (1 - (v - min) / span);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title} per window: ${vals.map((v, i) => `${fmtWindow(points[i].window, tz)} ${fmt(v)}`).join('; ')}` });
  svg.append(s('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }), s('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
  svg.append(s('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, fmt(String(max))), s('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, fmt(String(min))));
  if (points.length) {
    svg.append(s('text', { x: L, y: H - 6 }, fmtDate(points[0].window.start, tz)), s('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, fmtDate(points[points.length - 1].window.start, tz)));
  }
  const path = nums.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean);
  if (path.length > 1) svg.append(s('polyline', { class: 'line', points: path.join(' ') }));
  nums.forEach((v, i) => {
    if (v === null) return;
    svg.append(s('circle', { class: `pt${points[i].source === 'summary' ? ' old' : ''}`, cx: x(i), cy: y(v), r: 3 }, s('title', {}, `${fmtWindow(points[i].window, tz)}: ${fmt(vals[i])}`)));
  });
  return h('figure', {}, h('figcaption', {}, title), svg);
}

async function jobView(ns, name) {
  setCrumbs([{ text: 'Jobs', href: '#/' }, { text: `${ns}/${name}` }]);
  const [job, history, runs] = await Promise.all([api(jobPath(ns, name)), api(`${jobPath(ns, name)}/history`), api(`namespaces/${enc(ns)}/reconruns?job=${enc(name)}&limit=50`)]);
  const tz = job.timeZone;
  const pts = history.items;
  const diffCols = [...new Set(pts.flatMap((p) => Object.keys(p.diffTotals ?? {})))];
  const charts = h('div', { class: 'charts' },
    chart('Matched', pts, (p) => p.counts?.matched, (v) => count(v === undefined ? v : Number(v)), tz),
    chart('Mismatched', pts, (p) => p.counts?.mismatched, (v) => count(v === undefined ? v : Number(v)), tz),
    chart('Left only', pts, (p) => p.counts?.leftOnly, (v) => count(v === undefined ? v : Number(v)), tz),
    chart('Right only', pts, (p) => p.counts?.rightOnly, (v) => count(v === undefined ? v : Number(v)), tz),
    ...diffCols.map((c) => chart(`Diff total: ${c}`, pts, (p) => p.diffTotals?.[c], money, tz)));
  const histTable = h('details', {}, h('summary', {}, 'History as a table'),
    h('table', { 'aria-label': 'History per window' },
      h('thead', {}, h('tr', {}, ...['Window', 'Source', 'Balanced', 'Matched', 'Mismatched', 'Left only', 'Right only', ...diffCols.map((c) => `Diff ${c}`)].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, pts.map((p) => h('tr', {}, h('td', {}, p.run && p.source === 'run' ? h('a', { href: `#/runs/${enc(ns)}/${enc(p.run)}` }, fmtWindow(p.window, tz)) : fmtWindow(p.window, tz)),
        h('td', {}, p.source === 'run' ? 'ReconRun' : 'summary.json (run pruned)'), h('td', {}, p.balanced === undefined ? '–' : p.balanced ? 'yes' : 'no'),
        h('td', { class: 'num' }, count(p.counts?.matched)), h('td', { class: 'num' }, count(p.counts?.mismatched)), h('td', { class: 'num' }, count(p.counts?.leftOnly)), h('td', { class: 'num' }, count(p.counts?.rightOnly)),
        ...diffCols.map((c) => h('td', { class: 'num' }, money(p.diffTotals?.[c]))))))));
  const runsTable = h('table', { 'aria-label': 'Runs', id: 'runs' },
    h('thead', {}, h('tr', {}, ...['Window', 'Run', 'Trigger', 'Status', 'Matched', 'Mismatched', 'Left only', 'Right only', 'Finished'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, runs.items.map((r) => h('tr', {},
      h('td', {}, fmtWindow(r.window, tz)), h('th', { scope: 'row' }, h('a', { href: `#/runs/${enc(ns)}/${enc(r.name)}` }, r.name)), h('td', {}, r.trigger),
      h('td', {}, badge(r.phase === 'Succeeded' ? (r.balanced ? 'balanced' : 'unbalanced') : r.phase === 'Failed' ? 'failed' : 'running')),
      h('td', { class: 'num' }, count(r.counts?.matched)), h('td', { class: 'num' }, count(r.counts?.mismatched)), h('td', { class: 'num' }, count(r.counts?.leftOnly)), h('td', { class: 'num' }, count(r.counts?.rightOnly)),
      h('td', {}, fmtTime(r.completionTime, tz))))));
  const status = h('p', { role: 'status', class: 'muted', id: 'action-status' });
  const rerunDate = h('input', { id: 'rerun-date', type: 'date', required: true, value: runs.items[0] ? fmtDate(runs.items[0].window.start, tz) : '' });
  const fromDate = h('input', { id: 'backfill-from', type: 'date', required: true });
  const toDate = h('input', { id: 'backfill-to', type: 'date', required: true });
  const act = async (ev, fn) => {
    ev.preventDefault();
    const button = ev.target.querySelector('button');
    button.disabled = true;
    try {
      const r = await fn();
      status.textContent = r.created.length ? `Started ${r.created.join(', ')}` : `Nothing new: ${r.existing.join(', ')} exist already`;
      say(status.textContent);
      setTimeout(() => route(), 1500);
    } catch (e) {
      status.textContent = `Not started: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  };
  const forms = h('div', { class: 'actions' },
    h('form', { onsubmit: (ev) => act(ev, () => post(`${jobPath(ns, name)}/reruns`, { date: rerunDate.value })) },
      h('fieldset', {}, h('legend', {}, 'Rerun a period'), h('label', { for: 'rerun-date' }, `A date in the period (${tz})`), rerunDate, ' ', h('button', { type: 'submit' }, 'Start rerun'))),
    h('form', { onsubmit: (ev) => act(ev, () => post(`${jobPath(ns, name)}/backfills`, { from: fromDate.value, to: toDate.value })) },
      h('fieldset', {}, h('legend', {}, 'Backfill'), h('label', { for: 'backfill-from' }, 'From'), fromDate, h('label', { for: 'backfill-to' }, 'To (included)'), toDate, ' ', h('button', { type: 'submit' }, 'Start backfill'))));
  show(h('span', {}, `${name} `, badge(job.badge)),
    h('p', { class: 'muted' }, `Namespace ${ns} · times in ${tz} · ${job.schedule?.cron ? `schedule ${job.schedule.cron}${job.schedule.suspend ? ' (suspended)' : ''}` : 'no schedule'}`),
    h('h2', {}, 'History'), pts.length ? charts : h('p', {}, 'No finished windows yet.'), histTable,
    h('h2', {}, 'Runs'), runsTable,
    h('h2', {}, 'Start runs'), forms, status);
  // Keep the list current while runs are in flight (bounded: stops when the view changes).
  if (runs.items.some((r) => r.phase === 'Pending' || r.phase === 'Running')) schedule(() => jobView(ns, name), 3000);
}

const STATUS_CHOICES = [['', 'All rows in the file'], ['mismatch', 'Mismatches'], ['left_only', 'Left only'], ['right_only', 'Right only'], ['duplicate', 'Duplicates']];

async function runView(ns, name) {
  const run = await api(runPath(ns, name));
  const tz = run.timeZone;
  setCrumbs([{ text: 'Jobs', href: '#/' }, { text: `${ns}/${run.job}`, href: `#/jobs/${enc(ns)}/${enc(run.job)}` }, { text: name }]);
  const c = run.counts ?? {};
  const card = (k, v, cls) => h('li', {}, h('span', { class: 'k' }, k), h('span', { class: `v ${cls ?? ''}` }, v));
  const status = run.phase === 'Succeeded' ? (run.balanced ? 'balanced' : 'unbalanced') : run.phase === 'Failed' ? 'failed' : 'running';
  const parts = [
    h('p', { class: 'muted' }, `Window ${fmtWindow(run.window, tz)} (${tz}) · ${run.trigger} · finished ${fmtTime(run.completionTime, tz)}`),
    run.message ? h('p', {}, run.message) : null,
    h('h2', {}, 'Counts'),
    h('ul', { class: 'cards', 'aria-label': 'Counts' },
      card('Left rows', count(c.left)), card('Right rows', count(c.right)), card('Matched', count(c.matched)), card('Mismatched', count(c.mismatched), c.mismatched ? 'diff' : ''),
      card('Left only', count(c.leftOnly), c.leftOnly ? 'diff' : ''), card('Right only', count(c.rightOnly), c.rightOnly ? 'diff' : ''),
      card('Duplicate keys', count((c.duplicateKeysLeft ?? 0) + (c.duplicateKeysRight ?? 0))), card('Null keys', count((c.nullKeysLeft ?? 0) + (c.nullKeysRight ?? 0)))),
  ];
  const mm = Object.entries(run.mismatchedByColumn ?? {});
  const dt = Object.entries(run.diffTotals ?? {});
  const sm = Object.entries(run.summaries ?? {});
  const kv = (label, entries, fmt) => h('table', { 'aria-label': label }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col', class: 'num' }, label))), h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, fmt(v))))));
  if (mm.length) parts.push(h('h2', {}, 'Columns with differences'), kv('Mismatched keys', mm, count));
  if (dt.length) parts.push(h('h2', {}, 'Diff totals (right − left)'), kv('Diff total', dt, money));
  if (sm.length) parts.push(h('h2', {}, 'Summaries'), kv('Value', sm, money));
  if (run.files?.length) parts.push(h('h2', {}, 'Downloads'), h('p', { class: 'downloads' }, run.files.map((f) => h('a', { href: `/api/v1/${runPath(ns, name)}/files/${enc(f)}`, download: f }, `Download ${f}`))));
  const hasResults = run.files?.includes('summary.json');
  show(h('span', {}, `${run.job} · ${fmtWindow(run.window, tz)} `, badge(status)), ...parts, ...(hasResults ? [h('h2', {}, 'Rows'), await rowsBlock(ns, name, mm.map(([k]) => k))] : []));
}

async function rowsBlock(ns, name, columns) {
  const statusSel = h('select', { id: 'row-status' }, STATUS_CHOICES.map(([v, t]) => h('option', { value: v }, t)));
  const colSel = h('select', { id: 'row-column' }, h('option', { value: '' }, 'Any column'), columns.map((c) => h('option', { value: c }, c)));
  const table = h('div', { id: 'rows' });
  const info = h('span', { class: 'muted', role: 'status' });
  const prev = h('button', { type: 'button', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next');
  const stack = [];
  let current;
  const load = async (cont) => {
    const q = new URLSearchParams({ limit: '50' });
    if (statusSel.value) q.set('status', statusSel.value);
    if (colSel.value) q.set('column', colSel.value);
    if (cont) q.set('continue', cont);
    const page = await api(`${runPath(ns, name)}/rows?${q}`);
    current = cont;
    const cols = page.columns.map((c) => c.name);
    table.replaceChildren(h('table', { 'aria-label': 'Result rows' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, page.items.map((r) => h('tr', {}, cols.map((c) => {
        const v = r[c];
        const text = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : /_(diff|left|right)$/.test(c) && /^-?\d+(\.\d+)?$/.test(v) ? money(v) : v;
        return h('td', { class: /_(diff|left|right)$/.test(c) && /^-?\d/.test(String(v ?? '')) ? 'num' : undefined }, text);
    }))))));
    const first = stack.length * 50 + 1;
    info.textContent = page.items.length ? `Rows ${count(first)}–${count(first + page.items.length - 1)} of ${count(page.metadata.total)}` : 'No rows match.';
    next.disabled = !page.metadata.continue;
    next.dataset.cont = page.metadata.continue ?? '';
    prev.disabled = stack.length === 0;
  };
  next.addEventListener('click', () => { stack.push(current); void load(next.dataset.cont); });
  prev.addEventListener('click', () => { void load(stack.pop()); });
  const refilter = () => { stack.length = 0; void load(undefined); };
  statusSel.addEventListener('change', refilter);
  colSel.addEventListener('change', refilter);
  await load(undefined);
  return h('div', {},
    h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'row-status' }, 'Show'), statusSel), h('div', {}, h('label', { for: 'row-column' }, 'Differing in'), colSel)),
    table, h('div', { class: 'pager' }, prev, next, info));
}

// ---- routing ----------------------------------------------------------------------------
let timer;
let generation = 0;
function schedule(fn, ms) {
  const g = generation;
  clearTimeout(timer);
  timer = setTimeout(() => { if (g === generation) void fn().catch(fail); }, ms);
}
function fail(e) {
  if (e.status === 401) return;
  show(e.status === 403 ? 'Not allowed' : e.status === 404 ? 'Not found' : 'Something went wrong', h('p', { class: 'error', role: 'alert' }, e.message), h('p', {}, h('a', { href: '#/' }, 'Back to the jobs')));
}
async function route() {
  generation++;
  clearTimeout(timer);
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'jobs' && parts.length === 3) await jobView(parts[1], parts[2]);
    else if (parts[0] === 'runs' && parts.length === 3) await runView(parts[1], parts[2]);
    else await jobsView();
    main.focus({ preventScroll: true });
  } catch (e) {
    fail(e);
  }
}

async function start() {
  const who = await api('whoami').catch(() => undefined);
  if (!who) return;
  csrf = who.csrfToken ?? '';
  document.getElementById('who').textContent = `Signed in as ${who.username}`;
  document.getElementById('signout-csrf').value = csrf;
  document.getElementById('signout').hidden = false;
  window.addEventListener('hashchange', route);
  await route();
}
void start();
