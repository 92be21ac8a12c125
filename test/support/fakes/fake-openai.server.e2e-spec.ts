import { once } from 'node:events';
import { Agent, request } from 'undici';
import { openaiChunks, parseSse } from '../stream-readers';
import { FakeOpenAIServer } from './fake-openai.server';
import { fakeEmbedding } from './fake-upstream';

describe('FakeOpenAIServer wire format', () => {
  const fake = new FakeOpenAIServer({ models: ['gpt-4o-mini', 'gpt-4o'] });
  const agent = new Agent();
  const chat = {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello there' },
    ],
  };

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await request(fake.origin + path, {
      dispatcher: agent,
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) };
  }

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await agent.close();
    await fake.stop();
  });

  it('answers a legacy completion as a text_completion, or its chunks with usage last, and records the body', async () => {
    const single = (await call('POST', '/v1/completions', { model: 'gpt-4o-mini', prompt: 'say hi', n: 2 })).json();
    expect(single).toMatchObject({
      object: 'text_completion',
      model: 'gpt-4o-mini',
      choices: [
        { index: 0, text: 'echo: say hi', logprobs: null, finish_reason: 'stop' },
        { index: 1, text: 'echo: say hi', logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 },
    });
    const streamed = await call('POST', '/completions', { model: 'gpt-4o-mini', prompt: 'say hi', stream: true, stream_options: { include_usage: true } });
    const chunks = openaiChunks(parseSse(streamed.text).events);
    expect(chunks.map((c) => c.choices.map((x: { text: string }) => x.text).join('')).join('')).toBe('echo: say hi');
    expect(chunks.at(-1)).toMatchObject({ object: 'text_completion', choices: [], usage: { total_tokens: 5 } });
    expect(fake.received.map((r) => r.path)).toEqual(['/v1/completions', '/completions']);
  });

  it('answers a chat completion in OpenAI shape, with and without /v1', async () => {
    for (const path of ['/v1/chat/completions', '/chat/completions']) {
      const response = await call('POST', path, chat);
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({
        id: expect.stringMatching(/^chatcmpl-/),
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
        system_fingerprint: expect.any(String),
      });
    }
    expect(fake.url).toBe(`${fake.origin}/v1`);
    expect(fake.received.map((r) => r.path)).toEqual(['/v1/chat/completions', '/chat/completions']);
    expect(fake.received[0].body).toEqual(chat);
  });

  it('streams SSE chunks, a usage chunk on request, then [DONE]', async () => {
    const response = await call('POST', '/v1/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } });
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = openaiChunks(parseSse(response.text).events);
    expect(events.every((e) => e.object === 'chat.completion.chunk')).toBe(true);
    expect(events[0].choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
    const content = events.map((e) => e.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe('echo: hello there');
    expect(events.length).toBeGreaterThan(4);
    expect(events.at(-2).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    expect(events.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } });
  });

  it('calls the first tool, then answers from the tool result', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const first = (await call('POST', '/v1/chat/completions', { ...chat, tools })).json();
    expect(first.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: null, tool_calls: [{ id: expect.any(String), type: 'function', function: { name: 'lookup', arguments: '{"text":"hello there"}' } }] },
    });
    const toolCall = first.choices[0].message.tool_calls[0];
    const messages = [...chat.messages, first.choices[0].message, { role: 'tool', tool_call_id: toolCall.id, content: 'forty two' }];
    const second = (await call('POST', '/v1/chat/completions', { ...chat, tools, messages })).json();
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'tool result: forty two' } });
  });

  it('streams a tool call as deltas whose arguments add up to JSON', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    const response = await call('POST', '/v1/chat/completions', { ...chat, tools, stream: true });
    const events = openaiChunks(parseSse(response.text).events);
    const calls = events.flatMap((e) => e.choices[0].delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: expect.any(String), type: 'function', function: { name: 'lookup', arguments: '' } });
    expect(calls.map((c: { function: { arguments: string } }) => c.function.arguments).join('')).toBe('{"text":"hello there"}');
    expect(events.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });

  it('lists models', async () => {
    const response = await call('GET', '/v1/models');
    expect(response.json()).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-4o-mini', object: 'model', created: expect.any(Number), owned_by: expect.any(String) },
        { id: 'gpt-4o', object: 'model', created: expect.any(Number), owned_by: expect.any(String) },
      ],
    });
  });

  it('rejects a wrong or missing key like OpenAI, echoing it masked', async () => {
    fake.requireApiKey = 'sk-right-key-0000000000';
    const wrong = await call('POST', '/v1/chat/completions', chat, { authorization: 'Bearer sk-wrong-key-123456789' });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({
      error: {
        message: expect.stringMatching(/^Incorrect API key provided: sk-\*+6789\./),
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    expect((await call('POST', '/v1/chat/completions', chat)).json().error.code).toBe('invalid_api_key');
    expect((await call('POST', '/v1/chat/completions', chat, { authorization: 'Bearer sk-right-key-0000000000' })).status).toBe(200);
  });

  it('fails the next n chat requests as told, then recovers', async () => {
    fake.failNext(2, 429, 'Rate limit reached', { 'retry-after': '1' });
    const first = await call('POST', '/v1/chat/completions', chat);
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    expect(first.json()).toEqual({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    expect((await call('GET', '/v1/models')).status).toBe(200);
    expect((await call('POST', '/v1/chat/completions', chat)).status).toBe(429);
    expect((await call('POST', '/v1/chat/completions', chat)).status).toBe(200);
    expect(fake.total).toBe(4);
  });

  it("sends OpenAI's retry-after-ms with a 429 when told, and counts arrivals per window", async () => {
    fake.failNext(1, 429, 'Rate limit reached for requests', { 'retry-after-ms': '1500', 'retry-after': '2' });
    const limited = await call('POST', '/v1/chat/completions', chat);
    expect(limited.status).toBe(429);
    expect(limited.headers).toMatchObject({ 'retry-after-ms': '1500', 'retry-after': '2' });
    await call('POST', '/v1/chat/completions', chat);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await call('POST', '/v1/chat/completions', chat);
    expect(fake.received.every((r) => typeof r.at === 'number')).toBe(true);
    expect(fake.maxArrivalsWithin(60_000)).toBe(3);
    expect(fake.maxArrivalsWithin(250)).toBe(2);
  });

  it('answers embeddings in OpenAI shape: one predictable vector per input, floats or base64, shortened to dimensions', async () => {
    const floats = await call('POST', '/v1/embeddings', { model: 'text-embedding-3-small', input: ['two words', [1, 2, 3]] });
    expect(floats.status).toBe(200);
    expect(floats.json()).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: fakeEmbedding('two words') },
        { object: 'embedding', index: 1, embedding: fakeEmbedding([1, 2, 3]) },
      ],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
    const base64 = await call('POST', '/embeddings', { model: 'm', input: 'one', encoding_format: 'base64', dimensions: 3 });
    const bytes = Buffer.from(base64.json().data[0].embedding as string, 'base64');
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))).toEqual(fakeEmbedding('one', 3));
    expect((await call('POST', '/v1/embeddings', { model: 'm', input: [] })).status).toBe(400);
  });

  it('answers unknown paths and bad bodies with OpenAI errors', async () => {
    const unknown = await call('POST', '/v1/images/generations', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json().error.message).toBe('Invalid URL (POST /v1/images/generations)');
    const bad = await call('POST', '/v1/chat/completions', { model: 'gpt-4o-mini' });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ type: 'invalid_request_error', param: 'messages' });
  });

  it('waits delayMs, counts requests in flight and notices a client that hangs up', async () => {
    fake.delayMs = 300;
    const controller = new AbortController();
    const closed = once(fake, 'closedEarly');
    const pending = request(`${fake.url}/chat/completions`, { dispatcher: agent, method: 'POST', body: JSON.stringify(chat), signal: controller.signal });
    pending.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.inFlight).toBe(1);
    controller.abort();
    const [abandoned] = await closed;
    expect(abandoned).toMatchObject({ path: '/v1/chat/completions' });
    expect(fake.closedEarly).toBe(1);
    expect(fake.inFlight).toBe(0);
  });

  it('reset() forgets requests and behaviours', async () => {
    fake.delayMs = 5000;
    fake.requireApiKey = 'sk-x';
    fake.failNext(1, 500);
    await call('GET', '/v1/models');
    fake.reset();
    expect(fake.received).toEqual([]);
    expect(fake.total).toBe(0);
    expect((await call('POST', '/v1/chat/completions', chat)).status).toBe(200);
  });
});
