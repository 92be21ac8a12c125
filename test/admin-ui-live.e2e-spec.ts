import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import {
  FakeOpenAIServer,
  MASTER_KEY,
  type Stack,
  call,
  eventually,
  fakeEnv,
  generateKey,
  launchChromium,
  sdk,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const SCREENSHOTS = resolve(__dirname, '../reports/screenshots');
const MINI = 'openai/gpt-4o-mini';
const OSS = 'ollama/gpt-oss:20b';
/** The first three series colours of the UI's charts (core/charts.js). */
const SERIES_COLORS = [
  [0x24, 0x57, 0xc5],
  [0xd9, 0x82, 0x2b],
  [0x2e, 0x9e, 0x5b],
];

/** Pixels of a PNG drawn in one of the charts' series colours: the bars (and the legend's small boxes). */
function seriesPixels(png: Buffer): number {
  const { data, width, height } = PNG.sync.read(png);
  let count = 0;
  for (let i = 0; i < width * height * 4; i += 4) {
    if (SERIES_COLORS.some(([r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 24)) count++;
  }
  return count;
}

interface ChartGlobal {
  Chart: { getChart(id: string): { data: { datasets: Array<{ label: string; data: unknown[] }> } } | undefined };
}

jest.setTimeout(90_000);

describe('admin UI usage charts, queues and live model state, in headless Chromium', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const flaky = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  const limited = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const refusedByPolicy: string[] = [];
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  /** A chart's canvas as the browser shows it, and how many of its pixels are bars. */
  const chartPixels = async (id: string, name: string) => {
    const png = await page.locator(`#${id}`).screenshot();
    writeFileSync(join(SCREENSHOTS, `${name}.png`), png);
    return seriesPixels(png);
  };

  /** The series a chart on the page shows, by label, sorted (Chart.js is the page's `window.Chart`). */
  const seriesOf = (canvasId: string) =>
    page.evaluate(
      (id) =>
        (globalThis as unknown as ChartGlobal).Chart.getChart(id)
          ?.data.datasets.map((d) => d.label)
          .sort() ?? [],
      canvasId,
    );

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    fakes = await startFakes();
    await Promise.all([flaky.start(), limited.start()]);
    const extra = `  - model_name: flaky
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${flaky.url}", api_key: sk-flaky, num_retries: 0}
    model_info: {id: flaky-1}
  - model_name: limited
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${limited.url}", api_key: sk-limited, num_retries: 0}
    model_info: {id: limited-1}
router_settings:
  allowed_fails: 1
  cooldown_time: 120
`;
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: fakeEnv(fakes.openai) });
    const key = (await generateKey(stack.url, { key_alias: 'chart-app' })).key;
    for (let i = 0; i < 3; i++) await sdk(stack.url, key).chat.completions.create({ model: MINI, messages: [{ role: 'user', content: 'hi' }] });
    await sdk(stack.url).chat.completions.create({ model: OSS, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-litellm-tags': 'chart-tag' } });
    await eventually(
      () => call(stack.url, '/global/spend'),
      (r) => r.json?.requests === 4,
    );

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) refusedByPolicy.push(message.text());
      if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${stack.url}/ui`);
    await page.getByLabel(/^Password/).fill(MASTER_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Virtual Keys' }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fakes?.stop();
    await Promise.all([flaky.stop(), limited.stop()]);
  });

  it('charts spend, calls and tokens per day and per hour, per key, model and tag, with Chart.js served by the gateway itself', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    await page.locator('#usage-keys-table tbody tr', { hasText: 'chart-app' }).waitFor();
    for (const id of ['usage-spend-chart', 'usage-calls-chart', 'usage-tokens-chart']) {
      const bars = await chartPixels(id, `08-${id}`);
      expect([id, bars > 1500]).toEqual([id, true]);
    }
    await shot('08-usage-charts');
    // Per hour, per model: still bars (the calls are in this hour).
    await page.getByLabel('Over', { exact: true }).selectOption('hour');
    await page.getByLabel('Per', { exact: true }).selectOption('model');
    await expect(
      eventually(
        () => seriesOf('usage-calls-chart'),
        (labels) => labels.includes(MINI),
      ),
    ).resolves.toEqual([OSS, MINI]);
    expect(await chartPixels('usage-calls-chart', '09-usage-calls-per-hour-per-model')).toBeGreaterThan(500);
    await page.getByLabel('Per', { exact: true }).selectOption('tag');
    await expect(
      eventually(
        () => seriesOf('usage-calls-chart'),
        (labels) => labels[0] === 'chart-tag',
      ),
    ).resolves.toEqual(['chart-tag']);
    expect(await chartPixels('usage-calls-chart', '09-usage-calls-per-hour-per-tag')).toBeGreaterThan(500);

    const vendor = requested.map((url) => new URL(url)).find((url) => url.pathname === '/ui/vendor/chart.umd.min.js');
    expect(vendor?.origin).toBe(stack.url);
    const served = await call(stack.url, '/ui/vendor/chart.umd.min.js', { key: null });
    expect([served.status, served.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(served.text).toContain('Chart.js v4');
  });

  it('shows a small cost with its significant digits, never as zero', async () => {
    const cells = await page.locator('#usage-keys-table tbody tr', { hasText: 'chart-app' }).locator('td').allTextContents();
    // Three gpt-4o-mini calls of a few tokens: millionths of a dollar.
    expect(cells[4]).toMatch(/^0\.0000[1-9]\d?$|^0\.00000[1-9]\d?$/);
    const latest = await page.locator('#usage-logs-table tbody tr', { hasText: MINI }).first().locator('td').allTextContents();
    expect(latest[6]).toMatch(/^0\.00000[1-9]\d?$|^<0\.000001$/);
    await expect(page.locator('#usage-models-table tbody tr', { hasText: OSS }).locator('td').nth(3).textContent()).resolves.toBe('0.00');
  });

  it('shows each backend queue with its depth, waits and workers, refreshed every few seconds', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    const row = page.locator('#queues-table tbody tr', { hasText: 'chat-openai' });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['chat-openai', '0', '0', '0']);
    expect(cells[4]).toMatch(/^\d+ ms$|^\d+\.\d s$/);
    expect(cells.slice(7)).toEqual(['worker-openai (32)', '32']);
    await expect(page.locator('#queues-table tbody tr', { hasText: 'chat-ollama' }).locator('td').last().textContent()).resolves.toBe('4');
    // Four calls held upstream: the page shows them in flight, in the table and on the depth chart.
    const release = fakes.openai.hold();
    const held = Array.from({ length: 4 }, () => sdk(stack.url).chat.completions.create({ model: MINI, messages: [{ role: 'user', content: 'hi' }] }));
    await row.locator('td').nth(2).getByText('4', { exact: true }).waitFor({ timeout: 15_000 });
    const depth = await page.evaluate(
      () => (globalThis as unknown as ChartGlobal).Chart.getChart('queues-depth-chart')?.data.datasets.find((d) => d.label === 'chat-openai')?.data ?? [],
    );
    expect(Math.max(...depth.map(Number))).toBe(4);
    await shot('10-queues-busy');
    expect(await chartPixels('queues-depth-chart', '10-queues-depth-chart')).toBeGreaterThan(100);
    release();
    await Promise.all(held);
    await row.locator('td').nth(2).getByText('0', { exact: true }).waitFor({ timeout: 15_000 });
    const updated = await page.locator('#queues-updated').textContent();
    await page.locator('#queues-updated').filter({ hasNotText: updated! }).waitFor({ timeout: 15_000 });
    await shot('10-queues');
  });

  it("shows each deployment's live state, recent latency and error rate: a failing one cooling down, one whose upstream answered 429 paused", async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    const row = (id: string) => page.locator(`#models-table tbody tr[data-model-id="${id}"]`);
    await row('flaky-1').getByText('serving').waitFor();
    const info = (await call(stack.url, '/model/info')).json.data as Array<{ model_name: string; model_info: { id: string } }>;
    const mini = info.find((m) => m.model_name === MINI)!.model_info.id;
    const cells = await row(mini).locator('td').allTextContents();
    expect(cells.slice(0, 2)).toEqual([MINI, 'serving']);
    expect(cells[2]).toMatch(/^\d+ \/ \d+ ms$/);
    expect(cells[3]).toBe('0% of 7'); // the three calls before, and the four held on the queues page

    // While the page is open: the upstream fails once, the gateway cools the deployment down, and the page shows it.
    flaky.failNext(1, 500, 'upstream broke');
    expect((await call(stack.url, '/v1/chat/completions', { body: { model: 'flaky', messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(502);
    await row('flaky-1').getByText('cooling down').waitFor({ timeout: 15_000 });
    await expect(row('flaky-1').locator('td').nth(3).textContent()).resolves.toBe('100% of 1');
    // An upstream 429 pauses its deployment on every worker: shown as such, with the pause's end.
    limited.failNext(1, 429, 'Rate limit reached', { 'retry-after': '3600' });
    expect((await call(stack.url, '/v1/chat/completions', { body: { model: 'limited', messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(429);
    const paused = row('limited-1').getByText('paused after upstream 429');
    await paused.waitFor({ timeout: 15_000 });
    await expect(paused.getAttribute('title')).resolves.toMatch(/^until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot('11-models-live');

    const foreign = requested.filter((url) => new URL(url).origin !== stack.url && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(refusedByPolicy).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
