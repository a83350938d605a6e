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
const cap = (t) => (t ? t[0].toUpperCase() + t.slice(1) : t);
/** A wide table inside its own scroller: the page itself never scrolls sideways. */
const scroller = (table) => h('div', { class: 'scroll' }, table);
/** One line per currency: "USD 1,337.55". Money is never added across currencies. */
function stakeLines(atStake) {
  const entries = Object.entries(atStake ?? {});
  if (!entries.length) return '–';
  return h('span', { class: 'stake' }, entries.map(([cur, a]) => h('span', { class: 'line' }, `${cur} ${money(sumText([a.leftOnly, a.rightOnly, a.mismatched]))}`)));
}
/** Exact sum of decimal strings, by digits (no floats): scaled to the longest fraction. */
function sumText(values) {
  const parts = values.filter((v) => v !== undefined && v !== null).map(String);
  const scale = Math.max(0, ...parts.map((v) => (v.split('.')[1] ?? '').length));
  let total = 0n;
  for (const v of parts) {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v);
    if (!m) continue;
    const n = BigInt(m[2] + (m[3] ?? '').padEnd(scale, '0'));
    total += m[1] ? -n : n;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return `${neg ? '-' : ''}${text}`;
}
const runBadge = (r) => badge(r.phase === 'Succeeded' ? (r.balanced ? 'balanced' : 'unbalanced') : r.phase === 'Failed' ? 'failed' : 'running');

/** Why a job needs attention, in one line: a failed run's sentence or an invalid job's reason. */
function jobReason(j) {
  if (j.badge === 'invalid') return j.ready?.message ?? j.ready?.reason ?? 'The job definition is invalid.';
  if (j.badge === 'failed') return j.lastRun?.failure ?? j.lastRun?.message ?? 'The last run failed.';
  if (j.badge === 'overdue') return 'The last scheduled run has not appeared.';
  return '';
}

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
  const head = ['Job', 'Status', 'Money at stake', 'Open breaks', 'Last window', 'Next run'];
  const rows = items.map((j) => {
    const r = j.lastRun;
    const reason = jobReason(j);
    const b = r?.breaks;
    return h('tr', {},
      h('th', { scope: 'row', 'data-label': 'Job' }, h('a', { href: `#/jobs/${enc(j.namespace)}/${enc(j.name)}` }, j.name), h('span', { class: 'muted ns' }, ` ${j.namespace}`)),
      h('td', { 'data-label': 'Status' }, badge(j.badge), reason ? h('div', { class: 'reason' }, reason) : null),
      h('td', { class: 'num', 'data-label': 'Money at stake' }, stakeLines(r?.atStake)),
      h('td', { class: 'num', 'data-label': 'Open breaks' }, b ? `${count(b.open)}${b.oldestOpenSince ? ` · since ${fmtDate(b.oldestOpenSince, j.timeZone)}` : ''}` : '–'),
      h('td', { 'data-label': 'Last window' }, r ? h('a', { href: `#/runs/${enc(j.namespace)}/${enc(r.name)}` }, fmtWindow(r.window, j.timeZone)) : '–'),
      h('td', { 'data-label': 'Next run' }, j.schedule?.suspend ? 'suspended' : fmtTime(j.nextScheduleTime, j.timeZone)));
  });
  show('Jobs',
    h('p', { class: 'muted' }, 'Most urgent first: failed and invalid jobs, then unbalanced ones by money at stake, then by the age of their oldest break.'),
    h('table', { 'aria-label': 'Reconciliation jobs', class: 'stack' },
      h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : undefined }, t)))),
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
  const left = job.spec?.left?.name ?? 'left', right = job.spec?.right?.name ?? 'right';
  const pts = history.items;
  const diffCols = [...new Set(pts.flatMap((p) => Object.keys(p.diffTotals ?? {})))];
  const charts = h('div', { class: 'charts' },
    chart('Matched', pts, (p) => p.counts?.matched, (v) => count(v === undefined ? v : Number(v)), tz),
    chart('Mismatched', pts, (p) => p.counts?.mismatched, (v) => count(v === undefined ? v : Number(v)), tz),
    chart(`Only in ${left}`, pts, (p) => p.counts?.leftOnly, (v) => count(v === undefined ? v : Number(v)), tz),
    chart(`Only in ${right}`, pts, (p) => p.counts?.rightOnly, (v) => count(v === undefined ? v : Number(v)), tz),
    ...diffCols.map((c) => chart(`Diff total: ${c}`, pts, (p) => p.diffTotals?.[c], money, tz)));
  const histTable = h('details', {}, h('summary', {}, 'History as a table'),
    scroller(h('table', { 'aria-label': 'History per window' },
      h('thead', {}, h('tr', {}, ...['Window', 'Source', 'Balanced', 'Matched', 'Mismatched', `Only in ${left}`, `Only in ${right}`, ...diffCols.map((c) => `Diff ${c}`)].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, pts.map((p) => h('tr', {}, h('td', {}, p.run && p.source === 'run' ? h('a', { href: `#/runs/${enc(ns)}/${enc(p.run)}` }, fmtWindow(p.window, tz)) : fmtWindow(p.window, tz)),
        h('td', {}, p.source === 'run' ? 'ReconRun' : 'summary.json (run pruned)'), h('td', {}, p.balanced === undefined ? '–' : p.balanced ? 'yes' : 'no'),
        h('td', { class: 'num' }, count(p.counts?.matched)), h('td', { class: 'num' }, count(p.counts?.mismatched)), h('td', { class: 'num' }, count(p.counts?.leftOnly)), h('td', { class: 'num' }, count(p.counts?.rightOnly)),
        ...diffCols.map((c) => h('td', { class: 'num' }, money(p.diffTotals?.[c])))))))));
  const runsTable = h('table', { 'aria-label': 'Runs', id: 'runs', class: 'stack' },
    h('thead', {}, h('tr', {}, ...['Window', 'Run', 'Trigger', 'Status', 'Counts?', 'Money at stake', 'Mismatched', `Only in ${left}`, `Only in ${right}`, 'Finished'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, runs.items.map((r) => h('tr', { class: r.supersededBy ? 'superseded' : undefined },
      h('td', { 'data-label': 'Window' }, fmtWindow(r.window, tz)), h('th', { scope: 'row', 'data-label': 'Run' }, h('a', { href: `#/runs/${enc(ns)}/${enc(r.name)}` }, r.name)), h('td', { 'data-label': 'Trigger' }, r.trigger),
      h('td', { 'data-label': 'Status' }, runBadge(r)),
      h('td', { 'data-label': 'Counts?' }, r.supersededBy ? h('span', {}, 'No — replaced by ', h('a', { href: `#/runs/${enc(ns)}/${enc(r.supersededBy)}` }, r.supersededBy)) : r.phase === 'Succeeded' ? 'Yes (newest committed)' : '–'),
      h('td', { class: 'num', 'data-label': 'Money at stake' }, stakeLines(r.atStake)),
      h('td', { class: 'num', 'data-label': 'Mismatched' }, count(r.counts?.mismatched)), h('td', { class: 'num', 'data-label': `Only in ${left}` }, count(r.counts?.leftOnly)), h('td', { class: 'num', 'data-label': `Only in ${right}` }, count(r.counts?.rightOnly)),
      h('td', { 'data-label': 'Finished' }, fmtTime(r.completionTime, tz))))));
  const status = h('p', { role: 'status', class: 'muted', id: 'action-status' });
  let actions;
  if (job.badge === 'invalid') {
    // The API would refuse a rerun of an invalid job; say why instead of offering a form that fails.
    actions = [h('h2', {}, 'Start runs'), h('p', { class: 'notice', role: 'note' }, `This job is invalid, so it cannot be rerun or backfilled until its ReconJob is fixed: ${job.ready?.message ?? job.ready?.reason ?? 'see kubectl describe reconjob'}`)];
  } else {
    const rerunDate = h('input', { id: 'rerun-date', type: 'date', required: true, value: runs.items[0] ? fmtDate(runs.items[0].window.start, tz) : '' });
    // Carry-forward windows read the one before: offer to recompute the later ones too.
    const carries = job.spec?.carryForward !== undefined;
    const cascade = h('input', { id: 'rerun-cascade', type: 'checkbox' });
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
    actions = [h('h2', {}, 'Start runs'),
      h('p', { class: 'muted' }, 'A rerun or backfill of a window that has results already adds a run; the newest committed run of a window is the one that counts.'),
      h('div', { class: 'actions' },
        h('form', { onsubmit: (ev) => act(ev, () => post(`${jobPath(ns, name)}/reruns`, carries ? { date: rerunDate.value, cascade: cascade.checked } : { date: rerunDate.value })) },
          h('fieldset', {}, h('legend', {}, 'Rerun a period'), h('label', { for: 'rerun-date' }, `A date in the period (${tz})`), rerunDate, ' ',
            carries ? h('label', { for: 'rerun-cascade' }, cascade, ' and every later window (they read this one)') : null, ' ',
            h('button', { type: 'submit' }, 'Start rerun'))),
        h('form', { onsubmit: (ev) => act(ev, () => post(`${jobPath(ns, name)}/backfills`, { from: fromDate.value, to: toDate.value })) },
          h('fieldset', {}, h('legend', {}, 'Backfill'), h('label', { for: 'backfill-from' }, 'From'), fromDate, h('label', { for: 'backfill-to' }, 'To (included)'), toDate, ' ', h('button', { type: 'submit' }, 'Start backfill')))),
      status];
  }
  show(h('span', {}, `${name} `, badge(job.badge)),
    h('p', { class: 'muted' }, `Namespace ${ns} · ${left} against ${right} · times in ${tz} · ${job.schedule?.cron ? `schedule ${job.schedule.cron}${job.schedule.suspend ? ' (suspended)' : ''}` : 'no schedule'}`),
    job.badge === 'invalid' ? h('p', { class: 'error', role: 'alert' }, `Invalid: ${job.ready?.message ?? job.ready?.reason ?? ''}`) : null,
    h('h2', {}, 'History'), pts.length ? charts : h('p', {}, 'No finished windows yet.'), histTable,
    h('h2', {}, 'Runs'), scroller(runsTable),
    ...actions);
  // Keep the list current while runs are in flight (bounded: stops when the view changes).
  if (runs.items.some((r) => r.phase === 'Pending' || r.phase === 'Running')) schedule(() => jobView(ns, name), 3000);
}

/** A one-line notice that part of the page could not be loaded; the rest stays. */
const notice = (text) => h('p', { class: 'notice', role: 'status' }, text);

async function runView(ns, name) {
  const run = await api(runPath(ns, name));
  const tz = run.timeZone;
  const sides = run.sides ?? { left: 'left', right: 'right' };
  const L = cap(sides.left), R = cap(sides.right);
  setCrumbs([{ text: 'Jobs', href: '#/' }, { text: `${ns}/${run.job}`, href: `#/jobs/${enc(ns)}/${enc(run.job)}` }, { text: name }]);
  const c = run.counts ?? {};
  const card = (k, v, cls) => h('li', {}, h('span', { class: 'k' }, k), h('span', { class: `v ${cls ?? ''}` }, v));
  const parts = [
    h('p', { class: 'muted' }, `Window ${fmtWindow(run.window, tz)} (${tz}) · ${run.trigger} · finished ${fmtTime(run.completionTime, tz)}`),
    run.supersededBy ? h('p', { class: 'notice', role: 'note' }, 'A newer run of this window counts: ', h('a', { href: `#/runs/${enc(ns)}/${enc(run.supersededBy)}` }, run.supersededBy), '. These results are kept for reference.') : null,
    run.phase === 'Failed' ? h('div', { class: 'failure', role: 'alert' }, h('p', { class: 'error' }, run.failure ?? run.message ?? 'The run failed.'), run.message && run.failure ? h('details', {}, h('summary', {}, 'Technical detail'), h('code', {}, run.message)) : null) : run.message ? h('p', {}, run.message) : null,
    h('h2', {}, 'Counts'),
    h('ul', { class: 'cards', 'aria-label': 'Counts' },
      card(`${L} rows`, count(c.left)), card(`${R} rows`, count(c.right)), card('Matched', count(c.matched)), c.matchedLate !== undefined ? card('Matched late', count(c.matchedLate)) : null,
      card('Mismatched', count(c.mismatched), c.mismatched ? 'diff' : ''),
      card(`Only in ${sides.left}`, count(c.leftOnly), c.leftOnly ? 'diff' : ''), card(`Only in ${sides.right}`, count(c.rightOnly), c.rightOnly ? 'diff' : ''),
      card('Duplicate keys', count((c.duplicateKeysLeft ?? 0) + (c.duplicateKeysRight ?? 0))), card('Null keys', count((c.nullKeysLeft ?? 0) + (c.nullKeysRight ?? 0)))),
  ];
  const stake = Object.entries(run.atStake ?? {});
  if (stake.length) {
    parts.push(h('h2', {}, 'Money at stake'), scroller(h('table', { 'aria-label': 'Money at stake' },
      h('thead', {}, h('tr', {}, ...['Currency', `Only in ${sides.left}`, `Only in ${sides.right}`, 'Differences', 'Total'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : undefined }, t)))),
      h('tbody', {}, stake.map(([cur, a]) => h('tr', {}, h('th', { scope: 'row' }, cur), h('td', { class: 'num' }, money(a.leftOnly)), h('td', { class: 'num' }, money(a.rightOnly)), h('td', { class: 'num' }, money(a.mismatched)), h('td', { class: 'num' }, money(sumText([a.leftOnly, a.rightOnly, a.mismatched])))))))));
    const ages = Object.entries(run.atStakeByAge ?? {});
    if (ages.length) {
      const buckets = ['0-1', '2-7', '8-30', '>30'];
      parts.push(scroller(h('table', { 'aria-label': 'Money at stake by age' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Currency'), ...buckets.map((b) => h('th', { scope: 'col', class: 'num' }, `${b} days`)))),
        h('tbody', {}, ages.map(([cur, a]) => h('tr', {}, h('th', { scope: 'row' }, cur), ...buckets.map((b) => h('td', { class: 'num' }, money(a[b])))))))));
    }
  }
  if (run.breaks) {
    const b = run.breaks;
    parts.push(h('ul', { class: 'cards', 'aria-label': 'Breaks' }, card('Open breaks', count(b.open), b.open ? 'diff' : ''), card('New', count(b.new)), card('Persisting', count(b.persisting)), card('Resolved', count(b.resolved)), card('Oldest open since', b.oldestOpenSince ? fmtDate(b.oldestOpenSince, tz) : '–')));
  }
  const mm = run.columnsWithDifferences ?? [];
  const kv = (label, entries, fmt) => h('table', { 'aria-label': label }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col', class: 'num' }, label))), h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, fmt(v))))));
  if (mm.length) parts.push(h('h2', {}, 'Columns with differences'), kv('Mismatched keys', mm.map((m) => [m.label, m.count]), count));
  const dt = Object.entries(run.diffTotals ?? {});
  // Without a money column the engine's totals are all there is; with one, money at stake above is per currency.
  if (dt.length && !stake.length) parts.push(h('h2', {}, `Diff totals (${sides.right} − ${sides.left}, all currencies together)`), kv('Diff total', dt, money));
  const sm = Object.entries(run.summaries ?? {});
  if (sm.length) parts.push(h('h2', {}, 'Summaries'), kv('Value', sm, money));
  if (run.files?.length) parts.push(h('h2', {}, 'Downloads'), h('p', { class: 'downloads' }, run.files.map((f) => h('a', { href: `/api/v1/${runPath(ns, name)}/files/${enc(f)}`, download: f }, `Download ${f}`))));
  const hasResults = run.files?.includes('summary.json');
  // Counts and money above come from the run's status; unreadable result files cost only the tables below.
  const later = hasResults ? [h('h2', {}, 'Breaks'), await guarded('breaks', () => breaksBlock(ns, name, run)), h('h2', {}, 'Rows'), await guarded('rows', () => rowsBlock(ns, name, run))] : [];
  show(h('span', {}, `${run.job} · ${fmtWindow(run.window, tz)} `, runBadge(run)), ...parts.filter(Boolean), ...later);
}

async function guarded(what, fn) {
  try {
    return await fn();
  } catch (e) {
    if (e.status === 401) throw e;
    return notice(`The ${what} could not be read from the result files (${e.message}); the counts and money above come from the run's status.`);
  }
}

const BREAK_STATES = [['', 'Any state'], ['open', 'Open (new or persisting)'], ['new', 'New'], ['persisting', 'Persisting'], ['resolved', 'Resolved'], ['closed', 'Closed']];
/** Result columns that are key values (not engine or compared columns). */
const isKey = (name) => !name.startsWith('recon_') && !/_(left|right|diff)$/.test(name);
function fmtCell(name, v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(', ');
  // A CSV result file writes the list of differing columns as JSON text, ["amount","status"].
  if (name === 'recon_mismatched') {
    try {
      const list = JSON.parse(String(v));
      if (Array.isArray(list)) return list.join(', ');
    } catch {
      // older files: [amount, status]
    }
    return String(v).replace(/^\[|\]$/g, '');
  }
  return /_(diff|left|right)$/.test(name) && /^-?\d+(\.\d+)?$/.test(v) ? money(v) : v;
}

async function breaksBlock(ns, name, run) {
  const field = (id, label, attrs) => h('div', {}, h('label', { for: id }, label), h('input', { id, ...attrs }));
  const stateSel = h('select', { id: 'break-state' }, BREAK_STATES.map(([v, t]) => h('option', { value: v }, t)));
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter breaks', onsubmit: (ev) => { ev.preventDefault(); reload(); } },
    h('div', {}, h('label', { for: 'break-state' }, 'State'), stateSel),
    field('break-q', 'Key search', { type: 'search', size: 12 }),
    field('break-min-age', 'Age from (days)', { type: 'number', min: 0, inputmode: 'numeric', class: 'short' }),
    field('break-max-age', 'Age to (days)', { type: 'number', min: 0, inputmode: 'numeric', class: 'short' }),
    field('break-min-amount', 'Amount from', { type: 'text', inputmode: 'decimal', class: 'short' }),
    field('break-max-amount', 'Amount to', { type: 'text', inputmode: 'decimal', class: 'short' }),
    h('div', {}, h('button', { type: 'submit' }, 'Apply')));
  const val = (id) => filters.querySelector(`#${id}`).value.trim();
  let sort = 'amount', order = 'desc';
  const stack = [];
  let current;
  const table = h('div', { id: 'breaks' });
  const info = h('span', { class: 'muted', role: 'status' });
  const prev = h('button', { type: 'button', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next');
  const exportLink = h('a', { class: 'button', download: '' }, 'Download these breaks (CSV)');
  const detail = h('section', { id: 'break-detail', 'aria-label': 'Break', hidden: true });
  const workNote = h('p', { class: 'notice', role: 'note', hidden: true });
  const query = () => {
    const q = new URLSearchParams();
    if (stateSel.value) q.set('state', stateSel.value);
    for (const [id, p] of [['break-q', 'q'], ['break-min-age', 'minAge'], ['break-max-age', 'maxAge'], ['break-min-amount', 'minAmount'], ['break-max-amount', 'maxAmount']]) if (val(id)) q.set(p, val(id));
    q.set('sort', sort);
    q.set('order', order);
    return q;
  };
  let last;
  const load = async (cont) => {
    const q = query();
    exportLink.href = `/api/v1/${runPath(ns, name)}/breaks?${new URLSearchParams([...q, ['format', 'csv']])}`;
    q.set('limit', '50');
    if (cont) q.set('continue', cont);
    let page;
    try {
      page = await api(`${runPath(ns, name)}/breaks?${q}`);
    } catch (e) {
      if (e.status !== 400) throw e;
      info.textContent = `Not applied: ${e.message}`;
      return;
    }
    last = page;
    current = cont;
    workNote.hidden = page.work.allowed;
    workNote.textContent = page.work.allowed ? '' : `Read-only: ${page.work.reason}.`;
    // Keys are in the first column already; compared columns without a difference say nothing.
    const shown = page.columns.filter((col) => !col.noDifferences && /_(left|right|diff)$/.test(col.name));
    const keyCol = page.columns.find((col) => isKey(col.name))?.name ?? 'id';
    const heads = [[keyCol, 'Key'], ['status', 'Status'], ['amount', 'Amount'], ['currency', 'Currency'], ['age', 'Age (days)'], ['state', 'State'], ['owner', 'Owner'], ['comments', 'Comments'], ...shown.map((col) => [col.name, col.label])];
    const th = ([key, label]) => {
      const active = key === sort;
      return h('th', { scope: 'col', 'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : undefined },
        h('button', { type: 'button', class: 'sort', onclick: () => { order = active && order === 'asc' ? 'desc' : active ? 'asc' : key === 'amount' || key === 'age' ? 'desc' : 'asc'; sort = key; stack.length = 0; void load(undefined); } }, label, active ? (order === 'asc' ? ' ▲' : ' ▼') : ''));
    };
    table.replaceChildren(scroller(h('table', { 'aria-label': 'Breaks' },
      h('thead', {}, h('tr', {}, heads.map(th))),
      h('tbody', {}, page.items.map((b) => h('tr', {},
        h('td', {}, h('button', { type: 'button', class: 'link-button', onclick: () => openBreak(b) }, b.row && Object.entries(b.row).filter(([k]) => isKey(k)).map(([, v]) => v).join(' / ') || b.id)),
        h('td', {}, b.statusLabel), h('td', { class: 'num' }, money(b.amount)), h('td', {}, b.currency ?? ''), h('td', { class: 'num' }, b.ageDays ?? '–'),
        h('td', {}, b.state, b.changedSinceClosed ? h('span', { class: 'muted' }, ' (changed since closed)') : null), h('td', {}, b.owner ?? ''), h('td', { class: 'num' }, count(b.comments)),
        ...shown.map((col) => h('td', { class: /_(diff|left|right)$/.test(col.name) ? 'num' : undefined }, fmtCell(col.name, b.row[col.name])))))))));
    const first = stack.length * 50 + 1;
    info.textContent = page.items.length ? `Breaks ${count(first)}–${count(first + page.items.length - 1)} of ${count(page.metadata.total)}` : 'No breaks match.';
    next.disabled = !page.metadata.continue;
    next.dataset.cont = page.metadata.continue ?? '';
    prev.disabled = stack.length === 0;
  };
  const reload = () => { stack.length = 0; detail.hidden = true; void load(undefined); };
  stateSel.addEventListener('change', reload);
  next.addEventListener('click', () => { stack.push(current); void load(next.dataset.cont); });
  prev.addEventListener('click', () => { void load(stack.pop()); });

  async function openBreak(b) {
    const title = `Break ${b.id}`;
    const status = h('p', { role: 'status', class: 'muted', id: 'break-action-status' });
    const trail = h('ol', { class: 'trail', 'aria-label': 'Audit trail' });
    detail.replaceChildren(h('h3', {}, title), h('p', {}, `${b.statusLabel} · ${b.amount ? `${b.currency ?? ''} ${money(b.amount)}` : 'no amount'} · state ${b.state}${b.owner ? ` · owner ${b.owner}` : ''}`), trail, status);
    detail.hidden = false;
    if (last.work.enabled) {
      try {
        const full = await api(`${runPath(ns, name)}/breaks/${enc(b.id)}`);
        trail.replaceChildren(...(full.events.length ? full.events.map((e) => h('li', {}, `${fmtTime(e.at, run.timeZone)} · ${e.actor} · ${e.action}${e.assignee ? ` to ${e.assignee}` : e.action === 'assign' ? ' (unassigned)' : ''}${e.reason ? ` as ${e.reason}` : ''}`, e.comment ? h('blockquote', {}, e.comment) : null)) : [h('li', { class: 'muted' }, 'No one has worked this break yet.')]));
      } catch (e) {
        trail.replaceChildren(h('li', { class: 'notice' }, `The audit trail could not be read: ${e.message}`));
      }
    }
    if (!last.work.allowed) {
      detail.append(h('p', { class: 'muted' }, `Read-only: ${last.work.reason}.`));
    } else {
      const send = async (ev, body) => {
        ev.preventDefault();
        const button = ev.target.querySelector('button');
        button.disabled = true;
        try {
          await post(`${runPath(ns, name)}/breaks/${enc(b.id)}`, body);
          // Re-render the list and this break first, then say so: the forms are fresh when "Saved" shows.
          await load(current);
          const again = last.items.find((x) => x.id === b.id);
          if (again) await openBreak(again);
          const now = detail.querySelector('#break-action-status') ?? status;
          now.textContent = `Saved: ${body.action}`;
          say(now.textContent);
        } catch (e) {
          status.textContent = `Not saved: ${e.message}`;
        } finally {
          button.disabled = false;
        }
      };
      const assignee = h('input', { id: 'break-assignee', type: 'text', value: b.owner ?? '', maxlength: 253 });
      const comment = h('textarea', { id: 'break-comment', rows: 3, maxlength: 2000 });
      const reason = h('select', { id: 'break-reason' }, ['explained', 'adjusted upstream', 'written-off'].map((r) => h('option', { value: r }, r)));
      const closeNote = h('input', { id: 'break-close-note', type: 'text', maxlength: 2000 });
      detail.append(h('div', { class: 'actions' },
        h('form', { onsubmit: (ev) => send(ev, { action: 'assign', assignee: assignee.value.trim() || null }) }, h('fieldset', {}, h('legend', {}, 'Owner'), h('label', { for: 'break-assignee' }, 'Assign to (empty: nobody)'), assignee, ' ', h('button', { type: 'submit' }, 'Assign'))),
        h('form', { onsubmit: (ev) => send(ev, { action: 'comment', comment: comment.value }) }, h('fieldset', {}, h('legend', {}, 'Comment'), h('label', { for: 'break-comment' }, 'Comment (at most 2,000 characters)'), comment, h('button', { type: 'submit' }, 'Add comment'))),
        b.state === 'closed'
          ? h('form', { onsubmit: (ev) => send(ev, { action: 'reopen' }) }, h('fieldset', {}, h('legend', {}, 'Closed'), h('p', {}, `Closed as ${b.closedReason}.`), h('button', { type: 'submit' }, 'Reopen')))
          : h('form', { onsubmit: (ev) => send(ev, { action: 'close', reason: reason.value, ...(closeNote.value.trim() ? { comment: closeNote.value } : {}) }) },
            h('fieldset', {}, h('legend', {}, 'Close'), h('label', { for: 'break-reason' }, 'Reason'), reason, h('label', { for: 'break-close-note' }, 'Note (optional)'), closeNote, ' ', h('button', { type: 'submit' }, 'Close break')))));
    }
    detail.scrollIntoView({ block: 'nearest' });
  }

  await load(undefined);
  return h('div', {}, workNote, filters, h('p', {}, exportLink), table, h('div', { class: 'pager' }, prev, next, info), detail);
}

async function rowsBlock(ns, name, run) {
  const sides = run.sides ?? { left: 'left', right: 'right' };
  const STATUS_CHOICES = [['', 'All rows in the file'], ['mismatch', 'Mismatches'], ['left_only', `Only in ${sides.left}`], ['right_only', `Only in ${sides.right}`], ['duplicate', 'Duplicates']];
  const statusSel = h('select', { id: 'row-status' }, STATUS_CHOICES.map(([v, t]) => h('option', { value: v }, t)));
  const colSel = h('select', { id: 'row-column' }, h('option', { value: '' }, 'Any column'), (run.columnsWithDifferences ?? []).map((c) => h('option', { value: c.column }, c.label)));
  const table = h('div', { id: 'rows' });
  const info = h('span', { class: 'muted', role: 'status' });
  const prev = h('button', { type: 'button', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next');
  const showAll = h('input', { type: 'checkbox', id: 'row-all-columns' });
  const stack = [];
  let current;
  const load = async (cont) => {
    const q = new URLSearchParams({ limit: '50' });
    if (statusSel.value) q.set('status', statusSel.value);
    if (colSel.value) q.set('column', colSel.value);
    if (cont) q.set('continue', cont);
    const page = await api(`${runPath(ns, name)}/rows?${q}`);
    current = cont;
    const labels = page.statusLabels ?? {};
    // Compared columns without a single difference say nothing; they are one tick away.
    const cols = page.columns.filter((col) => showAll.checked || !col.noDifferences);
    table.replaceChildren(scroller(h('table', { 'aria-label': 'Result rows' },
      h('thead', {}, h('tr', {}, cols.map((col) => h('th', { scope: 'col', title: col.name }, col.label ?? col.name)))),
      h('tbody', {}, page.items.map((r) => h('tr', {}, cols.map((col) => {
        const v = r[col.name];
        const text = col.name === 'recon_status' && labels[v] ? labels[v] : col.name === 'recon_duplicate_side' && page.duplicateSideLabels?.[v] ? page.duplicateSideLabels[v] : fmtCell(col.name, v);
        return h('td', { class: /_(diff|left|right)$/.test(col.name) && /^-?\d/.test(String(v ?? '')) ? 'num' : undefined }, text);
      })))))));
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
  showAll.addEventListener('change', () => void load(current));
  await load(undefined);
  return h('div', {},
    h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'row-status' }, 'Show'), statusSel), h('div', {}, h('label', { for: 'row-column' }, 'Differing in'), colSel),
      h('div', { class: 'check' }, showAll, h('label', { for: 'row-all-columns' }, 'Also columns without differences'))),
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
