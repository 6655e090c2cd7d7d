import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { watchForProblems } from './helpers';

const PRESETS = [
  'fastapi-async-time-sleep',
  'fastapi-async-asyncio-sleep',
  'fastapi-def-time-sleep',
  'flask-threaded-time-sleep',
  'fastapi-background-task',
  'fastapi-def-cpu-bound',
  'fastapi-async-cpu-bound',
  'ab-flask-dev',
  'ab-uvicorn',
  'ab-uvicorn-noisy-host',
  'ab-uvicorn-4-workers',
  'ab-gunicorn-4-uvicorn-workers',
  'ab-waitress',
];

async function loadPreset(page: Page, name: string) {
  await openTab(page, 'Report');
  await page.getByLabel('Preset').selectOption(name);
  // Choosing a preset runs it; wait for its result (the report names the scenario).
  await expect(page.getByTestId('ab-report')).toContainText(`Scenario:               ${name}`, { timeout: 20_000 });
  await expect(page.getByTestId('run-status')).toHaveText('');
}

async function openTab(page: Page, name: string) {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
}

function latencies(report: string): number[] {
  // The ab table's rows, e.g. "  50%  20001".
  return [...report.matchAll(/^\s+(\d+)%\s+(\d+)/gm)].map((m) => Number(m[2]));
}

test.describe('the playground', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('./');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
  });

  test('fastapi-async-time-sleep: 10 s and 20 s, the loop blocked, the advisor names time.sleep', async ({ page }) => {
    const problems = watchForProblems(page);
    await loadPreset(page, 'fastapi-async-time-sleep');
    await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
    await expect(page.getByTestId('kpi-p50').locator('dd')).toHaveText(/^20(\.00\d)? s$/);
    await expect(page.getByTestId('kpi-max').locator('dd')).toHaveText(/^20(\.00\d)? s$/);
    const report = await page.getByTestId('ab-report').innerText();
    expect(report).toContain('Complete requests:      2');
    expect(report).toMatch(/Total:\s+10001\s+15001/);

    await openTab(page, 'Latency');
    const points = page.getByTestId('latency-chart').locator('[data-request-id]');
    await expect(points).toHaveCount(2);
    await points.first().click();
    await expect(page.getByTestId('request-latency')).toHaveText(/^10(\.00\d)? s$/);

    await openTab(page, 'Timeline');
    const loop = page.getByTestId('timeline').locator('[data-lane="w0 event loop"]');
    await expect(loop).toHaveCount(1);
    // Blocked segments cover (almost) the whole 20 s run.
    const blocked = loop.locator('[data-state="blocked"]');
    await expect(blocked).toHaveCount(2);

    await openTab(page, 'Advice');
    await expect(page.getByTestId('advice')).toContainText('time.sleep(10)');
    await expect(page.locator('[data-finding="loop_blocked"]')).toContainText('event loop was blocked');
    expect(problems).toEqual([]);
  });

  test('fastapi-def-time-sleep and flask: both requests finish at 10 s', async ({ page }) => {
    for (const name of ['fastapi-def-time-sleep', 'flask-threaded-time-sleep', 'fastapi-async-asyncio-sleep']) {
      await loadPreset(page, name);
      await expect(page.getByTestId('kpi-p50').locator('dd')).toHaveText(/^10(\.00\d)? s$/);
      await expect(page.getByTestId('kpi-max').locator('dd')).toHaveText(/^10(\.00\d)? s$/);
      const report = await page.getByTestId('ab-report').innerText();
      expect(latencies(report).every((ms) => ms >= 10000 && ms <= 10002)).toBe(true);
    }
  });

  test('every preset runs and shows its report, charts and advice', async ({ page }) => {
    test.setTimeout(120_000);
    const problems = watchForProblems(page);
    for (const name of PRESETS) {
      await loadPreset(page, name);
      await expect(page.getByTestId('preset-explanation')).not.toBeEmpty();
      const completed = Number(await page.getByTestId('kpi-completed').locator('dd').innerText());
      expect(completed, name).toBeGreaterThan(0);
      for (const tab of ['Latency', 'Distribution', 'Timeline', 'Concurrency', 'Advice', 'Code', 'Report']) {
        await openTab(page, tab);
      }
      // SVG charts stay small whatever the run.
      await openTab(page, 'Timeline');
      expect(await page.locator('svg *').count(), name).toBeLessThan(6000);
      await openTab(page, 'Report');
    }
    expect(problems).toEqual([]);
  });

  test('the background task answers at once; ab-flask-dev shows SYN retries', async ({ page }) => {
    await loadPreset(page, 'fastapi-background-task');
    // Both answered in well under a millisecond while the tasks sleep for 10 s.
    await expect(page.getByTestId('kpi-max').locator('dd')).toHaveText(/^\d+(\.\d+)? µs$/);
    await loadPreset(page, 'ab-flask-dev');
    await expect(page.getByTestId('ab-report')).toContainText('SYNs dropped (backlog full)');
    await openTab(page, 'Advice');
    await expect(page.locator('[data-finding="syn_drops"]')).toBeVisible();
  });

  test('the garbage collector: a full collection due shows in the report, the timeline and the advice', async ({ page }) => {
    const problems = watchForProblems(page);
    await loadPreset(page, 'ab-uvicorn');
    expect(await page.getByTestId('ab-report').innerText()).not.toContain('Garbage collections:');
    await page.locator('summary', { hasText: 'Garbage collector' }).click();
    await page.locator('#f-gc').check();
    await page.locator('#f-gc-due').check();
    await expect(page.locator('#f-gc-heap')).toHaveValue('50000');
    await page.getByTestId('run-button').click();
    // The first collection is the full one: 50 000 objects and the live ones, 0.4 µs each.
    // (500 connections keep promoting their objects: more full collections follow.)
    await expect(page.getByTestId('ab-report')).toContainText(/Garbage collections:\s+\d+ young, \d+ middle, [1-9]\d* full; paused [\d.]+ ms \(longest 2\d\.\d{3} ms\)/, { timeout: 20_000 });
    // The pause is on the event loop's lane of the timeline.
    await openTab(page, 'Timeline');
    const loop = page.getByTestId('timeline').locator('[data-lane="w0 event loop"]');
    await expect(loop.locator('title', { hasText: 'garbage collector' }).first()).toBeAttached();
    // The advice names it, with the fix.
    await openTab(page, 'Advice');
    await expect(page.locator('[data-finding="gc_pauses"]')).toContainText(/\d+ full garbage collections? of the whole heap/);
    await expect(page.locator('[data-finding="gc_pauses"]')).toContainText('gc.freeze()');
    await openTab(page, 'Report');
    // Garbage above the objects a request holds is refused, naming the field.
    await page.locator('#f-gc-garbage').fill('500');
    await page.locator('#f-gc-garbage').blur();
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.getByTestId('run-blocker')).toContainText('server.gc.garbage_per_request');
    await expect(page.locator('#f-gc-garbage-error')).toContainText('between 0 and objects_per_request (40)');
    // Off again: no collector in the report.
    await page.locator('#f-gc').uncheck();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    await expect(page.getByTestId('ab-report')).not.toContainText('Garbage collections:');
    expect(problems).toEqual([]);
  });

  test('a varying CPU speed shows in the report and widens the tail', async ({ page }) => {
    const problems = watchForProblems(page);
    // ab's percentile table: the 50 % and 100 % rows, in ms.
    const tail = async () => {
      const text = await page.getByTestId('ab-report').innerText();
      const p50 = Number(/^\s*50%\s+(\d+)/m.exec(text)![1]);
      const max = Number(/^\s*100%\s+(\d+)/m.exec(text)![1]);
      return max / p50;
    };
    await loadPreset(page, 'ab-uvicorn');
    const steady = await tail();
    await page.locator('summary', { hasText: 'Host: varying CPU speed' }).click();
    await page.locator('#f-speed').check();
    await expect(page.locator('#f-speed-sigma')).toHaveValue('0.15');
    await expect(page.locator('#f-speed-hold')).toHaveValue('40');
    await page.locator('#f-speed-sigma').fill('0.3');
    await page.locator('#f-speed-sigma').blur();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('ab-report')).toContainText('speed varying (sigma 0.3, held ~40 ms)', { timeout: 20_000 });
    expect(await tail()).toBeGreaterThan(steady + 0.1);
    // A hold of 0 is refused, naming the field and its range.
    await page.locator('#f-speed-hold').fill('0');
    await page.locator('#f-speed-hold').blur();
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.getByTestId('run-blocker')).toContainText('server.cpu_speed.hold_ms');
    await expect(page.locator('#f-speed-hold-error')).toContainText('between 0.1 and 60000');
    await page.locator('#f-speed').uncheck();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    await expect(page.getByTestId('ab-report')).not.toContainText('speed varying');
    expect(problems).toEqual([]);
  });

  test("the client's CPU sending each request and its cold first pass: checked against the whole, kept, cleared with it", async ({ page }) => {
    const problems = watchForProblems(page);
    await loadPreset(page, 'ab-uvicorn');
    // No client CPU: no part of it to give.
    await expect(page.locator('#f-client-send')).toHaveCount(0);
    await page.locator('#f-client-cpu').fill('150');
    await page.locator('#f-client-cpu').blur();
    await expect(page.locator('#f-client-send')).toHaveAttribute('placeholder', 'half');
    await page.locator('#f-client-send').fill('200');
    await page.locator('#f-client-send').blur();
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.getByTestId('run-blocker')).toContainText('load.client_send_us');
    await expect(page.locator('#f-client-send-error')).toContainText('between 0 and 150');
    await page.locator('#f-client-send').fill('50');
    await page.locator('#f-client-send').blur();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    await expect(page.locator('#f-client-send-error')).toHaveCount(0);
    // Its cold first pass after idling, and the part of it before the first send.
    await expect(page.locator('#f-client-cold-send')).toHaveCount(0);
    await page.locator('#f-client-cold').fill('220');
    await page.locator('#f-client-cold').blur();
    await expect(page.locator('#f-client-cold-send')).toHaveAttribute('placeholder', 'half');
    await page.locator('#f-client-cold-send').fill('300');
    await page.locator('#f-client-cold-send').blur();
    await expect(page.getByTestId('run-blocker')).toContainText('load.client_cold_send_us');
    await expect(page.locator('#f-client-cold-send-error')).toContainText('between 0 and 220');
    await page.locator('#f-client-cold-send').fill('130');
    await page.locator('#f-client-cold-send').blur();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    // The burst keeps them; clearing the client's CPU takes its parts with it.
    await page.locator('#f-load').selectOption('burst');
    await expect(page.locator('#f-client-send')).toHaveValue('50');
    await expect(page.locator('#f-client-cold-send')).toHaveValue('130');
    await page.locator('#f-client-cpu').fill('');
    await page.locator('#f-client-cpu').blur();
    await expect(page.locator('#f-client-send')).toHaveCount(0);
    await expect(page.locator('#f-client-cold')).toHaveCount(0);
    await expect(page.getByTestId('run-button')).toBeEnabled();
    expect(problems).toEqual([]);
  });

  test("gunicorn's sync worker waits for ab to close each connection, unless told otherwise", async ({ page }) => {
    const problems = watchForProblems(page);
    await loadPreset(page, 'ab-waitress');
    await page.locator('#f-kind').selectOption('gunicorn_sync');
    await page.locator('#f-route').selectOption('def');
    for (const [id, v] of [['#f-requests', '500'], ['#f-concurrency', '50'], ['#f-client-cpu', '100']]) {
      await page.locator(id).fill(v);
      await page.locator(id).blur();
    }
    const taken = async () => {
      await page.getByTestId('run-button').click();
      await expect(page.getByTestId('run-status')).toHaveText('');
      const m = (await page.getByTestId('ab-report').innerText()).match(/Time taken for tests:\s+([\d.]+)/);
      return Number(m![1]);
    };
    // One worker, ~0.34 ms of CPU per request: it is the bottleneck. Waiting after each
    // response until ab (100 µs per request, half of it reading) has read it and closed costs
    // it ≥ 50 µs a request: 0.197 s against 0.170 s.
    await expect(page.locator('#f-close-linger')).toBeChecked();
    const lingering = await taken();
    await page.locator('#f-close-linger').uncheck();
    const closing = await taken();
    expect(lingering).toBeGreaterThan(closing * 1.1);
    // Other servers do not offer it.
    await page.locator('#f-kind').selectOption('waitress');
    await expect(page.locator('#f-close-linger')).toHaveCount(0);
    expect(problems).toEqual([]);
  });

  // A per-request cost field: a negative value blocks Run naming its path; `us` is accepted
  // and run; returns the slowest latency (ms) before and after.
  async function slowestWithCost(page: Page, preset: string, field: string, us: number) {
    await loadPreset(page, preset);
    const slowest = async () => latencies(await page.getByTestId('ab-report').innerText()).at(-1)!;
    const before = await slowest();
    const input = page.locator(`#f-cost-${field}`);
    await page.locator('summary', { hasText: 'Per-request costs' }).click();
    await input.fill('-1');
    await input.blur();
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.getByTestId('run-blocker')).toContainText(`server.costs.${field}`);
    await input.fill(String(us));
    await input.blur();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    return { before, slowest };
  }

  // A cost field set out of its range: Run is disabled and the field's message names the range.
  async function refuseCost(page: Page, field: string, value: string, range: string) {
    const input = page.locator(`#f-cost-${field}`);
    await input.fill(value);
    await input.blur();
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.locator(`#f-cost-${field}-error`)).toContainText(range);
  }

  // A cost field set, and the scenario run again.
  async function rerunWithCost(page: Page, field: string, value: string) {
    const input = page.locator(`#f-cost-${field}`);
    await input.fill(value);
    await input.blur();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
  }

  test("an idle worker's wake-up delays a lone request and is checked", async ({ page }) => {
    const problems = watchForProblems(page);
    // 400 ms: the loop wakes late for the connections and again after the awaited sleep.
    const { before, slowest } = await slowestWithCost(page, 'fastapi-async-asyncio-sleep', 'idle_wake_us', 400_000);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 800);
    expect(problems).toEqual([]);
  });

  test("each wake-up draws its own length from the spread, which is checked", async ({ page }) => {
    const problems = watchForProblems(page);
    // 400 ms wake-ups, every one the same: the slower tab ends 800 ms later.
    const { before, slowest } = await slowestWithCost(page, 'fastapi-async-asyncio-sleep', 'idle_wake_us', 400_000);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 800);
    const same = await slowest();
    await expect(page.locator('#f-cost-wake_sigma')).toHaveAttribute('placeholder', '0');
    await refuseCost(page, 'wake_sigma', '2.5', 'between 0 and 2');
    // Drawn per wake-up: no longer exactly 800 ms later (a report, with another slowest).
    await rerunWithCost(page, 'wake_sigma', '0.5');
    await expect.poll(async () => {
      const v = await slowest();
      return v !== undefined && v > before && v !== same;
    }, { timeout: 20_000 }).toBe(true);
    expect(problems).toEqual([]);
  });

  test("a full descriptor table stalls a loop with threads, and its settings are checked", async ({ page }) => {
    const problems = watchForProblems(page);
    await loadPreset(page, 'fastapi-async-asyncio-sleep');
    const slowest = async () => latencies(await page.getByTestId('ab-report').innerText()).at(-1)!;
    const run = async () => {
      await page.getByTestId('run-button').click();
      await expect(page.getByTestId('run-status')).toHaveText('');
    };
    await page.locator('#f-clients').fill('60');
    await page.locator('#f-clients').blur();
    await run();
    const before = await slowest();
    await page.locator('summary', { hasText: 'File descriptors' }).click();
    // A single process started from a shell: 256 slots; uvicorn holds 7 besides connections.
    await expect(page.locator('#f-fds-table')).toHaveAttribute('placeholder', '256');
    await expect(page.locator('#f-fds-open')).toHaveAttribute('placeholder', '7');
    const table = page.locator('#f-fds-table');
    await table.fill('100');
    await table.blur();
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.locator('#f-fds-table-error')).toContainText('power of two between 64 and 1048576');
    // 64 slots: 7 + 57 connections fill them, and the 58th accept() grows the table, at once
    // in a single-threaded process (an `async def` route starts no thread).
    await table.fill('64');
    await table.blur();
    await page.locator('#f-cost-fd_grow_us').fill('20000');
    await page.locator('#f-cost-fd_grow_us').blur();
    await run();
    expect(await slowest()).toBe(before);
    // With an AnyIO thread started earlier the accept() waits 20 ms, and the loop with it.
    await page.locator('#f-warm-threads').fill('1');
    await page.locator('#f-warm-threads').blur();
    await run();
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 20);
    await refuseCost(page, 'fd_grow_sigma', '2.5', 'between 0 and 2');
    expect(problems).toEqual([]);
  });

  test("a worker idle long wakes later still, reached over the idle time to go cold, which is checked", async ({ page }) => {
    const problems = watchForProblems(page);
    // 400 ms more: the loop is idle since before the run for the connections, and again for
    // 10 s before the awaited sleep ends (many times the default 50 ms to go cold).
    const { before, slowest } = await slowestWithCost(page, 'fastapi-async-asyncio-sleep', 'deep_wake_us', 400_000);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 799);
    await expect(page.locator('#f-cost-deep_idle_ms')).toHaveAttribute('placeholder', '50');
    await refuseCost(page, 'deep_idle_ms', '0', 'between 0.01 and 60000');
    // Going cold over a minute: after 10 s idle the loop has reached 15 % of the extra, so the
    // slower tab pays 400 ms for the connection and ~62 ms after its sleep.
    await rerunWithCost(page, 'deep_idle_ms', '60000');
    await expect.poll(slowest, { timeout: 20_000 }).toBeLessThan(before + 500);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 450);
    expect(problems).toEqual([]);
  });

  test("a worker woken after a long idle pays its extra CPU, which is checked", async ({ page }) => {
    const problems = watchForProblems(page);
    // 100 ms owed by the loop idle since before the run: its first work runs at half speed
    // until paid, all of it within the first tab's 10 s of CPU, which the second waits for.
    const { before, slowest } = await slowestWithCost(page, 'fastapi-async-cpu-bound', 'cold_cpu_us', 100_000);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 99);
    await expect.poll(slowest, { timeout: 20_000 }).toBeLessThan(before + 110);
    expect(problems).toEqual([]);
  });

  test("a GIL hand-off is a cost of its own, checked, and not offered without a GIL", async ({ page }) => {
    const problems = watchForProblems(page);
    // 100 ms per wait for the GIL: the two tabs' threads wait for it three times in all
    // (their reads and sends hand it over), and the slower tab ends 300 ms later.
    const { before, slowest } = await slowestWithCost(page, 'flask-threaded-time-sleep', 'gil_handoff_us', 100_000);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 299);
    await expect.poll(slowest, { timeout: 20_000 }).toBeLessThan(before + 310);
    await page.locator('#f-gil').uncheck();
    await expect(page.locator('#f-cost-gil_handoff_us')).toHaveCount(0);
    expect(problems).toEqual([]);
  });

  test("a task step's cold extra falls along its run with a decay, which is checked", async ({ page }) => {
    const problems = watchForProblems(page);
    // 100 ms for the first task step; the second runs right after it and pays nothing more.
    const { before, slowest } = await slowestWithCost(page, 'fastapi-async-time-sleep', 'cold_task_us', 100_000);
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 99);
    await expect.poll(slowest, { timeout: 20_000 }).toBeLessThan(before + 110);
    await refuseCost(page, 'cold_task_decay', '1', 'between 0 and 0.99');
    // With 0.5 the second still pays half of it: the slower tab ends 150 ms later.
    await rerunWithCost(page, 'cold_task_decay', '0.5');
    await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 149);
    await expect.poll(slowest, { timeout: 20_000 }).toBeLessThan(before + 160);
    expect(problems).toEqual([]);
  });

  // asyncio-only costs: each delays the slower of the two tabs by at least `delta` ms, is
  // checked, and is not offered for a threaded server.
  for (const c of [
    // 100 ms per connection, half in each of the loop's two set-up iterations: both tabs'
    // set-ups run before either request is read, so the slower one ends 200 ms later.
    { what: "an asyncio server's connection set-up", field: 'setup_us', delta: 199, other: 'flask_dev' },
    // 100 ms for the accept() that ends each accept callback: the connections' set-up runs
    // after it, so the slower tab ends at least 100 ms later.
    { what: "an asyncio accept callback's failing accept()", field: 'accept_call_us', delta: 99, other: 'waitress' },
    // 100 ms more for a read after a callback of another kind: the two tabs' reads run one
    // after the other, so only the first pays it, and the slower tab ends 100 ms later.
    { what: "an asyncio read callback run cold", field: 'cold_read_us', delta: 99, other: 'flask_dev' },
    // The same for the first of the two tasks (the second runs right after it, warm).
    { what: "an asyncio task step run cold", field: 'cold_task_us', delta: 99, other: 'gunicorn_sync' },
    // 100 ms for the accept callback's first accept(), before it takes both tabs'
    // connections: both end at least 100 ms later.
    { what: "an asyncio accept callback run cold", field: 'cold_accept_us', delta: 99, other: 'gunicorn_sync' },
    // 100 ms for each set-up stage that runs after a callback of another kind: both tabs'
    // stages run as two batches, so both end at least 200 ms later.
    { what: "an asyncio set-up stage run cold", field: 'cold_setup_us', delta: 199, other: 'waitress' },
    // 100 ms for each loop iteration that finds work: the first tab's task comes in the
    // loop's fifth iteration, so both tabs end at least 500 ms later.
    { what: "an asyncio loop iteration", field: 'iteration_us', delta: 499, other: 'waitress' },
  ]) {
    test(`${c.what} is a cost of its own, checked, and not a threaded server's`, async ({ page }) => {
      const problems = watchForProblems(page);
      const { before, slowest } = await slowestWithCost(page, 'fastapi-async-time-sleep', c.field, 100_000);
      await expect.poll(slowest, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + c.delta);
      await page.locator('#f-kind').selectOption(c.other);
      await expect(page.locator(`#f-cost-${c.field}`)).toHaveCount(0);
      expect(problems).toEqual([]);
    });
  }

  test('free-threaded on one core: the two threads take turns, and the wait for the core is shown apart', async ({ page }) => {
    const problems = watchForProblems(page);
    await loadPreset(page, 'fastapi-def-cpu-bound');
    await page.locator('#f-gil').uncheck();
    await page.locator('#f-cores').fill('1');
    await page.locator('#f-cores').blur();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    // 10 s of CPU each on one core: both end at ≈ 20 s, half of it waiting for the core.
    await expect(page.getByTestId('kpi-max').locator('dd')).toHaveText(/^20(\.00\d)? s$/, { timeout: 20_000 });
    await expect(page.getByTestId('kpi-p50').locator('dd')).toHaveText(/^20(\.00\d)? s$/);
    // The report adds it up over the requests.
    await expect(page.getByTestId('ab-report')).toContainText(/waiting for a core:\s+10000\.\d{3}\s+50\.0 %/);
    await openTab(page, 'Latency');
    // The two points overlap: the one drawn last is on top.
    await page.getByTestId('latency-chart').locator('[data-request-id]').last().click();
    const split = page.getByTestId('request-detail').getByLabel('Where the time went');
    await expect(split).toContainText(/CPU: 10(\.\d+)? s \(50 %\)/);
    await expect(split).toContainText(/waiting for a core: 10(\.\d+)? s \(50 %\)/);
    await expect(split).not.toContainText('waiting for the GIL');
    await openTab(page, 'Timeline');
    const timeline = page.getByTestId('timeline');
    await expect(page.getByRole('list', { name: 'Timeline legend' })).toContainText('waiting for its turn on a busy core');
    for (const lane of ['w0 thread 0', 'w0 thread 1']) {
      await expect(timeline.locator(`[data-lane="${lane}"] [data-state="core_wait"]`).first()).toBeAttached();
    }
    await openTab(page, 'Advice');
    await expect(page.locator('[data-finding="cores_busy"]')).toContainText('Requests spent 50 % of their time waiting for a core: up to 2 threads wanted 1 core');
    // With the GIL back, the threads wait for it instead (one holds it at a time).
    await openTab(page, 'Report');
    await page.locator('#f-gil').check();
    await page.getByTestId('run-button').click();
    await expect(page.getByTestId('run-status')).toHaveText('');
    await openTab(page, 'Latency');
    await page.getByTestId('latency-chart').locator('[data-request-id]').last().click();
    await expect(split).toContainText('waiting for the GIL');
    await expect(split).not.toContainText('waiting for a core');
    expect(problems).toEqual([]);
  });

  test('invalid combinations disable Run with the reason', async ({ page }) => {
    await page.getByLabel('Route').selectOption('def');
    await page.locator('#f-step0-kind').selectOption('await_io');
    await expect(page.getByTestId('run-button')).toBeDisabled();
    await expect(page.getByTestId('run-blocker')).toContainText('handler.steps[0].kind');
    await expect(page.locator('#f-step0-kind-error')).toContainText('only valid inside `async def`');
  });

  test('compare: pinned runs overlay and get ratios to A', async ({ page }) => {
    await loadPreset(page, 'ab-uvicorn');
    await openTab(page, 'Compare');
    await page.getByTestId('pin-button').click();
    await loadPreset(page, 'ab-uvicorn-4-workers');
    await openTab(page, 'Compare');
    await page.getByTestId('pin-button').click();
    const rows = page.getByTestId('compare-table').locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('A: ab-uvicorn');
    await expect(rows.nth(1)).toContainText('B: ab-uvicorn-4-workers');
    await expect(rows.nth(1)).toContainText('×');
    await expect(page.getByTestId('cdf-chart').locator('polyline')).toHaveCount(2);
  });

  test('code: FastAPI source, server command and ab command', async ({ page }) => {
    await loadPreset(page, 'ab-uvicorn-4-workers');
    await openTab(page, 'Code');
    await expect(page.getByTestId('code-view')).toContainText('async def');
    await expect(page.getByTestId('server-command')).toContainText('uvicorn main:app --workers 4');
    await expect(page.getByTestId('load-command')).toContainText('ab -n 5000 -c 500');
  });

  test('report copy button and keyboard tabs', async ({ page }) => {
    await page.getByRole('tab', { name: 'Report' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('tab', { name: 'Latency' })).toBeFocused();
    await expect(page.getByRole('tab', { name: 'Latency' })).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('End');
    await expect(page.getByRole('tab', { name: 'Advice' })).toHaveAttribute('aria-selected', 'true');
  });
});

test.describe('look: screenshots and accessibility', () => {
  for (const { name, colorScheme, viewport } of [
    { name: 'light', colorScheme: 'light' as const, viewport: { width: 1280, height: 900 } },
    { name: 'dark', colorScheme: 'dark' as const, viewport: { width: 1280, height: 900 } },
    { name: 'phone', colorScheme: 'light' as const, viewport: { width: 390, height: 844 } },
  ]) {
    test(`main views (${name})`, async ({ browser }, testInfo) => {
      test.setTimeout(90_000);
      const context = await browser.newContext({ colorScheme, viewport });
      const page = await context.newPage();
      const problems = watchForProblems(page);
      await page.goto(testInfo.project.use.baseURL ?? './');
      await expect(page.getByTestId('kpi-completed').locator('dd')).toHaveText('2');
      for (const tab of ['Report', 'Latency', 'Distribution', 'Timeline', 'Concurrency', 'Replay', 'Code', 'Advice', 'Compare']) {
        await openTab(page, tab);
        await page.screenshot({ path: testInfo.outputPath(`${name}-${tab.toLowerCase()}.png`), fullPage: true });
        const axe = await new AxeBuilder({ page }).analyze();
        const summary = axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect(summary, `${tab} (${name})`).toEqual([]);
      }
      // No horizontal scrolling on a phone.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(problems).toEqual([]);
      await context.close();
    });
  }
});
