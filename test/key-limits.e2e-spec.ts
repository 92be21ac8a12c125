import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AppProcess,
  type Stack,
  call,
  eventually,
  fakeEnv,
  generateKey,
  sleep,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const HELLO = { model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hello there' }] };
// The fake answers "echo: hello there": 2 prompt and 3 completion tokens.
const TOKENS_PER_CALL = 5;
const PRICED = `  - model_name: priced
    litellm_params: {model: ollama/llama3.2, api_base: "OLLAMA"}
    model_info: {id: priced-1, input_cost_per_token: 0.001, output_cost_per_token: 0.001}
  - model_name: long-answers
    litellm_params: {model: ollama/llama3.2, api_base: "OLLAMA"}
    model_info: {id: long-answers-1, input_cost_per_token: 0.00001, output_cost_per_token: 0.0001, max_output_tokens: 400}
  - model_name: short-answers
    litellm_params: {model: ollama/llama3.2, api_base: "OLLAMA"}
    model_info: {id: short-answers-1, max_output_tokens: 20}
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
  const chat = (url: string, key: string, body: object = HELLO, headers: Record<string, string> = {}) =>
    call(url, '/v1/chat/completions', { body, key, headers });

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama, PRICED.replaceAll('OLLAMA', fakes.ollama.origin)), env: fakeEnv(fakes.openai) });
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

  it('counts tokens against tpm_limit: reserved while a call runs, used once it ends', async () => {
    await freshMinute();
    // Each call reserves its prompt (3) and its max_tokens (3), and uses 5: room for two in 11.
    const { key } = await generateKey(stack.url, { tpm_limit: 2 * TOKENS_PER_CALL + 1 });
    const body = { ...HELLO, max_tokens: 3 };
    const first = await chat(stack.url, key, body);
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('5');
    const second = await chat(other.url, key, body);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    const third = await eventually(
      () => chat(stack.url, key, body),
      (r) => r.headers.get('x-ratelimit-remaining-tokens') === '1',
      2000,
    );
    expect(third.status).toBe(429);
    expect(third.json.error.message).toContain('tpm_limit');
    expect(third.headers.get('x-ratelimit-remaining-tokens')).toBe('1');
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

    const logs = await eventually(
      () => call(stack.url, `/spend/logs?api_key=${encodeURIComponent(key)}`),
      (r) => r.json.length === 2,
      3000,
    );
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

  it("keeps a key's spend and spend history when it is regenerated, even spend not yet written", async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'regen-spend' });
    expect((await chat(stack.url, key, { ...HELLO, model: 'priced' })).status).toBe(200);
    await eventually(
      () => call(stack.url, `/spend/logs?api_key=${token}`),
      (r) => r.json.length === 1,
      3000,
    );
    // A second call, and the regeneration right after it, before its row is written (rows wait up to a second).
    expect((await chat(stack.url, key, { ...HELLO, model: 'priced' })).status).toBe(200);
    const renewed = await call(stack.url, '/key/regenerate', { body: { key } });
    expect(renewed.status).toBe(200);
    const logs = await eventually(
      () => call(stack.url, `/spend/logs?api_key=${renewed.json.token}`),
      (r) => r.json.length === 2,
      3000,
    );
    expect(logs.json).toHaveLength(2);
    const info = await eventually(
      () => call(stack.url, `/key/info?key=${renewed.json.token}`),
      (r) => r.json.info.spend > 0.009,
      3000,
    );
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

    const logs = await eventually(
      () => call(stack.url, `/spend/logs?api_key=${token}`),
      (r) => r.json.length === 2,
      5000,
    );
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
    // Each call reserves $0.006 (3 prompt + 3 max_tokens) and costs $0.005: one fits.
    const { key, token } = await generateKey(stack.url, { max_budget: 0.006, budget_duration: '2s' });
    const body = { ...HELLO, model: 'priced', max_tokens: 3 };
    expect((await chat(stack.url, key, body)).status).toBe(200);
    const over = await chat(other.url, key, body);
    expect(over.status).toBe(429);
    expect(over.json.error.code).toBe('budget_exceeded');
    await sleep(2100);
    const again = await chat(other.url, key, body);
    expect(again.status).toBe(200);
    const info = await eventually(
      () => call(stack.url, `/key/info?key=${token}`),
      (r) => r.json.info.spend > 0,
      3000,
    );
    expect(info.json.info.spend).toBeCloseTo(0.005, 10);
    expect(Date.parse(info.json.info.budget_reset_at)).toBeGreaterThan(Date.now());
  });

  describe('budgets and token limits hold for calls without max_tokens', () => {
    // What the waves below saw, for reports/budget-overshoot.json.
    const seen: Record<string, unknown> = {};
    const report = (section: string, facts: Record<string, unknown>) => {
      seen[section] = facts;
      mkdirSync(resolve(__dirname, '../reports'), { recursive: true });
      writeFileSync(resolve(__dirname, '../reports/budget-overshoot.json'), `${JSON.stringify(seen, null, 2)}\n`);
      process.stdout.write(`${section} overshoot: ${JSON.stringify(facts)}\n`);
    };
    /** Sends waves of `parallel` calls, half through each gateway, until a wave has none served. */
    const waves = async (key: string, body: object, parallel: number, allowed: (r: Awaited<ReturnType<typeof chat>>) => boolean) => {
      let served = 0;
      let count = 0;
      let lastRefusal: Awaited<ReturnType<typeof chat>> | undefined;
      for (;;) {
        count++;
        const answers = await Promise.all(Array.from({ length: parallel }, (_, i) => chat(i % 2 ? other.url : stack.url, key, body)));
        const refused = answers.filter((r) => r.status !== 200);
        expect(refused.filter((r) => !allowed(r)).map((r) => r.json)).toEqual([]);
        lastRefusal = refused.at(-1) ?? lastRefusal;
        served += answers.length - refused.length;
        if (refused.length === answers.length || count >= 10) return { served, waves: count, lastRefusal };
      }
    };
    /** The key's spend log rows, once `n` are written. */
    const rows = async (token: string, n: number) => {
      const logs = await eventually(
        () => call(stack.url, `/spend/logs?api_key=${token}`),
        (r) => r.json.length === n,
        5000,
      );
      expect(logs.json).toHaveLength(n);
      return logs.json as Array<{ spend: number; total_tokens: number }>;
    };

    it('budget: waves of 40 parallel calls never spend past max_budget, and the refusal names the max_tokens that still fits', async () => {
      const budget = 0.2;
      const { key, token } = await generateKey(stack.url, { max_budget: budget });
      fakes.ollama.delayMs = 100;
      // 300 words: the fake answers 301, within the model's max_output_tokens of 400.
      const body = { model: 'long-answers', messages: [{ role: 'user', content: Array(300).fill('lorem').join(' ') }] };
      // Prompt 1799 characters / 4 = 450 tokens at $0.00001, and 400 output tokens at $0.0001.
      const reserved = 450 * 0.00001 + 400 * 0.0001;
      const { served, waves: count, lastRefusal } = await waves(key, body, 40, (r) => r.status === 429 && r.json.error.code === 'budget_exceeded');
      const afterWaves = (await rows(token, served)).reduce((sum, r) => sum + r.spend, 0);
      // Spent up to less than one reservation short of the budget, never past it.
      expect(afterWaves).toBeLessThanOrEqual(budget + 1e-9);
      expect(afterWaves + reserved).toBeGreaterThan(budget);

      const hint = /with max_tokens at most (\d+) it would fit/.exec(lastRefusal?.json.error.message ?? '');
      expect(hint).not.toBeNull();
      expect((await chat(stack.url, key, { ...body, max_tokens: Number(hint![1]) })).status).toBe(200);
      const spent = (await rows(token, served + 1)).reduce((sum, r) => sum + r.spend, 0);
      const info = await eventually(
        () => call(stack.url, `/key/info?key=${token}`),
        (r) => Math.abs(r.json.info.spend - spent) < 1e-9,
        3000,
      );
      expect(info.json.info.spend).toBeCloseTo(spent, 9);
      report('budget', {
        max_budget: budget,
        parallel: 40,
        waves: count,
        served: served + 1,
        reserved_per_call: reserved,
        spent,
        overshoot: Math.max(0, spent - budget),
      });
      expect(spent).toBeLessThanOrEqual(budget + 1e-9);
    });

    it('tpm_limit: waves of 20 parallel calls never use more tokens in a minute than the limit', async () => {
      await freshMinute(20_000);
      const limit = 100;
      const { key, token } = await generateKey(stack.url, { tpm_limit: limit });
      fakes.ollama.delayMs = 300;
      // 49 characters: 13 prompt tokens reserved, plus the model's max_output_tokens of 20. The fake uses 8 + 9.
      const body = { model: 'short-answers', messages: [{ role: 'user', content: 'alpha bravo charlie delta echo foxtrot golf hotel' }] };
      const reserved = 13 + 20;
      const refusedForTpm = (r: Awaited<ReturnType<typeof chat>>) =>
        r.status === 429 &&
        r.json.error.code === 'rate_limit_exceeded' &&
        Number(r.headers.get('retry-after')) >= 1 &&
        r.headers.get('x-ratelimit-limit-tokens') === String(limit);
      const { served, waves: count } = await waves(key, body, 20, refusedForTpm);
      const used = (await rows(token, served)).reduce((sum, r) => sum + r.total_tokens, 0);
      report('tpm', {
        tpm_limit: limit,
        parallel: 20,
        waves: count,
        served,
        reserved_per_call: reserved,
        tokens_used: used,
        overshoot: Math.max(0, used - limit),
      });
      expect(used).toBeLessThanOrEqual(limit);
      expect(used + reserved).toBeGreaterThan(limit);
    });

    it('tpm_limit: a call that alone needs more than the limit is refused for good, naming max_tokens', async () => {
      const { key } = await generateKey(stack.url, { tpm_limit: 100 });
      // gpt-4o-mini may write 16,384 tokens: without max_tokens this call could never fit in 100.
      const never = await chat(stack.url, key, { ...HELLO, model: 'openai/gpt-4o-mini' });
      expect(never.status).toBe(429);
      expect(never.json.error).toMatchObject({ code: 'tokens_over_limit', param: 'max_tokens' });
      expect(never.json.error.message).toContain('set max_tokens to at most 97');
      expect(never.headers.get('x-should-retry')).toBe('false');
      expect(fakes.openai.total).toBe(0);
      expect((await chat(stack.url, key, { ...HELLO, model: 'openai/gpt-4o-mini', max_tokens: 97 })).status).toBe(200);
    });
  });
});
