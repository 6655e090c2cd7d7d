import { expect, test } from '@playwright/test';
import { watchForProblems } from './helpers';

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
