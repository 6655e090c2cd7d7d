import { expect, test, type Page } from '@playwright/test';
import { watchForProblems } from './helpers';

async function openReplay(page: Page, preset: string) {
  await page.goto('./');
  await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
  await page.getByLabel('Preset').selectOption(preset);
  await expect(page.getByTestId('ab-report')).toContainText(`Scenario:               ${preset}`);
  await page.getByRole('tab', { name: 'Replay' }).click();
}

async function goTo(page: Page, seconds: number) {
  await page.getByTestId('replay-jump').fill(String(seconds));
  await page.getByTestId('replay-jump').press('Enter');
  await expect(page.locator('#replay-time')).toHaveAttribute('aria-valuetext', `${seconds} s`);
}

const replay = (page: Page) => page.getByTestId('replay');

test.describe('replay', () => {
  test('fastapi-async-time-sleep: at 5 s the loop is blocked and #1 queued; at 15 s #1 runs', async ({ page }, testInfo) => {
    const problems = watchForProblems(page);
    await openReplay(page, 'fastapi-async-time-sleep');
    await goTo(page, 5);
    await expect(replay(page).locator('[data-lane="w0 event loop"]')).toHaveAttribute('data-state', 'blocked');
    await expect(replay(page).locator('.replay-worker[data-worker="0"]')).toHaveAttribute('data-blocked', 'true');
    await expect(replay(page).locator('.replay-worker')).toContainText('blocked by time.sleep(10)');
    await expect(replay(page).locator('.client[data-request-id="0"]')).toHaveAttribute('data-phase', 'running');
    await expect(replay(page).locator('.client[data-request-id="1"]')).toHaveAttribute('data-phase', 'queued');
    // The console has printed the first request's line, and not yet the second's.
    await expect(page.getByTestId('console')).toContainText('Sleeping for 10');
    await expect(page.getByTestId('console').locator('.log-line')).toHaveCount(1);
    await page.screenshot({ path: testInfo.outputPath('replay-5s.png'), fullPage: true });
    await goTo(page, 15);
    await expect(replay(page).locator('.client[data-request-id="0"]')).toHaveAttribute('data-phase', 'done');
    await expect(replay(page).locator('.client[data-request-id="1"]')).toHaveAttribute('data-phase', 'running');
    await expect(replay(page).locator('[data-lane="w0 event loop"]')).toHaveAttribute('data-request-id', '1');
    await expect(page.getByTestId('console').locator('.log-line')).toHaveText([
      /0\.000 s\] w0 event loop #0 Sleeping for 10/,
      /10\.000 s\] w0 event loop #0 Awake/,
      /10\.00\d s\] w0 event loop #1 Sleeping for 10/,
    ]);
    expect(problems).toEqual([]);
  });

  test('flask-threaded-time-sleep: both requests run at 5 s', async ({ page }) => {
    await openReplay(page, 'flask-threaded-time-sleep');
    await goTo(page, 5);
    await expect(replay(page).locator('.client[data-phase="running"]')).toHaveCount(2);
    await expect(replay(page).locator('.replay-lane[data-state="blocked"]')).toHaveCount(2);
    await expect(replay(page).locator('.replay-worker[data-worker="0"]')).toHaveAttribute('data-blocked', 'false');
  });

  test('play, pause, keyboard, the cursor on the charts, and highlighting a request', async ({ page }) => {
    await openReplay(page, 'fastapi-async-time-sleep');
    const time = page.locator('#replay-time');
    await page.getByTestId('replay-play').click();
    await expect(page.getByTestId('replay-play')).toHaveText('Pause');
    await expect.poll(async () => Number(await time.inputValue())).toBeGreaterThan(0);
    await page.getByTestId('replay-play').click();
    const held = await time.inputValue();
    await page.waitForTimeout(300);
    expect(await time.inputValue()).toBe(held);
    // Keyboard: space plays, arrows step.
    await replay(page).focus();
    await page.keyboard.press('ArrowRight');
    expect(Number(await time.inputValue())).toBeGreaterThan(Number(held));
    // The timeline and the latency chart show the replay time.
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await expect(page.getByTestId('timeline-cursor')).toBeAttached();
    await page.getByRole('tab', { name: 'Latency' }).click();
    await expect(page.getByTestId('latency-cursor')).toBeAttached();
    // Clicking a request in the replay highlights it everywhere.
    await page.getByRole('tab', { name: 'Replay' }).click();
    await replay(page).locator('.client[data-request-id="1"]').click();
    await expect(page.getByTestId('request-detail')).toContainText('Request 1');
    await page.getByRole('tab', { name: 'Latency' }).click();
    await expect(page.getByTestId('latency-chart').locator('[data-request-id="1"][data-selected="true"]')).toHaveCount(1);
  });

  test('prefers-reduced-motion: playing steps instead of animating', async ({ browser, baseURL }) => {
    const context = await browser.newContext({ reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(baseURL!);
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    await page.getByRole('tab', { name: 'Replay' }).click();
    await expect(replay(page)).toContainText('Reduced motion: playing steps once a second.');
    await page.getByTestId('replay-play').click();
    await page.waitForTimeout(400);
    expect(Number(await page.locator('#replay-time').inputValue())).toBe(0);
    await context.close();
  });
});
