import { expect, test, type Page } from '@playwright/test';
import * as zlib from 'zlib';
import { examplesURL } from '../playwright.config';
import { watchForProblems } from './helpers';

/** A share link carrying `json` as the scenario (deflate + base64url, as the app writes it). */
function link(json: string): string {
  return `#s=1.${zlib.deflateRawSync(Buffer.from(json)).toString('base64url')}`;
}

async function completed(page: Page) {
  return page.getByTestId('kpi-completed').locator('dd');
}

test.describe('share, embed and bad input', () => {
  test('a share link reproduces the run bit for bit', async ({ page, context }) => {
    await page.goto('./');
    await expect(await completed(page)).toHaveText('2');
    await page.getByLabel('Preset').selectOption('ab-waitress');
    await expect(await completed(page)).toHaveText('5000');
    for (const [id, v] of [['#f-seed', '7'], ['#f-requests', '800'], ['#f-concurrency', '80']]) {
      await page.locator(id).fill(v);
      await page.locator(id).blur();
    }
    await page.getByRole('tab', { name: 'Latency' }).click();
    await page.getByTestId('run-button').click();
    await expect(await completed(page)).toHaveText('800');
    await page.getByRole('tab', { name: 'Report' }).click();
    const report = await page.getByTestId('ab-report').innerText();
    // The address bar and the share box hold the same link.
    await page.getByText('Share and embed').click();
    const shared = await page.getByTestId('share-link').inputValue();
    expect(shared).toContain('#s=1.');
    expect(page.url()).toContain(shared.slice(shared.indexOf('#')));
    const other = await context.newPage();
    await other.goto(shared);
    await expect(await completed(other)).toHaveText('800');
    await expect(other.getByRole('tab', { name: 'Report' })).toHaveAttribute('aria-selected', 'true');
    expect(await other.getByTestId('ab-report').innerText()).toBe(report);
    await expect(other.locator('#f-seed')).toHaveValue('7');
  });

  test('the embed snippet works inside an iframe of another origin', async ({ page, baseURL }) => {
    const problems = watchForProblems(page);
    await page.goto(`${examplesURL}embed.html?app=${encodeURIComponent(baseURL!)}`);
    const frame = page.frameLocator('#loopsim');
    await expect(frame.getByTestId('embed')).toBeVisible();
    await expect(frame.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    // The compact layout: the chosen view, a Run button, a way out; no editor.
    await expect(frame.getByRole('tab', { name: 'Timeline' })).toHaveAttribute('aria-selected', 'true');
    await expect(frame.getByTestId('timeline')).toBeVisible();
    await expect(frame.getByTestId('run-button')).toBeVisible();
    await expect(frame.locator('#scenario-heading')).toHaveCount(0);
    const open = frame.getByTestId('open-in-loopsim');
    await expect(open).toHaveAttribute('target', '_blank');
    expect(await open.getAttribute('href')).toContain('#p=fastapi-async-time-sleep');
    expect(await open.getAttribute('href')).not.toContain('embed');
    await frame.getByTestId('run-button').click();
    await expect(frame.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    expect(problems).toEqual([]);
  });

  const hostile: [string, string, RegExp][] = [
    ['script tags', '#s=1.<script>alert(1)</script>', /is not base64url/],
    ['an unknown preset with markup', '#p=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E', /no preset named “<img src=x onerror=alert\(1\)>”/],
    ['a huge number', link('{"version":1,"server":{"kind":"uvicorn"},"handler":{"route":"async_def","steps":[]},"load":{"kind":"closed","requests":1e300,"concurrency":1}}'), /load\.requests: must be a whole number between 1 and 10000000/],
    ['an out-of-range value', link('{"version":1,"server":{"kind":"uvicorn","workers":100000},"handler":{"route":"async_def","steps":[]},"load":{"kind":"burst","clients":2}}'), /server\.workers: must be between 1 and 64 \(got 100000\)/],
    ['truncated data', '#s=1.' + zlib.deflateRawSync(Buffer.from('{"version":1}'.repeat(20))).toString('base64url').slice(0, 9), /damaged or truncated|truncated/],
    ['a newer version', '#s=9.AAAA', /version “9”/],
    ['a name with markup', link('{"version":1,"name":"<b onmouseover=alert(1)>x</b>","server":{"kind":"uvicorn"},"handler":{"route":"async_def","steps":[]},"load":{"kind":"burst","clients":1}}'), /.*/],
  ];
  for (const [what, fragment, reason] of hostile) {
    test(`a hostile link (${what}) shows an error and a working page`, async ({ page }) => {
      const problems = watchForProblems(page);
      let dialogs = 0;
      page.on('dialog', async (d) => {
        dialogs += 1;
        await d.dismiss();
      });
      await page.goto(`./${fragment}`);
      if (what === 'a name with markup') {
        // Valid: the name is shown as text, never as markup.
        await expect(page.getByTestId('notice')).toHaveCount(0);
        await expect(page.getByText('Share and embed')).toBeVisible();
        await expect(page.locator('b[onmouseover]')).toHaveCount(0);
        await expect(await completed(page)).toHaveText('1');
      } else {
        await expect(page.getByTestId('notice')).toContainText('This link could not be opened');
        await expect(page.getByTestId('notice')).toContainText(reason);
        // The page falls back to the default scenario and works.
        await expect(await completed(page)).toHaveText('2');
        await page.getByTestId('notice').getByRole('button', { name: 'Dismiss' }).click();
        await expect(page.getByTestId('notice')).toHaveCount(0);
      }
      await expect(page.locator('img[onerror], script:not([src]):not([type="module"])')).toHaveCount(0);
      expect(dialogs).toBe(0);
      expect(problems).toEqual([]);
    });
  }

  test('the app fetches nothing but its own files, under a Content-Security-Policy', async ({ page, baseURL }) => {
    const origins = new Set<string>();
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    const problems = watchForProblems(page);
    await page.goto('./');
    await expect(await completed(page)).toHaveText('2');
    await page.getByLabel('Preset').selectOption('ab-uvicorn');
    await expect(await completed(page)).toHaveText('5000');
    expect([...origins]).toEqual([new URL(baseURL!).origin]);
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
    expect(problems).toEqual([]);
  });
});
