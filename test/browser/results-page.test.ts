// The results page in a real browser: headless Chromium against `raas web` on the real
// control plane (test/support/web-env.ts), signed in with real tokens. Each step saves a
// screenshot under .tmp/screenshots.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, screenshotDir } from '../support/browser.ts';
import { sharedService } from '../support/require-service.ts';
import { webEnvForFile, type WebEnv } from '../support/web-env.ts';

const world = webEnvForFile();
const browser = sharedService('headless Chromium', launchChromium, (b) => b.close());

// Secure cookies are kept for http://localhost (a trustworthy origin), as for https.
const origin = (w: WebEnv) => w.web.url.replace('127.0.0.1', 'localhost');

async function signIn(b: Browser, w: WebEnv, token: string): Promise<Page> {
  const context = await b.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/London', locale: 'en-GB' });
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
    await expect.poll(() => rows.locator('tbody tr').count()).toBe(2);
    // Money keeps every digit, with thousands separators.
    await expect(rows.textContent()).resolves.toContain('1,234,567.89');
    await page.getByLabel('Differing in').selectOption('amount');
    await expect.poll(() => rows.locator('tbody tr').count()).toBe(1);
    await shot(page, '3-run-mismatches');

    const link = page.getByRole('link', { name: /^Download .*\.csv$/ });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = join(screenshotDir, 'download.csv');
    await download.saveAs(file);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines[0]).toContain('recon_status');
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(['2', '3', '4', '5']);
    expect(lines.find((l) => l.startsWith('2,'))).toContain('mismatch');

    await page.getByRole('link', { name: 'finance/orders' }).click();
    await page.getByLabel(/A date in the period/).fill('2024-01-01');
    await page.getByRole('button', { name: 'Start rerun' }).click();
    const started = page.locator('#action-status');
    await expect.poll(() => started.textContent()).toMatch(/^Started orders-/);
    const name = (await started.textContent())!.replace('Started ', '');
    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name }).waitFor({ timeout: 30_000 });
    await shot(page, '4-rerun-started');
    await page.context().close();
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
    await page.goto(`${origin(w)}/#/jobs/finance/orders`);
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.not.toContain('orders');
    await page.context().close();
  });
});
