// The results page in a real browser: headless Chromium against `raas web` on the real
// control plane (test/support/web-env.ts), signed in with real tokens. Each step saves a
// screenshot under .tmp/screenshots.
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { backfill } from '../../operator/cli/recon-commands.ts';
import { launchChromium, screenshotDir } from '../support/browser.ts';
import { sharedService } from '../support/require-service.ts';
import { s3ReconJob, statusOf, waitFor } from '../support/operator-env.ts';
import { webEnvForFile, type WebEnv } from '../support/web-env.ts';

const world = webEnvForFile();
const browser = sharedService('headless Chromium', launchChromium, (b) => b.close());

// Secure cookies are kept for http://localhost (a trustworthy origin), as for https.
const origin = (w: WebEnv) => w.web.url.replace('127.0.0.1', 'localhost');

async function signIn(b: Browser, w: WebEnv, token: string, width = 1280): Promise<Page> {
  const context = await b.newContext({ acceptDownloads: true, viewport: { width, height: 900 }, timezoneId: 'Europe/London', locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${origin(w)}/`);
  await page.waitForURL(/\/signin$/);
  await page.getByLabel('Token').fill(token);
  await page.screenshot({ path: join(screenshotDir, '0-signin.png') });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin(w)}/`, { timeout: 15_000 }).catch(async (err: unknown) => {
    throw new Error(`sign-in did not reach the jobs page: at ${page.url()}: ${(await page.locator('body').textContent())?.slice(0, 300)}`, { cause: err });
  });
  await page.getByRole('table', { name: 'Reconciliation jobs' }).waitFor();
  return page;
}

const BREAK_DAYS = ['2024-03-01', '2024-03-02', '2024-03-03'] as const;

const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

describe('results page in headless Chromium', { timeout: 300_000 }, () => {
  it('a finance user signs in, sees the unbalanced job, its history, a run\'s differences, downloads the CSV and starts a rerun', async (ctx) => {
    const w = await world(ctx);
    const b = await browser(ctx);
    const page = await signIn(b, w, w.tokens.alice);
    const jobs = page.getByRole('table', { name: 'Reconciliation jobs' });
    const row = jobs.getByRole('row').filter({ hasText: 'orders' });
    await expect(row.locator('.badge').textContent()).resolves.toBe('unbalanced');
    // The last window is shown as a date in the job's time zone (Asia/Tokyo).
    await expect(row.textContent()).resolves.toContain('2024-01-02');
    await expect(jobs.textContent()).resolves.not.toContain('payouts');
    await shot(page, '1-jobs');

    await row.getByRole('link', { name: 'orders' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await expect(page.locator('figure').count()).resolves.toBeGreaterThanOrEqual(5);
    await expect(page.locator('figure svg[role=img]').first().getAttribute('aria-label')).resolves.toContain('2023-12-31');
    await page.getByText('History as a table').click();
    const hist = page.getByRole('table', { name: 'History per window' });
    await expect(hist.textContent()).resolves.toContain('summary.json (run pruned)');
    await shot(page, '2-job-history');

    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: w.runs.unbalanced }).click();
    await page.getByRole('heading', { name: 'Rows' }).waitFor();
    const counts = page.getByRole('list', { name: 'Counts' });
    await expect(counts.textContent()).resolves.toMatch(/Mismatched\s*2/);
    await expect(page.getByRole('table', { name: 'Diff total' }).textContent()).resolves.toContain('0.50');
    await page.getByLabel('Show').selectOption('mismatch');
    const rows = page.getByRole('table', { name: 'Result rows' });
    await expect.poll(() => rows.locator('tbody tr').count(), { timeout: 20_000 }).toBe(2);
    // Money keeps every digit, with thousands separators.
    await expect(rows.textContent()).resolves.toContain('1,234,567.89');
    await page.getByLabel('Differing in').selectOption('amount');
    await expect.poll(() => rows.locator('tbody tr').count(), { timeout: 20_000 }).toBe(1);
    await shot(page, '3-run-mismatches');

    const link = page.getByRole('link', { name: /^Download .*\.csv$/ });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = join(screenshotDir, 'download.csv');
    await download.saveAs(file);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines[0]).toContain('recon_status');
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(['2', '3', '4', '5']);
    expect(lines.find((l) => l.startsWith('2,'))).toContain('mismatch');

    await page.getByRole('link', { name: `${w.ns.finance}/orders` }).click();
    await page.getByLabel(/A date in the period/).fill('2024-01-01');
    await page.getByRole('button', { name: 'Start rerun' }).click();
    const started = page.locator('#action-status');
    await expect.poll(() => started.textContent(), { timeout: 20_000 }).toMatch(/^Started orders-/);
    const name = (await started.textContent())!.replace('Started ', '');
    // The new run is linked from its own row and from the "replaced by" cell of the run it replaces.
    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name, exact: true }).first().waitFor({ timeout: 30_000 });
    await shot(page, '4-rerun-started');
    await page.context().close();
    // The rerun writes the window's output location again (remove, then put): the later
    // tests read the seed runs' files there, so they start once it has committed.
    await waitFor(`rerun ${name} to finish`, async () => ['Succeeded', 'Failed'].includes(String(statusOf(await w.env.get('reconruns', w.ns.finance, name)).phase)), 180_000);
    expect(statusOf(await w.env.get('reconruns', w.ns.finance, name)).phase).toBe('Succeeded');
  });

  it('a user allowed in one namespace sees only that namespace', async (ctx) => {
    const w = await world(ctx);
    const b = await browser(ctx);
    const page = await signIn(b, w, w.tokens.bob);
    const text = (await page.getByRole('table', { name: 'Reconciliation jobs' }).textContent()) ?? '';
    expect(text).toContain('payouts');
    expect(text).not.toContain('finance');
    expect(text).not.toContain('orders');
    await shot(page, '5-one-namespace');
    await page.goto(`${origin(w)}/#/jobs/${w.ns.finance}/orders`);
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.not.toContain('orders');
    await page.context().close();
  });

  /** The page never scrolls sideways and Sign out is on screen (wide tables scroll in their own box). */
  async function fits(page: Page, what: string): Promise<void> {
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth }));
    expect(m.scroll, `${what}: page width ${m.scroll} px at a ${m.inner} px viewport`).toBeLessThanOrEqual(m.inner);
    expect(m.body, what).toBeLessThanOrEqual(m.inner);
    const out = await page.getByRole('button', { name: 'Sign out' }).boundingBox();
    expect(out, `${what}: Sign out is not rendered`).not.toBeNull();
    expect(out!.x + out!.width, `${what}: Sign out is off-screen`).toBeLessThanOrEqual(m.inner);
  }

  it('works a break: filters, sorts, assigns, comments, closes with a reason, shows the audit trail and exports exactly the filtered rows', async (ctx) => {
    const w = await world(ctx);
    const b = await browser(ctx);
    const page = await signIn(b, w, w.tokens.alice);
    await page.goto(`${origin(w)}/#/runs/${w.ns.finance}/${w.runs.unbalanced}`);
    const breaks = page.getByRole('table', { name: 'Breaks' });
    await expect.poll(() => breaks.locator('tbody tr').count(), { timeout: 20_000 }).toBe(4);
    // The sides' names, not engine names.
    await expect(breaks.locator('thead').textContent()).resolves.toContain('Ledger amount');
    await expect(breaks.textContent()).resolves.toContain('Only in psp');
    await expect(breaks.textContent()).resolves.not.toContain('left_only');
    // Sort by any column: the ledger amount, ascending then descending.
    // Each click waits for the table to say it is sorted that way: a second click before the
    // first answer has rendered would land on the old header.
    const ledgerSort = () => breaks.getByRole('columnheader', { name: /Ledger amount/ }).getAttribute('aria-sort');
    await breaks.getByRole('button', { name: /^Ledger amount/ }).click();
    await expect.poll(ledgerSort, { timeout: 20_000 }).toBe('ascending');
    await expect.poll(async () => (await breaks.locator('tbody tr').first().textContent()) ?? '', { timeout: 20_000 }).toContain('20.00');
    await breaks.getByRole('button', { name: /^Ledger amount/ }).click();
    await expect.poll(ledgerSort, { timeout: 20_000 }).toBe('descending');
    await expect.poll(async () => (await breaks.locator('tbody tr').first().textContent()) ?? '', { timeout: 20_000 }).toContain('1,234,567.89');

    await page.getByLabel('Key search').fill('4');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => breaks.locator('tbody tr').count(), { timeout: 20_000 }).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download these breaks (CSV)' }).click()]);
    const file = join(screenshotDir, 'breaks.csv');
    await download.saveAs(file);
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Only in psp');

    await breaks.getByRole('button', { name: '4', exact: true }).click();
    const detail = page.getByRole('region', { name: 'Break' });
    await detail.getByLabel('Assign to (empty: nobody)').fill('bob');
    await detail.getByRole('button', { name: 'Assign' }).click();
    await expect.poll(() => page.locator('#break-action-status').textContent(), { timeout: 20_000 }).toBe('Saved: assign');
    await page.getByLabel('Comment (at most 2,000 characters)').fill('PSP settled this on the 3rd; reference 88-1');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await expect.poll(() => page.getByRole('list', { name: 'Audit trail' }).textContent(), { timeout: 20_000 }).toContain('reference 88-1');
    await page.getByLabel('Reason').selectOption('adjusted upstream');
    await page.getByRole('button', { name: 'Close break' }).click();
    await expect.poll(() => page.getByRole('list', { name: 'Audit trail' }).textContent(), { timeout: 20_000 }).toContain(`${w.users.alice} · close as adjusted upstream`);
    const trail = (await page.getByRole('list', { name: 'Audit trail' }).textContent()) ?? '';
    expect(trail).toMatch(new RegExp(`${w.users.alice} · assign to bob[\\s\\S]*${w.users.alice} · comment[\\s\\S]*${w.users.alice} · close as adjusted upstream`));
    await expect.poll(async () => (await breaks.locator('tbody tr').first().textContent()) ?? '', { timeout: 20_000 }).toMatch(/closed\s*bob/);
    await page.getByRole('button', { name: 'Reopen' }).waitFor();
    await shot(page, '6-break-closed');
    await page.getByLabel('State', { exact: true }).selectOption('closed');
    await page.getByLabel('Key search').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => breaks.locator('tbody tr').count(), { timeout: 20_000 }).toBe(1);
    await page.context().close();

    // A reader who may not work breaks sees the reason, and no forms.
    const reader = await signIn(b, w, w.tokens.reporting);
    await reader.goto(`${origin(w)}/#/runs/${w.ns.finance}/${w.runs.unbalanced}`);
    await reader.getByRole('table', { name: 'Breaks' }).waitFor();
    await expect(reader.locator('main').textContent()).resolves.toContain('Read-only: you may read these breaks; working them takes update on reconruns/breaks');
    await reader.getByRole('table', { name: 'Breaks' }).getByRole('button', { name: '3', exact: true }).click();
    await reader.getByRole('list', { name: 'Audit trail' }).waitFor();
    await expect(reader.getByRole('button', { name: 'Close break' }).count()).resolves.toBe(0);
    await reader.context().close();
  });

  it('shows money at stake per currency, a carry-forward job\'s matched-late row, ageing breaks and a duplicate in the sides\' names, at 390 px and desktop width', async (ctx) => {
    const w = await world(ctx);
    const b = await browser(ctx);
    const ns = w.ns.finance;
    // examples/breaks: three days of ledger against PSP with spec.amount and carryForward;
    // day 3's ledger also books C-3002 twice (a duplicate key).
    const example = new URL('../../examples/breaks/', import.meta.url);
    for (const day of BREAK_DAYS) {
      for (const [bucket, side] of [['ledger', 'ledger'], ['psp', 'psp']] as const) {
        let body = await readFile(fileURLToPath(new URL(`data/${side}/${day}.csv`, example)), 'utf8');
        if (side === 'ledger' && day === '2024-03-03') body += 'C-3002,12.00,EUR,Harbour Ltd\nC-3002,12.00,EUR,Harbour Ltd\n';
        await w.env.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `breaks/${day}.csv`, Body: body }));
      }
    }
    const manifest = parse(await readFile(fileURLToPath(new URL('reconjob.yaml', example)), 'utf8')) as { metadata: Record<string, unknown>; spec: Record<string, Record<string, unknown>> };
    manifest.metadata = { name: 'ledger-psp', namespace: ns };
    manifest.spec.left!.uri = 's3://ledger/breaks/{{ window.startDate }}.csv';
    manifest.spec.right!.uri = 's3://psp/breaks/{{ window.startDate }}.csv';
    manifest.spec.output = { ...manifest.spec.output, uri: `s3://results/${ns}/{{ job.name }}/{{ window.startDate }}/` };
    manifest.spec.runner = { envFrom: [{ secretRef: { name: 's3-creds' } }] };
    manifest.spec.schedule = { ...manifest.spec.schedule, suspend: true };
    await w.env.kube.createCustom('reconjobs', ns, manifest);
    await waitFor('ReconJob ledger-psp Ready', async () => (statusOf(await w.env.get('reconjobs', ns, 'ledger-psp')).conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True'));
    const { created } = await backfill(w.env.kube, { namespace: ns, job: 'ledger-psp', from: BREAK_DAYS[0], to: BREAK_DAYS[2] }, () => undefined);
    const runOf = new Map(BREAK_DAYS.map((d, i) => [d, created[i]!]));
    await waitFor('the three windows to succeed, in order', async () => {
      const phases = await Promise.all(created.map(async (n) => statusOf(await w.env.get('reconruns', ns, n)).phase));
      if (phases.includes('Failed')) throw new Error(`a ledger-psp run failed: ${phases.join(', ')}`);
      return phases.every((p) => p === 'Succeeded');
    }, 300_000);

    for (const width of [390, 1280]) {
      const page = await signIn(b, w, w.tokens.alice, width);
      // The jobs list: money at stake per currency of the latest window.
      const row = page.getByRole('table', { name: 'Reconciliation jobs' }).getByRole('row').filter({ hasText: 'ledger-psp' });
      await expect(row.textContent()).resolves.toContain('EUR 118.00');

      // The job page: each window's money per currency, never added across currencies.
      await page.goto(`${origin(w)}/#/jobs/${ns}/ledger-psp`);
      const runsTable = page.getByRole('table', { name: 'Runs' });
      await runsTable.waitFor();
      const day1 = runsTable.getByRole('row').filter({ hasText: runOf.get('2024-03-01')! });
      await expect(day1.locator('.stake').textContent()).resolves.toBe('EUR 118.00USD 250.00');
      await expect(page.getByLabel('and every later window (they read this one)').count()).resolves.toBe(1);
      await fits(page, `carry-forward job at ${width}`);

      // Day 1: money at stake per currency and side, in the sides' names.
      await page.goto(`${origin(w)}/#/runs/${ns}/${runOf.get('2024-03-01')}`);
      const stake = page.getByRole('table', { name: 'Money at stake', exact: true });
      await stake.waitFor();
      await expect(stake.locator('thead').textContent()).resolves.toBe('CurrencyOnly in ledgerOnly in pspDifferencesTotal');
      await expect(stake.getByRole('row').filter({ hasText: 'EUR' }).textContent()).resolves.toBe('EUR75.5042.000.50118.00');
      await expect(stake.getByRole('row').filter({ hasText: 'USD' }).textContent()).resolves.toBe('USD250.000.000.00250.00');

      // Day 2: A-1002 settled a day late: a matched-late row, its day-1 break resolved.
      await page.goto(`${origin(w)}/#/runs/${ns}/${runOf.get('2024-03-02')}`);
      const rows = page.getByRole('table', { name: 'Result rows' });
      await rows.waitFor();
      const late = rows.getByRole('row').filter({ hasText: 'A-1002' });
      // The page swaps in the new run's rows when they arrive: wait for day 2's.
      await expect.poll(() => late.textContent(), { timeout: 20_000 }).toContain('Matched late');
      await expect(rows.textContent()).resolves.toContain('Only in ledger');
      await expect(rows.textContent()).resolves.toContain('Only in psp');
      await fits(page, `matched-late run at ${width}`);
      await shot(page, `carry-run-${width}`);

      // Day 3: the open breaks have aged two days; C-3002's duplicate row names the side and its rows.
      await page.goto(`${origin(w)}/#/runs/${ns}/${runOf.get('2024-03-03')}`);
      const breaks = page.getByRole('table', { name: 'Breaks' });
      await breaks.waitFor();
      const a1003 = breaks.getByRole('row').filter({ hasText: 'A-1003' });
      await expect.poll(() => a1003.locator('td').nth(4).textContent(), { timeout: 20_000 }).toBe('2');
      await expect(a1003.locator('td').nth(5).textContent()).resolves.toBe('persisting');
      await expect(a1003.locator('td').nth(1).textContent()).resolves.toBe('Only in ledger');
      await page.getByLabel('Show').selectOption('duplicate');
      const dups = page.getByRole('table', { name: 'Result rows' });
      await expect.poll(() => dups.locator('tbody tr').count(), { timeout: 20_000 }).toBe(1);
      const head = ((await dups.locator('thead th').allTextContents()) ?? []).map((t) => t.trim());
      const cell = async (label: string) => (await dups.locator('tbody tr td').nth(head.indexOf(label)).textContent())?.trim();
      expect(head).toEqual(expect.arrayContaining(['Duplicated in', 'Rows in Ledger', 'Rows in Psp', 'Ledger money']));
      await expect(cell('Duplicated in')).resolves.toBe('ledger');
      await expect(cell('Rows in Ledger')).resolves.toBe('2');
      await expect(cell('Rows in Psp')).resolves.toBe('0');
      await expect(cell('Ledger money')).resolves.toBe('24.00');
      await fits(page, `ageing run at ${width}`);
      await shot(page, `carry-ageing-${width}`);
      await page.context().close();
    }
  });

  it('shows counts from the run\'s status when a result file is gone, an invalid job\'s reason without rerun forms, and fits a 390 px phone', async (ctx) => {
    const w = await world(ctx);
    const b = await browser(ctx);
    const api = async (path: string) => (await (await fetch(`${w.web.url}/api/v1/${path}`, { headers: { authorization: `Bearer ${w.tokens.alice}` } })).json()) as { items: Array<{ name: string; phase?: string; badge?: string }> };
    // Runs started by the tests above write the same result files; let them finish first.
    await waitFor('every finance run to finish', async () => (await api(`namespaces/${w.ns.finance}/reconruns`)).items.every((r) => r.phase === 'Succeeded' || r.phase === 'Failed'), 180_000);
    // The balanced run's result file is removed (a lifecycle rule); its status stays.
    const run = await w.env.get('reconruns', w.ns.finance, w.runs.balanced);
    const files = (statusOf(run).results as { files?: string[] } | undefined)?.files ?? [];
    for (const f of files) {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(f)!;
      await w.env.s3.client.send(new DeleteObjectCommand({ Bucket: m[1], Key: m[2] }));
    }
    await w.env.kube.createCustom('reconjobs', w.ns.finance, s3ReconJob('broken', w.ns.finance, { schedule: { cron: '0 0 5-1 * *', timeZone: 'UTC', suspend: true } }));
    await waitFor('the operator to mark the job invalid', async () => (await api(`namespaces/${w.ns.finance}/reconjobs`)).items.some((j) => j.name === 'broken' && j.badge === 'invalid'));

    for (const width of [390, 1280]) {
      const page = await signIn(b, w, w.tokens.alice, width);
      const jobs = page.getByRole('table', { name: 'Reconciliation jobs' });
      // Invalid first, with its reason.
      await expect(jobs.locator('tbody tr').first().textContent()).resolves.toMatch(/broken[\s\S]*invalid[\s\S]*schedule\.cron/);
      await fits(page, `jobs at ${width}`);
      await shot(page, `jobs-${width}`);

      await page.goto(`${origin(w)}/#/runs/${w.ns.finance}/${w.runs.balanced}`);
      await page.getByRole('list', { name: 'Counts' }).waitFor();
      await expect(page.getByRole('list', { name: 'Counts' }).textContent()).resolves.toMatch(/Matched\s*2/);
      // The run was replaced by the rerun above, which the page says too; the file notice is its own line.
      const notices = page.locator('.notice').filter({ hasText: 'could not be read' });
      await expect.poll(() => notices.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
      await expect(notices.first().textContent()).resolves.toMatch(/^The breaks could not be read from the result files \(the result file is gone.*\); the counts and money above come from the run's status\.$/);
      await fits(page, `run without its file at ${width}`);

      await page.goto(`${origin(w)}/#/runs/${w.ns.finance}/${w.runs.unbalanced}`);
      await page.getByRole('table', { name: 'Breaks' }).waitFor();
      await page.getByRole('table', { name: 'Result rows' }).waitFor();
      await fits(page, `run at ${width}`);
      await shot(page, `run-${width}`);

      await page.goto(`${origin(w)}/#/jobs/${w.ns.finance}/orders`);
      await page.getByRole('table', { name: 'Runs' }).waitFor();
      await fits(page, `job at ${width}`);

      await page.goto(`${origin(w)}/#/jobs/${w.ns.finance}/broken`);
      await page.getByText(/cannot be rerun or backfilled until its ReconJob is fixed/).waitFor();
      await expect(page.getByRole('button', { name: 'Start rerun' }).count()).resolves.toBe(0);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('schedule.cron');
      await fits(page, `invalid job at ${width}`);
      await shot(page, `invalid-job-${width}`);
      await page.context().close();
    }
  });
});

