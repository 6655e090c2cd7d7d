import { expect, test, type Page } from '@playwright/test';

/** Collects console errors, uncaught exceptions and failed or 4xx/5xx requests of a page. */
function watchForProblems(page: Page): string[] {
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

    test('loads the shell and runs the engine on click', async ({ page }, testInfo) => {
      const problems = watchForProblems(page);

      await page.goto('./');
      await expect(page).toHaveTitle('loopsim');
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('loopsim');
      await expect(page.getByRole('heading', { name: 'Scenario' })).toBeVisible();
      await expect(page.getByRole('heading', { name: 'Results' })).toBeVisible();

      const result = page.getByTestId('run-result');
      await expect(result).toHaveText('No run yet.');

      await page.getByRole('button', { name: 'Run simulation' }).click();
      await expect(result).toHaveText(/^Run 1: \S/);
      await page.getByRole('button', { name: 'Run simulation' }).click();
      await expect(result).toHaveText(/^Run 2: \S/);

      // Kept as a test artifact under test-results/ (gitignored).
      await page.screenshot({ path: testInfo.outputPath(`loopsim-${colorScheme}.png`), fullPage: true });

      expect(problems).toEqual([]);
    });
  });
}
