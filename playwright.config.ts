import { defineConfig } from '@playwright/test';

// End-to-end tests for the loopsim web app. They drive Debian's /usr/bin/chromium (never a
// browser downloaded by Playwright) against release builds that scripts/test.sh makes first:
//   dist/                      `trunk build --release`, served at /
//   target/dist-subpath/       `trunk build --release --public-url /loopsim/`, served at /loopsim/
const port = Number(process.env.LOOPSIM_E2E_PORT ?? 4173);
const subpathDist = process.env.LOOPSIM_SUBPATH_DIST ?? 'target/dist-subpath';
const rootURL = `http://127.0.0.1:${port}/`;
const subpathURL = `http://127.0.0.1:${port + 1}/loopsim/`;
// The embed example, on another port: another origin than the app.
export const examplesURL = `http://127.0.0.1:${port + 2}/`;

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'root', use: { baseURL: rootURL } },
    { name: 'subpath', use: { baseURL: subpathURL }, grep: /light scheme/ },
  ],
  webServer: [
    {
      command: `node e2e/serve.mjs dist ${port} /`,
      url: rootURL,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `node e2e/serve.mjs examples ${port + 2} /`,
      url: `${examplesURL}embed.html`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `node e2e/serve.mjs ${subpathDist} ${port + 1} /loopsim/`,
      url: subpathURL,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
