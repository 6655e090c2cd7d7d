import { expect, test, type Page } from '@playwright/test';
import { watchForProblems } from './helpers';

/** Records main-thread long tasks (PerformanceObserver 'longtask') from the first paint on. */
async function watchLongTasks(page: Page) {
  await page.addInitScript(() => {
    (window as any).__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (window as any).__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}

async function longestTask(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, ...((window as any).__longTasks as number[])));
}

async function setRequests(page: Page, requests: number, concurrency = 1000) {
  await page.locator('#f-requests').fill(String(requests));
  await page.locator('#f-requests').blur();
  await page.locator('#f-concurrency').fill(String(concurrency));
  await page.locator('#f-concurrency').blur();
}

test.describe('big runs in the web worker', () => {
  test.beforeEach(async ({ page }) => {
    await watchLongTasks(page);
    await page.goto('./');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    await page.getByLabel('Preset').selectOption('ab-uvicorn');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('5000');
  });

  test('progress moves, Cancel stops the run, the page stays responsive', async ({ page }) => {
    const problems = watchForProblems(page);
    await setRequests(page, 5_000_000);
    await page.getByTestId('run-button').click();
    const progress = page.getByTestId('progress');
    await expect(progress).toBeVisible();
    // Progress moves: two readings a little apart differ.
    await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(0);
    const first = Number(await progress.getAttribute('value'));
    await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(first);
    await expect(page.getByTestId('run-status')).toContainText(/Running: \d+ of 5000000 requests/);
    // The UI answers while the worker runs: switching tabs works at once.
    await page.getByRole('tab', { name: 'Code' }).click();
    await expect(page.getByTestId('server-command')).toContainText('uvicorn main:app');
    await page.getByRole('tab', { name: 'Report' }).click();
    // Cancel: the run stops, and no result of it arrives later.
    const t0 = Date.now();
    await page.getByTestId('cancel-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('Run cancelled.');
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(progress).toHaveCount(0);
    await page.waitForTimeout(1500);
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('5000');
    expect(problems).toEqual([]);
  });

  test('a second run replaces the first', async ({ page }) => {
    await setRequests(page, 5_000_000);
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('progress')).toBeVisible();
    await setRequests(page, 3000, 300);
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('3000');
    await expect(page.getByTestId('ab-report')).toContainText('Concurrency Level:      300');
    // The abandoned 5 M-request run never shows up.
    await page.waitForTimeout(1500);
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('3000');
    await expect(page.getByTestId('run-status')).toHaveText('');
  });

  test('a 200 000-request run causes no long task over 200 ms', async ({ page }) => {
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await setRequests(page, 200_000);
    await page.evaluate(() => ((window as any).__longTasks = []));
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('200000', { timeout: 30_000 });
    await page.getByRole('tab', { name: 'Latency' }).click();
    await expect(page.getByTestId('latency-chart')).toBeVisible();
    const longest = await longestTask(page);
    console.log(`longest main-thread task during a 200 000-request run: ${longest.toFixed(0)} ms`);
    expect(longest).toBeLessThan(200);
    // Percentiles cover every request; details are kept for a bounded window.
    await expect(page.getByTestId('ab-report')).toHaveCount(0);
    await page.getByRole('tab', { name: 'Report' }).click();
    await expect(page.getByTestId('ab-report')).toContainText('percentiles from a histogram');
  });
});
