// The issue-5 benchmark: `ab -n 1000000 -c 1000` on the uvicorn preset, in the release build.
// Measures (and prints, and writes to test-results/bench/worker-bench.json):
//   - wall time from clicking Run to the result arriving on the page,
//   - the longest main-thread task during the run (PerformanceObserver 'longtask'),
//   - time from the result's arrival to the charts being drawn (performance marks),
//   - growth of the page's memory (JS heap + the page's wasm memory) over the run.
import { expect, test } from '@playwright/test';
import * as fs from 'fs';

test('ab -n 1000000 -c 1000 on ab-uvicorn', async ({ page }, testInfo) => {
  await page.addInitScript(() => {
    const w = window as any;
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    addEventListener('TrunkApplicationStarted', (e: any) => (w.__wasm = e.detail.wasm));
  });
  await page.goto('./');
  await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
  await page.getByLabel('Preset').selectOption('ab-uvicorn');
  await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('5000');
  for (const [id, v] of [['#f-requests', '1000000'], ['#f-concurrency', '1000']]) {
    await page.locator(id).fill(v);
    await page.locator(id).blur();
  }
  const results: Record<string, unknown> = {};
  for (const tab of ['Latency', 'Timeline']) {
    await page.getByRole('tab', { name: tab }).click();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const memory = async () => {
      const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      const wasm = await page.evaluate(() => (window as any).__wasm?.memory?.buffer?.byteLength ?? 0);
      return { heap: heap.usedSize, wasm };
    };
    const before = await memory();
    const start = await page.evaluate(() => {
      (window as any).__longTasks = [];
      return performance.now();
    });
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('', { timeout: 60_000 });
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('1000000');
    await page.waitForTimeout(300);
    const m = await page.evaluate((t0) => {
      const marks = performance.getEntriesByType('mark').map((e) => ({ name: e.name, t: e.startTime }));
      const result = marks.filter((x) => x.name.startsWith('loopsim:result:')).pop()!;
      const id = result.name.split(':')[2];
      const drawn = marks.find((x) => x.name === `loopsim:drawn:${id}`)!;
      const tasks = (window as any).__longTasks as { start: number; duration: number }[];
      const during = tasks.filter((x) => x.start < result.t);
      return {
        run_ms: result.t - t0,
        charts_drawn_ms: drawn.t - result.t,
        longest_task_during_run_ms: Math.max(0, ...during.map((x) => x.duration)),
        longest_task_overall_ms: Math.max(0, ...tasks.map((x) => x.duration)),
        long_tasks: tasks.length,
      };
    }, start);
    await cdp.send('HeapProfiler.collectGarbage');
    const after = await memory();
    const growthMb = (after.heap - before.heap + after.wasm - before.wasm) / 1e6;
    results[tab] = { ...m, memory_growth_mb: Number(growthMb.toFixed(1)), heap_mb: after.heap / 1e6, wasm_mb: after.wasm / 1e6 };
    console.log(`[${tab} tab] ${JSON.stringify(results[tab])}`);
  }
  fs.mkdirSync(testInfo.outputDir, { recursive: true });
  fs.writeFileSync(`${testInfo.outputDir}/worker-bench.json`, JSON.stringify(results, null, 2));
});
