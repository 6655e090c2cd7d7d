import { expect, test, type Page } from '@playwright/test';

/** Collects console errors, uncaught exceptions and failed or 4xx/5xx requests of a page. */
export function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return problems;
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} scheme`, () => {
    test.use({ colorScheme });

    test('loads, runs the first preset in the worker, and edits work', async ({ page }, testInfo) => {
      const problems = watchForProblems(page);
      await page.goto('./');
      await expect(page).toHaveTitle('loopsim');
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('loopsim');
      // The initial preset runs in the web worker as the page opens.
      await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
      await expect(page.getByTestId('ab-report')).toContainText('Complete requests:      2');
      // A control works: make the route `def` and run again.
      await page.getByLabel('Route').selectOption('def');
      await expect(page.getByTestId('run-status')).toContainText('scenario changed');
      await page.getByTestId('run-button').click();
      await expect(page.getByTestId('kpi-max').locator('dd')).toHaveText(/^10(\.00\d)? s$/);
      await page.screenshot({ path: testInfo.outputPath(`loopsim-${colorScheme}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });
  });
}
