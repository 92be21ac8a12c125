import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AppProcess, startAppProcess } from './support/app-process';
import { call, eventually, fakeEnv, generateKey, sleep, startFakes, tutorialConfig } from './support/fixtures';
import { type Stack, startStack } from './support/stack';

const HELLO = { model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hello there' }] };
// The fake answers "echo: hello there": 2 prompt and 3 completion tokens.
const TOKENS_PER_CALL = 5;
const PRICED = `  - model_name: priced
    litellm_params: {model: ollama/llama3.2, api_base: "OLLAMA"}
    model_info: {id: priced-1, input_cost_per_token: 0.001, output_cost_per_token: 0.001}
`;

/** Per-minute counters reset on the minute: start a test well inside one. */
async function freshMinute(needMs = 8000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 50);
}

describe('per-key limits and spend', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let other: AppProcess;
  const chat = (url: string, key: string, body: object = HELLO, headers: Record<string, string> = {}) => call(url, '/v1/chat/completions', { body, key, headers });

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama, PRICED.replace('OLLAMA', fakes.ollama.origin)), env: fakeEnv(fakes.openai) });
    other = await startAppProcess('gateway', { ...stack.env, DISABLE_SCHEMA_UPDATE: 'true' });
  }, 60_000);
  afterAll(async () => {
    await other?.stop();
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('shares one rpm_limit count between two gateway processes, with x-ratelimit headers on every answer', async () => {
    await freshMinute();
    const { key } = await generateKey(stack.url, { rpm_limit: 3 });
    const answers = [];
    for (const url of [stack.url, other.url, stack.url, other.url]) answers.push(await chat(url, key));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((r) => r.headers.get('x-ratelimit-limit-requests'))).toEqual(['3', '3', '3', '3']);
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining-requests'))).toEqual(['2', '1', '0', '0']);
    const reset = answers[3].headers.get('x-ratelimit-reset-requests')!;
    expect(reset).toMatch(/^\d+s$/);
    expect(Number(answers[3].headers.get('retry-after'))).toBe(parseInt(reset, 10));
    expect(answers[3].json.error).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(answers[3].json.error.message).toContain('rpm_limit');
    expect(fakes.ollama.total).toBe(3);
  });

  it('counts tokens against tpm_limit once calls end', async () => {
    await freshMinute();
    const { key } = await generateKey(stack.url, { tpm_limit: 2 * TOKENS_PER_CALL });
    const first = await chat(stack.url, key);
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe(String(2 * TOKENS_PER_CALL));
    const second = await chat(other.url, key);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-ratelimit-remaining-tokens')).toBe(String(TOKENS_PER_CALL));
    const third = await eventually(() => chat(stack.url, key), (r) => r.status === 429, 2000);
    expect(third.status).toBe(429);
    expect(third.json.error.message).toContain('tpm_limit');
    expect(third.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
  });

  it('refuses a call beyond max_parallel_requests at once, and takes the next one when a slot frees', async () => {
    const { key } = await generateKey(stack.url, { max_parallel_requests: 2 });
    fakes.ollama.delayMs = 600;
    const slow = [chat(stack.url, key), chat(other.url, key)];
    await sleep(250);
    const started = Date.now();
    const third = await chat(stack.url, key);
    expect(third.status).toBe(429);
    expect(Date.now() - started).toBeLessThan(500);
    expect(third.json.error.message).toContain('max_parallel_requests');
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    fakes.ollama.delayMs = 0;
    expect((await chat(other.url, key)).status).toBe(200);
    expect(fakes.ollama.maxInFlight).toBe(2);
  });

  it('writes one spend log row per call, and adds the cost to the key', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'spender' });
    const ok = await chat(stack.url, key, { ...HELLO, model: 'priced' }, { 'x-request-id': 'spend-ok-1' });
    expect(ok.status).toBe(200);
    fakes.ollama.failNext(1, 400, { error: 'invalid option' });
    const failed = await chat(stack.url, key, { ...HELLO, model: 'priced' }, { 'x-request-id': 'spend-failed-1' });
    expect(failed.status).toBe(400);

    const logs = await eventually(() => call(stack.url, `/spend/logs?api_key=${encodeURIComponent(key)}`), (r) => r.json.length === 2, 3000);
    const [failure, success] = logs.json;
    expect(success).toMatchObject({
      request_id: 'spend-ok-1',
      api_key: token,
      key_alias: 'spender',
      model_group: 'priced',
      served_model_group: 'priced',
      model_id: 'priced-1',
      model: 'llama3.2',
      custom_llm_provider: 'ollama',
      prompt_tokens: 2,
      completion_tokens: 3,
      total_tokens: 5,
      status: 'success',
      http_status: 200,
      stream: false,
    });
    expect(success.spend).toBeCloseTo(0.005, 10);
    expect(success.latency_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(success.endTime)).toBeGreaterThanOrEqual(Date.parse(success.startTime));
    expect(failure).toMatchObject({ request_id: 'spend-failed-1', status: 'failure', http_status: 400, spend: 0, total_tokens: 0 });

    expect((await call(stack.url, '/spend/logs?request_id=spend-ok-1')).json.map((r: { request_id: string }) => r.request_id)).toEqual(['spend-ok-1']);
    expect((await call(stack.url, `/spend/logs?api_key=${token}&start_date=2999-01-01`)).json).toEqual([]);
    expect((await call(stack.url, '/spend/logs?start_date=yesterday')).status).toBe(400);
    const info = await call(stack.url, `/key/info?key=${token}`);
    expect(info.json.info.spend).toBeCloseTo(0.005, 10);

    const byKey = (await call(stack.url, '/global/spend/keys')).json.find((r: { api_key: string }) => r.api_key === token);
    expect(byKey).toMatchObject({ key_alias: 'spender', requests: 2, total_tokens: 5 });
    const byModel = (await call(stack.url, '/global/spend/models')).json.find((r: { model: string }) => r.model === 'priced');
    expect(byModel.requests).toBeGreaterThanOrEqual(2);
    const total = (await call(stack.url, '/global/spend')).json;
    expect(total.spend).toBeGreaterThanOrEqual(0.005);
    expect((await call(stack.url, '/global/spend', { key })).status).toBe(403);
  });

  it('keeps a key\'s spend and spend history when it is regenerated, even spend not yet written', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'regen-spend' });
    expect((await chat(stack.url, key, { ...HELLO, model: 'priced' })).status).toBe(200);
    await eventually(() => call(stack.url, `/spend/logs?api_key=${token}`), (r) => r.json.length === 1, 3000);
    // A second call, and the regeneration right after it, before its row is written (rows wait up to a second).
    expect((await chat(stack.url, key, { ...HELLO, model: 'priced' })).status).toBe(200);
    const renewed = await call(stack.url, '/key/regenerate', { body: { key } });
    expect(renewed.status).toBe(200);
    const logs = await eventually(() => call(stack.url, `/spend/logs?api_key=${renewed.json.token}`), (r) => r.json.length === 2, 3000);
    expect(logs.json).toHaveLength(2);
    const info = await eventually(() => call(stack.url, `/key/info?key=${renewed.json.token}`), (r) => r.json.info.spend > 0.009, 3000);
    expect(info.json.info.spend).toBeCloseTo(0.01, 10);
  });

  it('records a streamed call once, with its usage, and a cancelled one as cancelled with what it generated', async () => {
    const { key, token } = await generateKey(stack.url, {});
    const streamed = await chat(stack.url, key, { ...HELLO, model: 'priced', stream: true }, { 'x-request-id': 'spend-stream-1' });
    expect(streamed.status).toBe(200);

    fakes.ollama.chunkDelayMs = 300;
    const aborter = new AbortController();
    const cancelled = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'spend-cancel-1' },
      body: JSON.stringify({ ...HELLO, model: 'priced', stream: true }),
      signal: aborter.signal,
    }).then(async (res) => {
      const reader = res.body!.getReader();
      await reader.read();
      aborter.abort();
    });
    await cancelled.catch(() => undefined);

    const logs = await eventually(() => call(stack.url, `/spend/logs?api_key=${token}`), (r) => r.json.length === 2, 5000);
    const byId = Object.fromEntries(logs.json.map((r: { request_id: string }) => [r.request_id, r]));
    expect(byId['spend-stream-1']).toMatchObject({ status: 'success', stream: true, prompt_tokens: 2, completion_tokens: 3 });
    expect(byId['spend-cancel-1']).toMatchObject({ status: 'cancelled', stream: true });
    // The upstream had not reported usage yet: what was generated is estimated and billed.
    expect(byId['spend-cancel-1'].prompt_tokens).toBeGreaterThan(0);
    expect(byId['spend-cancel-1'].completion_tokens).toBeGreaterThan(0);
    expect(byId['spend-cancel-1'].spend).toBeGreaterThan(0);
    await sleep(300);
    expect((await call(stack.url, `/spend/logs?api_key=${token}`)).json).toHaveLength(2);
  });

  it('starts a budget over after budget_duration', async () => {
    const { key, token } = await generateKey(stack.url, { max_budget: 0.004, budget_duration: '2s' });
    expect((await chat(stack.url, key, { ...HELLO, model: 'priced' })).status).toBe(200);
    const over = await chat(other.url, key, { ...HELLO, model: 'priced' });
    expect(over.status).toBe(429);
    expect(over.json.error.code).toBe('budget_exceeded');
    await sleep(2100);
    const again = await chat(other.url, key, { ...HELLO, model: 'priced' });
    expect(again.status).toBe(200);
    const info = await eventually(() => call(stack.url, `/key/info?key=${token}`), (r) => r.json.info.spend > 0, 3000);
    expect(info.json.info.spend).toBeCloseTo(0.005, 10);
    expect(Date.parse(info.json.info.budget_reset_at)).toBeGreaterThan(Date.now());
  });

  it('holds a small budget against 50 parallel calls, overshooting by at most one call', async () => {
    const budget = 0.05;
    const { key, token } = await generateKey(stack.url, { max_budget: budget });
    fakes.ollama.delayMs = 100;
    const body = { ...HELLO, model: 'priced', max_tokens: 8 };
    let succeeded = 0;
    let waves = 0;
    for (;;) {
      waves++;
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => chat(i % 2 ? other.url : stack.url, key, body)));
      const ok = answers.filter((r) => r.status === 200).length;
      expect(answers.every((r) => r.status === 200 || r.json.error.code === 'budget_exceeded')).toBe(true);
      succeeded += ok;
      if (ok === 0 || waves > 20) break;
    }
    const info = await eventually(() => call(stack.url, `/key/info?key=${token}`), (r) => Math.abs(r.json.info.spend - succeeded * 0.005) < 1e-9, 3000);
    const spent = info.json.info.spend;
    const overshoot = Math.max(0, spent - budget);
    const report = { budget, callCost: 0.005, parallel: 50, waves, succeeded, spent, overshoot };
    mkdirSync(resolve(__dirname, '../reports'), { recursive: true });
    writeFileSync(resolve(__dirname, '../reports/budget-overshoot.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`budget overshoot: ${JSON.stringify(report)}\n`);
    expect(succeeded).toBeGreaterThanOrEqual(9);
    expect(spent).toBeCloseTo(succeeded * 0.005, 9);
    expect(overshoot).toBeLessThanOrEqual(0.005 + 1e-9);
  });
});
