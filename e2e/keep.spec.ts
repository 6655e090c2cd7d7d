import { expect, test } from '@playwright/test';
import { watchForProblems } from './helpers';

test.describe('saved scenarios, import and export', () => {
  test('saved scenarios survive a reload and load back', async ({ page }) => {
    const problems = watchForProblems(page);
    await page.goto('./');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    await page.locator('#f-seed').fill('3');
    await page.locator('#f-seed').blur();
    await page.locator('#save-name').fill('seed three');
    await page.getByTestId('save-button').click();
    await expect(page.getByTestId('saved-item')).toHaveAttribute('data-name', 'seed three');
    await page.reload();
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    const item = page.getByTestId('saved-item');
    await expect(item).toHaveCount(1);
    await expect(item).toHaveAttribute('data-name', 'seed three');
    await page.getByLabel('Preset').selectOption('ab-uvicorn');
    await item.getByTestId('saved-load').click();
    await expect(page.locator('#f-seed')).toHaveValue('3');
    await expect(page.getByLabel('Preset')).toHaveValue('');
    expect(problems).toEqual([]);
  });

  test('corrupt saved data is reported and kept aside, and the page works', async ({ page }) => {
    await page.addInitScript(() => {
      if (!sessionStorage.getItem('seeded')) {
        localStorage.setItem('loopsim.saved', '{"version": 1, "items": [{"id": 1, "name": "bad", "saved_at": 0, "scenario": {"version": 1, "server": {"kind": "uvicorn", "workers": 0}}}');
        sessionStorage.setItem('seeded', '1');
      }
    });
    await page.goto('./');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    await expect(page.getByTestId('saved-problems')).toContainText('kept aside');
    await expect(page.getByTestId('kept-aside-item')).toHaveCount(1);
    // Never silently dropped: the raw text is still stored.
    const stored = await page.evaluate(() => localStorage.getItem('loopsim.saved') ?? '');
    expect(stored).toContain('"workers": 0');
  });

  test('importing a bad file names the field and keeps the scenario; export works', async ({ page }) => {
    await page.goto('./');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    await page.getByTestId('import-input').setInputFiles({
      name: 'bad.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"version": 1, "server": {"kind": "uvicorn", "workers": 999}, "handler": {"route": "def", "steps": [{"kind": "await_io", "duration": {"dist": "constant", "ms": 1}}]}, "load": {"kind": "burst", "clients": 2}}'),
    });
    await expect(page.getByTestId('import-errors')).toContainText('server.workers: must be between 1 and 64 (got 999)');
    await expect(page.getByTestId('import-errors')).toContainText('handler.steps[0].kind');
    await expect(page.getByLabel('Preset')).toHaveValue('fastapi-async-time-sleep');
    const download = page.waitForEvent('download');
    await page.getByTestId('export-scenario').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('loopsim-scenario.json');
    const text = require('fs').readFileSync(await file.path(), 'utf8');
    expect(JSON.parse(text).name).toBe('fastapi-async-time-sleep');
    // A good file replaces the scenario.
    await page.getByTestId('import-input').setInputFiles({ name: 'good.json', mimeType: 'application/json', buffer: Buffer.from(text.replace('"seed": 1', '"seed": 9')) });
    await expect(page.locator('#f-seed')).toHaveValue('9');
  });
});
