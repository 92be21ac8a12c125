import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { ANTHROPIC_ERROR, type Stack, call, eventually, expectShape, fakeEnv, generateKey, sleep, startFakes, startStack, tutorialConfig } from '@test/support';

const HI: Anthropic.MessageParam[] = [{ role: 'user', content: 'hi' }];

/**
 * Every error of the Messages API in Anthropic's shape and status, as the official SDK sees it:
 * its error classes and `type`, the request id, those raised before any route runs (the key
 * guard, the body parser, an unknown path) included.
 */
describe("Anthropic's Messages API: errors in Anthropic's shape", () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let key: string;
  const client = (apiKey: string) => new Anthropic({ baseURL: stack.url, apiKey, maxRetries: 0 });
  /** The SDK's error for a call, checked for Anthropic's body shape and the request id. */
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as APIError;
    expectShape(ANTHROPIC_ERROR, apiError.error, 'error body');
    expect(apiError.requestID).toBeTruthy();
    return apiError;
  };
  /** Raw HTTP, for what the SDK would not send. */
  const raw = (init: Parameters<typeof call>[2]) => call(stack.url, '/v1/messages', init);
  const expectRaw = (res: Awaited<ReturnType<typeof call>>, status: number, type: string) => {
    expect({ status: res.status, type: res.json?.error?.type }).toEqual({ status, type });
    expectShape(ANTHROPIC_ERROR, res.json, 'error body');
    expect(res.json.request_id).toBe(res.headers.get('request-id'));
    expect(res.headers.get('x-request-id')).toBe(res.headers.get('request-id'));
  };

  beforeAll(async () => {
    fakes = await startFakes();
    // A backend of its own with one slot and room for one waiting call, to fill it in a test.
    const extra = `  - model_name: one-slot
    litellm_params:
      model: ollama/llama3.2
      api_base: "${fakes.ollama.origin}"
    model_info:
      queue: one-slot
queue_settings:
  one-slot: {concurrency: 1, max_queue_depth: 1}
`;
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: fakeEnv(fakes.openai) });
    ({ key } = await generateKey(stack.url, { models: ['ollama/gpt-oss:20b', 'one-slot'] }));
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('400 invalid_request_error naming the field: no max_tokens', async () => {
    const error = await refusal(
      client(key).messages.create({ model: 'ollama/gpt-oss:20b', messages: HI } as unknown as Anthropic.MessageCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.type).toBe('invalid_request_error');
    expect(error.apiMessage).toBe("'max_tokens' is required");
    expect(fakes.ollama.total).toBe(0);
  });

  it("400 for one of Anthropic's server tools, naming it", async () => {
    const error = await refusal(
      client(key).messages.create({
        model: 'ollama/gpt-oss:20b',
        max_tokens: 16,
        messages: HI,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.apiMessage).toContain("'tools[0].type'");
    expect(error.apiMessage).toContain('web_search_20250305');
  });

  it('401 authentication_error for a wrong key (x-api-key or Bearer) and for none', async () => {
    const wrong = await refusal(client('sk-not-a-key').messages.create({ model: 'ollama/gpt-oss:20b', max_tokens: 16, messages: HI }));
    expect(wrong).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(wrong.type).toBe('authentication_error');
    const bearer = new Anthropic({ baseURL: stack.url, authToken: 'sk-not-a-key', maxRetries: 0 });
    expect(await refusal(bearer.messages.countTokens({ model: 'ollama/gpt-oss:20b', messages: HI }))).toBeInstanceOf(Anthropic.AuthenticationError);
    const none = await raw({ key: null, body: { model: 'ollama/gpt-oss:20b', max_tokens: 16, messages: HI } });
    expectRaw(none, 401, 'authentication_error');
    expect(none.json.error.message).toContain('x-api-key');
    // The same failure on the chat route keeps OpenAI's shape.
    const chat = await call(stack.url, '/v1/chat/completions', { key: null, body: {} });
    expect(chat.json).toEqual({ error: expect.objectContaining({ type: 'authentication_error', code: 'missing_api_key', param: null }) });
  });

  it('403 permission_error for a model the key may not use', async () => {
    const error = await refusal(client(key).messages.create({ model: 'openai/gpt-4o-mini', max_tokens: 16, messages: HI }));
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.type).toBe('permission_error');
    expect(fakes.openai.total).toBe(0);
  });

  it('404 not_found_error for an unknown model, and for an unknown path of the API', async () => {
    const error = await refusal(client(key).messages.create({ model: 'claude-opus-9', max_tokens: 16, messages: HI }));
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.type).toBe('not_found_error');
    expectRaw(await call(stack.url, '/v1/messages/batches', { key, body: {} }), 404, 'not_found_error');
  });

  it('400 for a body that is not JSON, and 413 request_too_large for one over the limit, before any route runs', async () => {
    expectRaw(await raw({ key, body: '{"model": ', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request_error');
    expectRaw(
      await raw({ key, body: { model: 'x', max_tokens: 1, messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] } }),
      413,
      'request_too_large',
    );
  });

  it('429 rate_limit_error at the key rpm_limit', async () => {
    const { key: limited } = await generateKey(stack.url, { rpm_limit: 1 });
    await client(limited).messages.create({ model: 'ollama/gpt-oss:20b', max_tokens: 16, messages: HI });
    const error = await refusal(client(limited).messages.create({ model: 'ollama/gpt-oss:20b', max_tokens: 16, messages: HI }));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.type).toBe('rate_limit_error');
    expect(fakes.ollama.total).toBe(1);
  });

  it('429 rate_limit_error, not worth a retry, once the key has spent its budget', async () => {
    const { key: spent } = await generateKey(stack.url, { max_budget: 0 });
    const error = await refusal(client(spent).messages.create({ model: 'ollama/gpt-oss:20b', max_tokens: 16, messages: HI }));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.type).toBe('rate_limit_error');
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect(fakes.ollama.total).toBe(0);
  });

  it("529 overloaded_error with Retry-After when the backend's queue is full", async () => {
    const release = fakes.ollama.hold();
    const running = client(key).messages.create({ model: 'one-slot', max_tokens: 16, messages: HI });
    await eventually(
      async () => fakes.ollama.inFlight,
      (n) => n === 1,
    );
    const waiting = client(key).messages.create({ model: 'one-slot', max_tokens: 16, messages: HI });
    await sleep(300);
    try {
      const error = await refusal(client(key).messages.create({ model: 'one-slot', max_tokens: 16, messages: HI }));
      expect(error).toBeInstanceOf(Anthropic.OverloadedError);
      expect(error.status).toBe(529);
      expect(error.type).toBe('overloaded_error');
      expect(error.headers?.get('retry-after')).toBe('2');
    } finally {
      release();
    }
    expect((await Promise.all([running, waiting])).map((m) => m.stop_reason)).toEqual(['end_turn', 'end_turn']);
  });

  it('a 5xx after the upstream keeps failing: api_error with the request id in the message', async () => {
    fakes.ollama.failNext(10, 500, 'out of memory');
    const error = await refusal(client(key).messages.create({ model: 'ollama/gpt-oss:20b', max_tokens: 16, messages: HI }));
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.type).toBe('api_error');
    expect(error.apiMessage).toContain(`request id ${error.requestID}`);
  });
});
