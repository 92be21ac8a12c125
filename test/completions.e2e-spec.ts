import type OpenAI from 'openai';
import {
  type FakeUpstream,
  type Stack,
  TEXT_COMPLETION_CHUNK_SHAPE,
  TEXT_COMPLETION_SHAPE,
  call,
  eventually,
  expectShape,
  fakeEnv,
  generateKey,
  openaiChunks,
  parseSse,
  scrape,
  sdk,
  sseEvents,
  startFakes,
  startStack,
  tutorialConfig,
  valueOf,
} from '@test/support';

/** Every chunk of a stream, of its published shape. */
async function collect(stream: AsyncIterable<OpenAI.Completion>): Promise<OpenAI.Completion[]> {
  const chunks: OpenAI.Completion[] = [];
  for await (const chunk of stream) {
    expectShape(TEXT_COMPLETION_CHUNK_SHAPE, chunk, 'chunk');
    chunks.push(chunk);
  }
  return chunks;
}

const textOf = (chunks: OpenAI.Completion[]) => chunks.flatMap((c) => c.choices.map((choice) => choice.text)).join('');

/**
 * The legacy completions API with the official SDK (`client.completions.create`), on an
 * OpenAI-compatible deployment (its `/v1/completions`) and an Ollama one (its `/api/generate`).
 */
describe.each([
  ['an OpenAI-compatible deployment', 'openai/gpt-4o-mini', 'openai'],
  ['an Ollama deployment', 'ollama/gpt-oss:20b', 'ollama'],
] as const)('legacy completions on %s', (_name, model, wire) => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let client: OpenAI;
  const upstream = (): FakeUpstream => fakes[wire];

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
    const { key } = await generateKey(stack.url, { models: [model] });
    client = sdk(stack.url, key);
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('completions.create: a text_completion of its published shape, the sampling fields reaching the upstream in its own terms', async () => {
    const completion = await client.completions.create({
      model,
      prompt: 'def add(a, b):',
      max_tokens: 32,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      seed: 7,
    });

    expectShape(TEXT_COMPLETION_SHAPE, completion);
    expect(completion).toMatchObject({
      object: 'text_completion',
      model,
      choices: [{ index: 0, text: 'echo: def add(a, b):', finish_reason: 'stop', logprobs: null }],
    });
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });

    const [received] = upstream().received;
    if (wire === 'openai') {
      expect(received.path).toBe('/v1/completions');
      expect(received.body).toEqual({
        model: 'gpt-4o-mini',
        prompt: 'def add(a, b):',
        max_tokens: 32,
        temperature: 0.2,
        top_p: 0.9,
        stop: ['\n\n'],
        seed: 7,
        stream: false,
      });
    } else {
      expect(received.path).toBe('/api/generate');
      // No suffix: the prompt is continued as written, without the model's chat template.
      expect(received.body).toEqual({
        model: 'gpt-oss:20b',
        prompt: 'def add(a, b):',
        raw: true,
        stream: false,
        options: { num_predict: 32, temperature: 0.2, top_p: 0.9, stop: ['\n\n'], seed: 7 },
      });
    }
  });

  it('streams text_completion chunks of their published shape, one id, the model asked for, usage last when asked for', async () => {
    const chunks = await collect(await client.completions.create({ model, prompt: 'once upon a time', stream: true, stream_options: { include_usage: true } }));

    expect(textOf(chunks)).toBe('echo: once upon a time');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.model === model)).toBe(true);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');

    const body = upstream().received[0].body as Record<string, unknown>;
    expect(body.stream).toBe(true);
    if (wire === 'openai') expect(body.stream_options).toEqual({ include_usage: true });
  });

  it('streams without a usage chunk unless asked, still asking the upstream for usage, and ends with [DONE]', async () => {
    const res = await call(stack.url, '/v1/completions', { body: { model, prompt: 'hello there', stream: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const { events } = parseSse(res.text);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = openaiChunks(events);
    for (const chunk of chunks) expectShape(TEXT_COMPLETION_CHUNK_SHAPE, chunk, 'chunk');
    expect(chunks.every((c) => !('usage' in c) && c.choices.length === 1)).toBe(true);
    if (wire === 'openai') expect((upstream().received[0].body as Record<string, unknown>).stream_options).toEqual({ include_usage: true });
  });

  it('takes a suffix for fill-in-the-middle, and answers at /completions too', async () => {
    const res = await call(stack.url, '/completions', { body: { model, prompt: 'def add(a, b):\n    ', suffix: '\n    return c', max_tokens: 16 } });
    expect(res.status).toBe(200);
    expectShape(TEXT_COMPLETION_SHAPE, res.json);
    const body = upstream().received[0].body as Record<string, unknown>;
    expect(body).toMatchObject({ prompt: 'def add(a, b):\n    ', suffix: '\n    return c' });
    // With a suffix Ollama's template places prompt and suffix around the gap: not raw.
    if (wire === 'ollama') expect(body).not.toHaveProperty('raw');
  });

  it('refuses a model the key may not use with 403, as chat does', async () => {
    const other = model === 'openai/gpt-4o-mini' ? 'ollama/gpt-oss:20b' : 'openai/gpt-4o-mini';
    const error = await client.completions.create({ model: other, prompt: 'hi' }).catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 403, error: { code: 'model_not_allowed', param: 'model' } });
    expect(fakes.openai.total + fakes.ollama.total).toBe(0);
  });

  it('answers a body without a prompt with 400 naming it, sending nothing upstream', async () => {
    const res = await call(stack.url, '/v1/completions', { body: { model, max_tokens: 5 } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'prompt', message: "'prompt' is required" });
    expect(upstream().total).toBe(0);
  });
});

describe('legacy completions: what each backend can take, limits, spend and hang-ups', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('passes n, several prompts, echo and logprobs to an OpenAI-compatible upstream', async () => {
    const completion = await sdk(stack.url).completions.create({ model: 'openai/gpt-4o-mini', prompt: ['a b', 'c d'], n: 2, echo: true, logprobs: 1 });
    expectShape(TEXT_COMPLETION_SHAPE, completion);
    expect(completion.choices.map((c) => [c.index, c.text])).toEqual([
      [0, 'a becho: a b'],
      [1, 'a becho: a b'],
      [2, 'c decho: c d'],
      [3, 'c decho: c d'],
    ]);
    expect(completion.choices[0].logprobs?.tokens).toEqual(['echo: ', 'a ', 'b']);
    expect(fakes.openai.received[0].body).toMatchObject({ prompt: ['a b', 'c d'], n: 2, echo: true, logprobs: 1 });
  });

  it.each<[string, object, string, string]>([
    ['n > 1', { n: 2 }, 'n', 'ollama returns at most 1 choice per call; n must be at most 1'],
    ['echo', { echo: true }, 'echo', 'ollama cannot honour echo in a completion'],
    ['logprobs', { logprobs: 2 }, 'logprobs', 'ollama cannot honour logprobs in a completion'],
    ['several prompts', { prompt: ['a', 'b'] }, 'prompt', 'ollama completes one prompt per call'],
    ['token ids', { prompt: [1, 2, 3] }, 'prompt', 'ollama takes the prompt as text'],
  ])('refuses %s on Ollama with 400 naming it, never counted against the deployment', async (_case, fields, param, message) => {
    for (let i = 0; i < 4; i++) {
      const res = await call(stack.url, '/v1/completions', { body: { model: 'ollama/gpt-oss:20b', prompt: 'hi', ...fields } });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_request', param, message: expect.stringContaining(message) });
    }
    expect(fakes.ollama.total).toBe(0);
    // More refusals than allowed_fails (3): the deployment did not cool down.
    const ok = await call(stack.url, '/v1/completions', { body: { model: 'ollama/gpt-oss:20b', prompt: ['hi'] } });
    expect(ok.status).toBe(200);
    expect(ok.json.choices[0].text).toBe('echo: hi');
  });

  it("retries an upstream's 5xx as chat does, and answers", async () => {
    fakes.ollama.failNext(1, 500, 'the GPU is warming up');
    const completion = await sdk(stack.url).completions.create({ model: 'ollama/gpt-oss:20b', prompt: 'try again' });
    expect(completion.choices[0].text).toBe('echo: try again');
    expect(fakes.ollama.received.map((r) => r.path)).toEqual(['/api/generate', '/api/generate']);
  });

  it("reserves max_tokens against the key's tpm_limit, as chat does", async () => {
    const { key } = await generateKey(stack.url, { tpm_limit: 100 });
    const res = await call(stack.url, '/v1/completions', { key, body: { model: 'ollama/gpt-oss:20b', prompt: 'hi', max_tokens: 1000 } });
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: 'tokens_over_limit', param: 'max_tokens' });
    expect(fakes.ollama.total).toBe(0);
    const fits = await call(stack.url, '/v1/completions', { key, body: { model: 'ollama/gpt-oss:20b', prompt: 'hi', max_tokens: 50 } });
    expect(fits.status).toBe(200);
    expect(fits.headers.get('x-ratelimit-limit-tokens')).toBe('100');
  });

  it('bills a completion: one spend log row with its tokens and cost, for the key that made it', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'completions-billing' });
    const completion = await sdk(stack.url, key).completions.create(
      { model: 'openai/gpt-4o-mini', prompt: 'count these words' },
      { headers: { 'x-request-id': 'completions-billing-1' } },
    );
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=completions-billing-1'),
      (res) => res.json.length === 1,
    );
    expect(logs.json[0]).toMatchObject({
      api_key: token,
      model_group: 'openai/gpt-4o-mini',
      status: 'success',
      prompt_tokens: completion.usage!.prompt_tokens,
      completion_tokens: completion.usage!.completion_tokens,
      total_tokens: completion.usage!.total_tokens,
    });
    expect(logs.json[0].spend).toBeGreaterThan(0);
    const info = await eventually(
      () => call(stack.url, `/key/info?key=${token}`),
      (res) => res.json.info.spend > 0,
    );
    expect(info.json.info.spend).toBeCloseTo(logs.json[0].spend, 12);
  });

  it("counts a completion in the gateway's metrics, as any model call, and its route", async () => {
    const before = await scrape(stack.url);
    await sdk(stack.url).completions.create({ model: 'ollama/gpt-oss:20b', prompt: 'one two' });
    const after = await eventually(
      () => scrape(stack.url),
      (samples) =>
        valueOf(samples, 'switchyard_http_requests_total', { route: '/v1/completions' }) >
        valueOf(before, 'switchyard_http_requests_total', { route: '/v1/completions' }),
    );
    const calls = { model: 'ollama/gpt-oss:20b', provider: 'ollama', outcome: 'success' };
    expect(valueOf(after, 'switchyard_chat_calls_total', calls) - valueOf(before, 'switchyard_chat_calls_total', calls)).toBe(1);
    const tokens = { model: 'ollama/gpt-oss:20b', type: 'completion' };
    expect(valueOf(after, 'switchyard_chat_tokens_total', tokens) - valueOf(before, 'switchyard_chat_tokens_total', tokens)).toBe(3);
  });

  it('cancels the call when the client hangs up mid-stream: the upstream request is aborted, the spend log says cancelled', async () => {
    fakes.ollama.chunkDelayMs = 300;
    const leaving = new AbortController();
    const res = await fetch(`${stack.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.env.MASTER_KEY}`, 'content-type': 'application/json', 'x-request-id': 'completions-hangup-1' },
      body: JSON.stringify({ model: 'ollama/gpt-oss:20b', prompt: 'a b c d e f g h i j', stream: true }),
      signal: leaving.signal,
    });
    try {
      for await (const event of sseEvents(res.body!)) {
        if (JSON.parse(event.data).choices?.[0]?.text) leaving.abort();
      }
    } catch {
      // the abort
    }
    expect(
      await eventually(
        async () => fakes.ollama.closedEarly,
        (n) => n >= 1,
      ),
    ).toBe(1);
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=completions-hangup-1'),
      (r) => r.json.length === 1,
    );
    expect(logs.json[0]).toMatchObject({ status: 'cancelled', model_group: 'ollama/gpt-oss:20b' });
    expect(logs.json[0].completion_tokens).toBeGreaterThan(0);
  });
});
