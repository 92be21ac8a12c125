import { once } from 'node:events';
import { type ChatCompletionRequest, Provider, SwitchyardError } from '@app/contracts';
import type { Deployment } from '@app/config';
import { FakeOpenAIServer } from '../../../../test/fakes/fake-openai.server';
import type { ChatCallContext } from '../chat-provider.adapter';
import { UpstreamHttpClient } from '../upstream-http.client';
import { OpenAIChatAdapter } from './openai-chat.adapter';

const API_KEY = 'sk-test-0123456789abcdef';

describe('OpenAIChatAdapter against the fake OpenAI', () => {
  const fake = new FakeOpenAIServer();
  const http = new UpstreamHttpClient();
  const adapter = new OpenAIChatAdapter(http);

  const deployment = (fields: Partial<Deployment> = {}): Deployment => ({
    id: 'd1',
    modelName: 'fast',
    provider: Provider.OpenAI,
    upstreamModel: 'gpt-4o-mini',
    apiBase: fake.url,
    apiKey: API_KEY,
    modelInfo: {},
    extraParams: {},
    source: 'test',
    ...fields,
  });
  const request = (fields: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model: 'fast',
    messages: [{ role: 'user', content: 'hello there' }],
    ...fields,
  });
  const context = (fields: Partial<ChatCallContext> = {}): ChatCallContext => ({
    requestId: 'req-1',
    signal: new AbortController().signal,
    deadline: Date.now() + 2000,
    ...fields,
  });
  const failure = (call: Promise<unknown>) => call.then(() => undefined, (error: unknown) => error as SwitchyardError);

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.stop();
  });

  it("sends the client's body with the upstream model, no streaming and the key, and returns the completion", async () => {
    const completion = await adapter.complete(deployment(), request({ stream: true, temperature: 0, custom_field: 'kept' }), context());

    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]).toMatchObject({
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], stream: false, temperature: 0, custom_field: 'kept' },
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello there' }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
  });

  it('sends no Authorization header when the deployment has no key', async () => {
    await adapter.complete(deployment({ apiKey: undefined }), request(), context());
    expect(fake.received[0].headers.authorization).toBeUndefined();
  });

  it('passes tools through and returns the tool call', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const completion = await adapter.complete(deployment(), request({ tools, tool_choice: 'auto' }), context());
    expect(fake.received[0].body).toMatchObject({ tools, tool_choice: 'auto' });
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [{ type: 'function', function: { name: 'lookup', arguments: '{"text":"hello there"}' } }] },
    });
  });

  it('reports rejected deployment credentials as a 502 without the key', async () => {
    fake.requireApiKey = 'sk-the-right-key-000000';
    const error = await failure(adapter.complete(deployment(), request(), context()));
    expect(error).toMatchObject({ code: 'upstream_error', status: 502, retryable: false });
    expect(error?.message).toMatch(/^openai upstream rejected the deployment's credentials \(HTTP 401\): Incorrect API key provided: sk-\[redacted\]/);
    expect(error?.message).not.toContain(API_KEY.slice(-4));
  });

  it.each([
    [429, { 'retry-after': '2' }, { code: 'rate_limit_exceeded', status: 429, retryable: true, retryAfterMs: 2000 }],
    [400, {}, { code: 'invalid_request', status: 400, retryable: false }],
    [503, {}, { code: 'upstream_unavailable', status: 503, retryable: true }],
    [500, {}, { code: 'upstream_error', status: 502, retryable: true }],
  ])('maps an upstream %i', async (status, headers, expected) => {
    fake.failNext(1, status, 'upstream says no', headers);
    const error = await failure(adapter.complete(deployment(), request(), context()));
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ ...expected, message: 'openai upstream: upstream says no' });
  });

  it('fails clearly when a 200 is not a chat completion', async () => {
    fake.failNext(1, 200, { object: 'list', data: [] });
    const error = await failure(adapter.complete(deployment(), request(), context()));
    expect(error).toMatchObject({ code: 'upstream_error', status: 502, message: 'openai upstream answered with something that is not a chat completion' });
  });

  it('gives up at the deadline with a retryable timeout and hangs up', async () => {
    fake.delayMs = 1000;
    const closed = once(fake, 'closedEarly');
    const error = await failure(adapter.complete(deployment(), request(), context({ deadline: Date.now() + 100 })));
    expect(error).toMatchObject({ code: 'timeout', status: 504, retryable: true });
    expect(error?.message).toMatch(/^openai upstream did not answer within \d+ ms$/);
    await closed;
  });

  it('does not call the upstream once the deadline has passed', async () => {
    const error = await failure(adapter.complete(deployment(), request(), context({ deadline: Date.now() - 1 })));
    expect(error).toMatchObject({ code: 'timeout', retryable: false });
    expect(fake.total).toBe(0);
  });

  it('reports an unreachable upstream as a retryable 502 naming host:port', async () => {
    const gone = new FakeOpenAIServer();
    const port = await gone.start();
    await gone.stop();
    const error = await failure(adapter.complete(deployment({ apiBase: gone.url }), request(), context()));
    expect(error).toMatchObject({
      code: 'upstream_error',
      status: 502,
      retryable: true,
      message: `openai upstream at 127.0.0.1:${port} could not be reached (ECONNREFUSED)`,
    });
  });
});
