import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createWorkerApp } from '@app/queue';
import {
  FakeOllamaServer,
  HELLO,
  type Sample,
  type Stack,
  call,
  eventually,
  fakeEnv,
  parseMetrics,
  scrape,
  startFakes,
  startStack,
  tutorialConfig,
  valueOf,
} from '@test/support';
import { WORKER_OLLAMA_DEFAULTS } from '../apps/worker-ollama/src/main';
import { WorkerOllamaModule } from '../apps/worker-ollama/src/worker-ollama.module';

const OPENAI = 'openai/gpt-4o-mini';
const OLLAMA = 'ollama/gpt-oss:20b';
const CHAT_ROUTE = { method: 'POST', route: '/v1/chat/completions' };

/**
 * `/metrics` on the gateway and on a worker's health port, as Prometheus would scrape them,
 * checked against calls whose effect is known. Each test compares values before and after
 * its own calls, so the tests do not depend on each other.
 */
describe('metrics', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const broken = new FakeOllamaServer({ models: ['llama3.2'] });
  let stack: Stack;
  let openaiWorker: string;
  let ollamaWorker: string;

  beforeAll(async () => {
    fakes = await startFakes();
    await broken.start();
    const extra = [
      '  - model_name: primary',
      '    litellm_params:',
      '      model: ollama/llama3.2',
      `      api_base: "${broken.origin}"`,
      '      num_retries: 0',
      '  - model_name: backup',
      '    litellm_params:',
      '      model: ollama/llama3.2',
      `      api_base: "${fakes.ollama.origin}"`,
      'router_settings:',
      '  fallbacks: [{"primary": ["backup"]}]',
      '',
    ].join('\n');
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: fakeEnv(fakes.openai) });
    openaiWorker = stack.workerUrls.get('openai')!;
    ollamaWorker = stack.workerUrls.get('ollama')!;
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([fakes?.stop(), broken.stop()]);
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
    broken.reset();
  });

  /** Scrapes until `accept` holds: a request's numbers are recorded as its answer ends, a moment after the client has it. */
  const scrapeUntil = (url: string, accept: (s: Sample[]) => boolean) => eventually(() => scrape(url), accept, 5000, 50);

  it('answers in Prometheus text format, open like the probes, with Node process metrics', async () => {
    for (const url of [stack.url, openaiWorker]) {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const samples = parseMetrics(await res.text());
      expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    }
  });

  it('counts requests by route, model and status, with their latency; an unknown model is not a label', async () => {
    const before = await scrape(stack.url);
    const ok = { ...CHAT_ROUTE, model: OPENAI, status: '200' };
    const unknown = { ...CHAT_ROUTE, model: '', status: '404' };
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: OPENAI } })).status).toBe(200);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: OPENAI } })).status).toBe(200);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'made-up-model-7f3a' } })).status).toBe(404);
    expect((await call(stack.url, '/v1/models', { key: null })).status).toBe(401);

    const after = await scrapeUntil(
      stack.url,
      (s) =>
        valueOf(s, 'switchyard_http_requests_total', { route: '/v1/models', status: '401' }) >
        valueOf(before, 'switchyard_http_requests_total', { route: '/v1/models', status: '401' }),
    );
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('switchyard_http_requests_total', ok)).toBe(2);
    expect(delta('switchyard_http_requests_total', unknown)).toBe(1);
    expect(delta('switchyard_http_requests_total', { method: 'GET', route: '/v1/models', model: '', status: '401' })).toBe(1);
    expect(delta('switchyard_http_request_duration_seconds_count', { ...CHAT_ROUTE, model: OPENAI })).toBe(2);
    expect(delta('switchyard_http_request_duration_seconds_sum', { ...CHAT_ROUTE, model: OPENAI })).toBeGreaterThan(0);
    // Whatever clients send as a model name must not become a new series.
    expect(after.some((s) => Object.values(s.labels).includes('made-up-model-7f3a'))).toBe(false);
  });

  it('counts tokens in and out, spend and outcomes per model and provider', async () => {
    const labels = { model: OPENAI, provider: 'openai' };
    const before = await scrape(stack.url);
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: OPENAI } });
    expect(res.json.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3 });

    const after = await scrapeUntil(
      stack.url,
      (s) => valueOf(s, 'switchyard_chat_calls_total', labels) > valueOf(before, 'switchyard_chat_calls_total', labels),
    );
    const delta = (name: string, extra: Record<string, string> = {}) =>
      valueOf(after, name, { ...labels, ...extra }) - valueOf(before, name, { ...labels, ...extra });
    expect(delta('switchyard_chat_calls_total', { outcome: 'success' })).toBe(1);
    expect(delta('switchyard_chat_tokens_total', { type: 'prompt' })).toBe(2);
    expect(delta('switchyard_chat_tokens_total', { type: 'completion' })).toBe(3);
    // gpt-4o-mini's list price: $0.15 per 1M tokens in, $0.60 out.
    expect(delta('switchyard_chat_spend_usd_total')).toBeCloseTo(2 * 0.15e-6 + 3 * 0.6e-6, 12);
  });

  it('workers report queue wait, upstream latency, retries and upstream 429s', async () => {
    const labels = { provider: 'openai', model: OPENAI };
    const before = await scrape(openaiWorker);
    fakes.openai.failNext(1, 500);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: OPENAI } })).status).toBe(200);
    fakes.openai.failNext(1, 429, 'slow down', { 'retry-after-ms': '50' });
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: OPENAI } })).status).toBe(200);

    const after = await scrape(openaiWorker);
    const delta = (name: string, extra: Record<string, string> = {}) =>
      valueOf(after, name, { ...labels, ...extra }) - valueOf(before, name, { ...labels, ...extra });
    expect(delta('switchyard_queue_wait_seconds_count')).toBe(2);
    expect(delta('switchyard_upstream_duration_seconds_count', { outcome: 'success' })).toBe(2);
    expect(delta('switchyard_upstream_duration_seconds_count', { outcome: 'error' })).toBe(2);
    expect(delta('switchyard_upstream_retries_total')).toBe(1);
    expect(delta('switchyard_upstream_rate_limited_total')).toBe(1);
    expect(delta('switchyard_worker_jobs_total', { outcome: 'completed' })).toBe(2);
    expect(delta('switchyard_worker_jobs_total', { outcome: 'retried' })).toBe(1);
    expect(delta('switchyard_worker_jobs_total', { outcome: 'postponed' })).toBe(1);
  });

  it('streams: time to first token at the gateway (as the client sees it) and at the worker (the upstream)', async () => {
    const before = { gateway: await scrape(stack.url), worker: await scrape(ollamaWorker) };
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, stream: true } });
    expect(res.text).toContain('data: [DONE]');

    const gateway = await scrapeUntil(
      stack.url,
      (s) =>
        valueOf(s, 'switchyard_chat_time_to_first_token_seconds_count', { model: OLLAMA }) >
        valueOf(before.gateway, 'switchyard_chat_time_to_first_token_seconds_count', { model: OLLAMA }),
    );
    const worker = await scrape(ollamaWorker);
    expect(
      valueOf(gateway, 'switchyard_chat_time_to_first_token_seconds_count', { model: OLLAMA }) -
        valueOf(before.gateway, 'switchyard_chat_time_to_first_token_seconds_count', { model: OLLAMA }),
    ).toBe(1);
    const workerLabels = { provider: 'ollama', model: OLLAMA };
    expect(
      valueOf(worker, 'switchyard_upstream_time_to_first_token_seconds_count', workerLabels) -
        valueOf(before.worker, 'switchyard_upstream_time_to_first_token_seconds_count', workerLabels),
    ).toBe(1);
  });

  it('counts a fallback to another model group', async () => {
    broken.failNext(1, 500);
    const before = await scrape(stack.url);
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'primary' } });
    expect(res.status).toBe(200);
    const after = await scrape(stack.url);
    expect(
      valueOf(after, 'switchyard_chat_fallbacks_total', { model: 'primary' }) - valueOf(before, 'switchyard_chat_fallbacks_total', { model: 'primary' }),
    ).toBe(1);
  });

  it('counts key lookups answered from memory and from Postgres', async () => {
    // Written straight to Postgres: a key made through the API is announced to every gateway,
    // and that notice, arriving mid-test, would drop it from this gateway's memory.
    const key = `sk-metrics-${randomBytes(12).toString('hex')}`;
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await db.query('INSERT INTO virtual_keys (token, key_name) VALUES ($1, $2)', [createHash('sha256').update(key).digest('hex'), `sk-...${key.slice(-4)}`]);
    await db.end();
    const before = await scrape(stack.url);
    expect((await call(stack.url, '/v1/models', { key })).status).toBe(200);
    expect((await call(stack.url, '/v1/models', { key })).status).toBe(200);
    expect((await call(stack.url, '/v1/models', { key })).status).toBe(200);
    const after = await scrape(stack.url);
    const delta = (result: string) =>
      valueOf(after, 'switchyard_key_cache_lookups_total', { result }) - valueOf(before, 'switchyard_key_cache_lookups_total', { result });
    expect(delta('miss')).toBe(1);
    expect(delta('hit')).toBe(2);
  });

  it('reads the jobs waiting and active per queue at scrape time, on the gateway and the worker', async () => {
    const release = fakes.ollama.hold();
    const held = call(stack.url, '/v1/chat/completions', { body: HELLO });
    try {
      await eventually(
        async () => fakes.ollama.inFlight,
        (n) => n === 1,
        5000,
        20,
      );
      for (const url of [stack.url, ollamaWorker]) {
        const samples = await scrape(url);
        expect(valueOf(samples, 'switchyard_queue_jobs', { queue: 'chat-ollama', state: 'active' })).toBe(1);
        expect(valueOf(samples, 'switchyard_queue_jobs', { queue: 'chat-ollama', state: 'waiting' })).toBe(0);
      }
      expect(valueOf(await scrape(ollamaWorker), 'switchyard_worker_jobs_in_progress', { provider: 'ollama' })).toBe(1);
    } finally {
      release();
    }
    expect((await held).status).toBe(200);
    const after = await scrape(stack.url);
    expect(valueOf(after, 'switchyard_queue_jobs', { queue: 'chat-ollama', state: 'active' })).toBe(0);
  });

  describe('with METRICS_KEY', () => {
    const METRICS_KEY = 'metrics-scraper-secret-5e1d';
    let gateway: { app: INestApplication; url: string };
    let worker: INestApplication;
    let workerUrl: string;

    beforeAll(async () => {
      gateway = await stack.startGateway({ METRICS_KEY });
      ({ app: worker } = await createWorkerApp('ollama', WORKER_OLLAMA_DEFAULTS, { ...stack.env, METRICS_KEY }, (c) => WorkerOllamaModule.forRoot(c)));
      await worker.listen(0, '127.0.0.1');
      workerUrl = (await worker.getUrl()).replace('[::1]', '127.0.0.1');
    });
    afterAll(async () => {
      await worker?.close();
    });

    it('answers 401 in the OpenAI error shape without the key or with a wrong one, and never names the key', async () => {
      for (const url of [gateway.url, workerUrl]) {
        const missing = await call(url, '/metrics', { key: null });
        expect(missing.status).toBe(401);
        expect(missing.json.error).toMatchObject({ code: 'missing_api_key', type: 'authentication_error' });
        const wrong = await call(url, '/metrics', { key: 'not-the-metrics-key' });
        expect(wrong.status).toBe(401);
        expect(wrong.json.error.code).toBe('invalid_api_key');
        expect(missing.text + wrong.text).not.toContain(METRICS_KEY);
        expect((await scrape(url, METRICS_KEY)).length).toBeGreaterThan(0);
      }
    });

    it('keeps each app instance’s numbers apart, even in one process', async () => {
      // The first gateway has answered chat calls in this process; this one has not.
      const own = await scrape(gateway.url, METRICS_KEY);
      expect(valueOf(own, 'switchyard_http_requests_total', CHAT_ROUTE)).toBe(0);
      expect(valueOf(await scrape(stack.url), 'switchyard_http_requests_total', CHAT_ROUTE)).toBeGreaterThan(0);
    });
  });
});
