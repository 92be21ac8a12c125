import { Agent, request } from 'undici';
import { FakeOllamaServer } from './fake-ollama.server';
import { fakeEmbedding } from './fake-upstream';

describe('FakeOllamaServer wire format', () => {
  const fake = new FakeOllamaServer({ models: ['llama3.2', 'qwen3:8b'] });
  const agent = new Agent();
  const chat = { model: 'llama3.2', messages: [{ role: 'user', content: 'hello there' }] };

  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await request(fake.url + path, { dispatcher: agent, method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) };
  }

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await agent.close();
    await fake.stop();
  });

  it('answers /api/embed with one predictable vector per text, honouring dimensions, and records the call', async () => {
    const response = await call('POST', '/api/embed', { model: 'qwen3:8b', input: ['two words', 'three more words'], dimensions: 4, keep_alive: '1m' });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({
      model: 'qwen3:8b',
      embeddings: [fakeEmbedding('two words', 4), fakeEmbedding('three more words', 4)],
      total_duration: expect.any(Number),
      load_duration: expect.any(Number),
      prompt_eval_count: 5,
    });
    expect(fake.received[0]).toMatchObject({ path: '/api/embed', body: { keep_alive: '1m' } });
    expect((await call('POST', '/api/embed', { model: 'qwen3:8b', input: 'one' })).json().embeddings).toEqual([fakeEmbedding('one')]);
    expect((await call('POST', '/api/embed', { model: 'qwen3:8b', input: [[1, 2]] })).status).toBe(400);
    expect((await call('POST', '/api/embed', { model: 'absent', input: 'x' })).status).toBe(404);
  });

  it('answers stream:false with one Ollama chat object', async () => {
    const response = await call('POST', '/api/chat', { ...chat, stream: false });
    expect(response.status).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      model: 'llama3.2',
      created_at: expect.any(String),
      message: { role: 'assistant', content: 'echo: hello there' },
      done_reason: 'stop',
      done: true,
      total_duration: expect.any(Number),
      load_duration: expect.any(Number),
      prompt_eval_count: 2,
      prompt_eval_duration: expect.any(Number),
      eval_count: 3,
      eval_duration: expect.any(Number),
    });
    expect(Number.isNaN(Date.parse(body.created_at))).toBe(false);
    expect(fake.url).toBe(fake.origin);
  });

  it('answers /api/generate with one object, or NDJSON lines of `response` pieces, and records the body', async () => {
    const body = { model: 'llama3.2', prompt: 'def f(', suffix: ')', options: { num_predict: 8 } };
    const single = (await call('POST', '/api/generate', { ...body, stream: false })).json();
    expect(single).toMatchObject({ model: 'llama3.2', response: 'echo: def f(', done: true, done_reason: 'stop', prompt_eval_count: 2, eval_count: 3 });
    const streamed = await call('POST', '/api/generate', body);
    expect(streamed.headers['content-type']).toBe('application/x-ndjson');
    const lines = streamed.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.response).join('')).toBe('echo: def f(');
    expect(lines.at(-1)).toMatchObject({ done: true, eval_count: 3 });
    expect(fake.received.map((r) => [r.path, (r.body as { suffix?: string }).suffix])).toEqual([
      ['/api/generate', ')'],
      ['/api/generate', ')'],
    ]);
  });

  it('streams NDJSON when stream is omitted, like Ollama', async () => {
    const response = await call('POST', '/api/chat', chat);
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    const lines = response.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.slice(0, -1).every((line) => line.done === false && line.message.role === 'assistant')).toBe(true);
    expect(lines.map((line) => line.message.content).join('')).toBe('echo: hello there');
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: 'stop', prompt_eval_count: 2, eval_count: 3 });
  });

  it('answers tools with an Ollama tool call: arguments as an object, no id', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const body = (await call('POST', '/api/chat', { ...chat, tools, stream: false })).json();
    expect(body.message).toEqual({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { text: 'hello there' } } }] });
    const messages = [...chat.messages, body.message, { role: 'tool', content: 'sunny', tool_name: 'lookup' }];
    const second = (await call('POST', '/api/chat', { ...chat, tools, messages, stream: false })).json();
    expect(second.message.content).toBe('tool result: sunny');
  });

  it('knows only its models, with or without the :latest tag', async () => {
    expect((await call('POST', '/api/chat', { ...chat, model: 'llama3.2:latest', stream: false })).status).toBe(200);
    const missing = await call('POST', '/api/chat', { ...chat, model: 'mistral', stream: false });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error: 'model "mistral" not found, try pulling it first' });
    expect((await call('POST', '/api/chat', { messages: [] })).json()).toEqual({ error: 'model is required' });
  });

  it('lists tags and a version', async () => {
    const tags = (await call('GET', '/api/tags')).json();
    expect(tags.models.map((m: { name: string }) => m.name)).toEqual(['llama3.2:latest', 'qwen3:8b']);
    expect((await call('GET', '/api/version')).json()).toEqual({ version: expect.any(String) });
  });

  it('fails the next chat request in Ollama error shape', async () => {
    fake.failNext(1, 503, 'server busy, please try again');
    const failed = await call('POST', '/api/chat', { ...chat, stream: false });
    expect(failed.status).toBe(503);
    expect(failed.json()).toEqual({ error: 'server busy, please try again' });
    expect((await call('POST', '/api/chat', { ...chat, stream: false })).status).toBe(200);
    expect(fake.received).toHaveLength(2);
  });

  it('stop() closes connections that are still waiting for an answer', async () => {
    const other = new FakeOllamaServer();
    await other.start();
    other.delayMs = 10_000;
    const pending = request(`${other.url}/api/chat`, { dispatcher: agent, method: 'POST', body: JSON.stringify({ ...chat, stream: false }) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.stop();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
