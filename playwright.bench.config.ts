import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Browser benchmarks (not tests): `npm run bench` after `trunk build --release`.
export default defineConfig({
  ...base,
  testDir: './bench/browser',
  testMatch: /.*\.bench\.ts/,
  outputDir: './test-results/bench',
  timeout: 180_000,
  projects: [{ name: 'root', use: { baseURL: `http://127.0.0.1:${Number(process.env.LOOPSIM_E2E_PORT ?? 4173)}/` } }],
  webServer: Array.isArray(base.webServer) ? base.webServer[0] : base.webServer,
});
