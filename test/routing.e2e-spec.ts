import { FakeOllamaServer, FakeOpenAIServer, type Stack, call, generateKey, openaiChunks, parseSse, sleep, startStack } from '@test/support';

const ask = (stack: Stack, model: string, extra: Record<string, unknown> = {}) =>
  call(stack.url, '/v1/chat/completions', { body: { model, messages: [{ role: 'user', content: 'hello there' }], ...extra } });

/** Two OpenAI-compatible deployments of one model, a failing one with a fallback to Ollama, and one without. */
function routingConfig(a: FakeOpenAIServer, b: FakeOpenAIServer, broken: FakeOpenAIServer, ollama: FakeOllamaServer, strategy: string): string {
  return `model_list:
  - model_name: pool
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${a.url}", api_key: sk-a, weight: 1}
    model_info: {id: pool-a}
  - model_name: pool
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${b.url}", api_key: sk-b, weight: 3}
    model_info: {id: pool-b}
  - model_name: cloud
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${broken.url}", api_key: sk-c, num_retries: 0}
    model_info: {id: cloud-1}
  - model_name: lonely
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${broken.url}", api_key: sk-c, num_retries: 0}
    model_info: {id: lonely-1}
  - model_name: local
    litellm_params: {model: ollama/llama3.2, api_base: "${ollama.origin}"}
    model_info: {id: local-1}
  - model_name: tight
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${a.url}", api_key: sk-a, tpm: 100}
    model_info: {id: tight-1}
router_settings:
  routing_strategy: ${strategy}
  allowed_fails: 2
  cooldown_time: 2
  fallbacks: [{"cloud": ["local"]}]
`;
}

describe('routing across deployments', () => {
  const a = new FakeOpenAIServer();
  const b = new FakeOpenAIServer();
  const broken = new FakeOpenAIServer();
  const ollama = new FakeOllamaServer({ models: ['llama3.2'] });
  const fakes = [a, b, broken, ollama];
  let shuffle: Stack;
  let leastBusy: Stack;

  beforeAll(async () => {
    await Promise.all(fakes.map((f) => f.start()));
    shuffle = await startStack({ config: routingConfig(a, b, broken, ollama, 'simple-shuffle') });
    leastBusy = await startStack({ config: routingConfig(a, b, broken, ollama, 'least-busy') });
  });
  afterAll(async () => {
    await shuffle?.close();
    await leastBusy?.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });
  beforeEach(() => fakes.forEach((f) => f.reset()));

  it('simple-shuffle spreads a model group by weight, and says which deployment answered', async () => {
    const served: string[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await ask(shuffle, 'pool');
      expect(res.status).toBe(200);
      expect(res.json.model).toBe('pool');
      served.push(res.headers.get('x-switchyard-model-id')!);
    }
    expect(a.total + b.total).toBe(200);
    expect(served.filter((id) => id === 'pool-b')).toHaveLength(b.total);
    // weight 3 of 4: about 150 of 200; the bounds are five standard deviations wide.
    expect(b.total).toBeGreaterThan(120);
    expect(b.total).toBeLessThan(180);
    expect(a.received.every((r) => r.headers.authorization === 'Bearer sk-a')).toBe(true);
  });

  it('least-busy sends each call to the deployment with the fewest calls in flight', async () => {
    a.delayMs = 300;
    b.delayMs = 300;
    const answers = await Promise.all(Array.from({ length: 6 }, () => ask(leastBusy, 'pool')));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect([a.total, b.total]).toEqual([3, 3]);
    expect([a.maxInFlight, b.maxInFlight]).toEqual([3, 3]);
  });

  it('cools a deployment down after allowed_fails failures, answering 429 with Retry-After until it has cooled', async () => {
    broken.failNext(2, 500);
    expect((await ask(shuffle, 'lonely')).status).toBe(502);
    expect((await ask(shuffle, 'lonely')).status).toBe(502);
    const cooling = await ask(shuffle, 'lonely');
    expect(cooling.status).toBe(429);
    expect(cooling.json.error.code).toBe('rate_limit_exceeded');
    expect(cooling.json.error.message).toContain('cooling down');
    expect(Number(cooling.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(cooling.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(broken.total).toBe(2);

    await sleep(2100);
    const back = await ask(shuffle, 'lonely');
    expect(back.status).toBe(200);
    expect(broken.total).toBe(3);
  });

  it("does not cool a deployment down for calls too big for its tpm, which are the caller's doing", async () => {
    for (let i = 0; i < 3; i++) {
      const big = await ask(shuffle, 'tight', { max_tokens: 1000 });
      expect(big.status).toBe(429);
      expect(big.json.error.code).toBe('tokens_over_limit');
      expect(big.json.error.message).toContain('tpm');
    }
    const normal = await ask(shuffle, 'tight');
    expect(normal.status).toBe(200);
    expect(a.total).toBe(1);
  });

  it('falls back from a failing cloud model to the local one, saying which served it', async () => {
    broken.failNext(1, 503);
    const res = await ask(leastBusy, 'cloud');
    expect(res.status).toBe(200);
    expect(res.json.model).toBe('cloud');
    expect(res.json.choices[0].message.content).toBe('echo: hello there');
    expect(res.headers.get('x-switchyard-model-group')).toBe('local');
    expect(res.headers.get('x-switchyard-model-id')).toBe('local-1');
    expect(res.headers.get('x-switchyard-attempts')).toBe('2');
    expect(broken.total).toBe(1);
    expect(ollama.received[0].body).toMatchObject({ model: 'llama3.2' });

    // A client error is not the deployment's fault: no fallback, the client sees it.
    broken.failNext(1, 400, { error: { message: 'bad field', type: 'invalid_request_error', param: 'x', code: null } });
    const refused = await ask(leastBusy, 'cloud');
    expect(refused.status).toBe(400);
    expect(ollama.total).toBe(1);
  });

  it('serves a key only by fallbacks it may use itself', async () => {
    const onlyCloud = await generateKey(leastBusy.url, { models: ['cloud'] });
    broken.failNext(1, 503);
    const res = await call(leastBusy.url, '/v1/chat/completions', {
      key: onlyCloud.key,
      body: { model: 'cloud', messages: [{ role: 'user', content: 'hello there' }] },
    });
    expect(res.status).toBe(503);
    expect(ollama.total).toBe(0);
    const both = await generateKey(leastBusy.url, { models: ['cloud', 'local'] });
    broken.failNext(1, 503);
    const served = await call(leastBusy.url, '/v1/chat/completions', {
      key: both.key,
      body: { model: 'cloud', messages: [{ role: 'user', content: 'hello there' }] },
    });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-switchyard-model-group')).toBe('local');
  });

  it('goes straight to the fallback while the deployment cools down, for streams too', async () => {
    broken.failNext(2, 500);
    for (let i = 0; i < 2; i++) expect((await ask(shuffle, 'cloud')).headers.get('x-switchyard-model-group')).toBe('local');
    const before = broken.total;
    const streamed = await ask(shuffle, 'cloud', { stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.headers.get('x-switchyard-model-group')).toBe('local');
    expect(streamed.headers.get('x-switchyard-attempts')).toBe('1');
    expect(streamed.text).toContain('"model":"cloud"');
    expect(streamed.text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(broken.total).toBe(before);
  });

  it('falls back for a stream that fails before its first chunk', async () => {
    broken.failNext(1, 502);
    const streamed = await ask(leastBusy, 'cloud', { stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('x-switchyard-model-group')).toBe('local');
    const text = openaiChunks(parseSse(streamed.text).events)
      .map((chunk) => chunk.choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('echo: hello there');
  });
});
