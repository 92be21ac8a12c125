import { type ChatCompletionRequest, SwitchyardError } from '@app/contracts';
import { FakeOllamaServer } from '@test/support';
import type { ChatCallContext } from '../chat-operation';
import type { UpstreamTarget } from '../upstream-target';
import { UpstreamHttpClient } from '../http/upstream-http.client';
import { OllamaChatAdapter } from './ollama-chat.adapter';

describe('OllamaChatAdapter against the fake Ollama', () => {
  const fake = new FakeOllamaServer({ models: ['llama3.2'] });
  const http = new UpstreamHttpClient();
  const adapter = new OllamaChatAdapter(http);
  // Prepared and sent in one step, as the worker does.
  const send = {
    complete: async (d: UpstreamTarget, r: ChatCompletionRequest, c: ChatCallContext) => adapter.complete(adapter.prepare(d, r, false), c),
    async *stream(d: UpstreamTarget, r: ChatCompletionRequest, c: ChatCallContext) {
      yield* adapter.stream(adapter.prepare(d, r, true), c);
    },
  };

  const deployment = (fields: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
    upstreamModel: 'llama3.2',
    apiBase: fake.url,
    headers: {},
    ...fields,
  });
  const request = (fields: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model: 'local',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello there' },
    ],
    ...fields,
  });
  const context = (fields: Partial<ChatCallContext> = {}): ChatCallContext => ({
    callId: 'call-1',
    signal: new AbortController().signal,
    deadline: Date.now() + 2000,
    ...fields,
  });
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => error as SwitchyardError,
    );

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.stop();
  });

  it('posts the mapped body to /api/chat without auth and returns a chat.completion', async () => {
    const completion = await send.complete(deployment(), request({ max_tokens: 20 }), context());

    expect(fake.received[0]).toMatchObject({
      method: 'POST',
      path: '/api/chat',
      body: {
        model: 'llama3.2',
        stream: false,
        options: { num_predict: 20 },
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hello there' },
        ],
      },
    });
    expect(fake.received[0].headers.authorization).toBeUndefined();
    expect(completion).toEqual({
      id: expect.stringMatching(/^chatcmpl-[0-9a-f]{24}$/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'llama3.2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
    });
    expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(5);
  });

  it('sends a Bearer key when the deployment has one', async () => {
    await send.complete(deployment({ apiKey: 'proxy-key' }), request(), context());
    expect(fake.received[0].headers.authorization).toBe('Bearer proxy-key');
  });

  it('sends the deployment headers on every call, streamed or not', async () => {
    const headers = { 'x-team': 'team-header-value' };
    await send.complete(deployment({ headers }), request(), context());
    for await (const _chunk of send.stream(deployment({ headers }), request(), context())) void _chunk;
    expect(fake.received.map((r) => r.headers['x-team'])).toEqual(['team-header-value', 'team-header-value']);
  });

  it('round-trips a tool call', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object' } } }];
    const first = await send.complete(deployment(), request({ tools }), context());
    const call = first.choices[0].message.tool_calls?.[0];
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'lookup', arguments: '{"text":"hello there"}' } });

    const history = request({
      tools,
      messages: [...request().messages, first.choices[0].message, { role: 'tool', tool_call_id: call?.id, content: '42' }],
    });
    const second = await send.complete(deployment(), history, context());
    expect(fake.received[1].body).toMatchObject({
      messages: [
        {},
        {},
        { role: 'assistant', tool_calls: [{ function: { name: 'lookup', arguments: { text: 'hello there' } } }] },
        { role: 'tool', content: '42', tool_name: 'lookup' },
      ],
    });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'tool result: 42' } });
  });

  it('reports a model Ollama has not pulled as model_not_found', async () => {
    const error = await failure(send.complete(deployment({ upstreamModel: 'qwen3' }), request(), context()));
    expect(error).toMatchObject({ code: 'model_not_found', status: 404, message: 'ollama upstream: model "qwen3" not found, try pulling it first' });
  });

  it.each([
    [503, { code: 'upstream_unavailable', status: 503, retryable: true }],
    [500, { code: 'upstream_error', status: 502, retryable: true }],
    [400, { code: 'invalid_request', status: 400, retryable: false }],
  ])('maps an upstream %i', async (status, expected) => {
    fake.failNext(1, status, 'nope');
    const error = await failure(send.complete(deployment(), request(), context()));
    expect(error).toMatchObject({ ...expected, message: 'ollama upstream: nope' });
  });

  it('refuses an image link before calling Ollama', async () => {
    const messages: ChatCompletionRequest['messages'] = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }];
    const error = await failure(send.complete(deployment(), request({ messages }), context()));
    expect(error).toMatchObject({ code: 'invalid_request', param: 'messages[0].content[0].image_url' });
    expect(fake.total).toBe(0);
  });

  it('fails clearly when a 200 is not a chat answer', async () => {
    fake.failNext(1, 200, { models: [] });
    const error = await failure(send.complete(deployment(), request(), context()));
    expect(error).toMatchObject({ code: 'upstream_error', status: 502, message: 'ollama upstream answered with something that is not an Ollama chat answer' });
  });

  it('stops at the deadline with a retryable timeout', async () => {
    fake.delayMs = 1000;
    const error = await failure(send.complete(deployment(), request(), context({ deadline: Date.now() + 100 })));
    expect(error).toMatchObject({ code: 'timeout', status: 504, retryable: true });
  });
});
