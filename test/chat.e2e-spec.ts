import OpenAI from 'openai';
import { HELLO, type Stack, UPSTREAM_OPENAI_KEY, call, fakeEnv, generateKey, sdk, startFakes, startStack, tutorialConfig } from '@test/support';

const SYSTEM = { role: 'system' as const, content: '你是一個樂於助人的 AI 助理。' };
const QUESTION = '請簡單說明什麼是多模型代理架構?';

describe('chat through the queues (tutorial config, official OpenAI SDK)', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    const extra = `  - model_name: ollama/not-pulled
    litellm_params:
      model: ollama/not-pulled:1b
      api_base: "${fakes.ollama.origin}"
`;
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: fakeEnv(fakes.openai) });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('answers openai/gpt-4o-mini through worker-openai with the deployment key', async () => {
    const answer = await sdk(stack.url).chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [SYSTEM, { role: 'user', content: QUESTION }] });

    expect(answer.object).toBe('chat.completion');
    expect(answer.model).toBe('openai/gpt-4o-mini');
    expect(answer.id).toMatch(/^chatcmpl-/);
    expect(answer.choices).toHaveLength(1);
    expect(answer.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: `echo: ${QUESTION}` } });
    expect(answer.usage!.total_tokens).toBe(answer.usage!.prompt_tokens + answer.usage!.completion_tokens);
    const [received] = fakes.openai.received;
    expect(received.path).toBe('/v1/chat/completions');
    expect(received.headers.authorization).toBe(`Bearer ${UPSTREAM_OPENAI_KEY}`);
    expect(received.body).toMatchObject({ model: 'gpt-4o-mini', messages: [SYSTEM, { role: 'user', content: QUESTION }] });
  });

  it('answers ollama/gpt-oss:20b through worker-ollama, mapping the request and the answer', async () => {
    const answer = await sdk(stack.url).chat.completions.create({
      model: 'ollama/gpt-oss:20b',
      messages: [SYSTEM, { role: 'user', content: QUESTION }],
      max_tokens: 64,
      temperature: 0.2,
      stop: 'END',
    });

    expect(answer).toMatchObject({ object: 'chat.completion', model: 'ollama/gpt-oss:20b' });
    expect(answer.id).toMatch(/^chatcmpl-/);
    expect(answer.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: `echo: ${QUESTION}` } });
    expect(answer.created).toBeGreaterThan(1_700_000_000);
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    const [received] = fakes.ollama.received;
    expect(received.path).toBe('/api/chat');
    expect(received.headers.authorization).toBeUndefined();
    expect(received.body).toMatchObject({
      model: 'gpt-oss:20b',
      stream: false,
      messages: [SYSTEM, { role: 'user', content: QUESTION }],
      options: { num_predict: 64, temperature: 0.2, stop: ['END'] },
    });
  });

  it('serves the same call on /chat/completions without the /v1 prefix', async () => {
    const res = await call(stack.url, '/chat/completions', { body: HELLO });
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('echo: hello there');
  });

  it('passes fields it does not know through to OpenAI-compatible upstreams', async () => {
    await sdk(stack.url).chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      user: 'end-user-7',
      logit_bias: { '50256': -100 },
      // A vendor extension the SDK does not know.
      ...({ vendor_option: { depth: 2 } } as object),
    });
    expect(fakes.openai.received[0].body).toMatchObject({ user: 'end-user-7', logit_bias: { '50256': -100 }, vendor_option: { depth: 2 } });
  });

  it('lists models and retrieves one by raw or percent-encoded id', async () => {
    const client = sdk(stack.url);
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(['ollama/gpt-oss:20b', 'ollama/not-pulled', 'openai/gpt-4o-mini']);
    expect(await client.models.retrieve('openai/gpt-4o-mini')).toMatchObject({ id: 'openai/gpt-4o-mini', object: 'model', owned_by: 'openai' });
    const encoded = await call(stack.url, '/v1/models/openai%2Fgpt-4o-mini');
    expect(encoded.json).toMatchObject({ id: 'openai/gpt-4o-mini' });
  });

  it('gives a virtual key only its models: generate → use → refused elsewhere → delete → 401', async () => {
    const { key, token, key_name } = await generateKey(stack.url, { models: ['ollama/gpt-oss:20b'], key_alias: 'tutorial-app' });
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(key_name).toBe(`sk-...${key.slice(-4)}`);
    const app = sdk(stack.url, key);

    const answer = await app.chat.completions.create({ model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0].message.content).toBe('echo: hi');

    const ids = [];
    for await (const model of app.models.list()) ids.push(model.id);
    expect(ids).toEqual(['ollama/gpt-oss:20b']);

    const refused = await app.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused.status).toBe(403);
    expect(refused.message).toContain('ollama/gpt-oss:20b');
    expect(fakes.openai.total).toBe(0);

    const deleted = await call(stack.url, '/key/delete', { body: { keys: [key] } });
    expect(deleted.json).toEqual({ deleted_keys: [key] });
    const after = await app.chat.completions.create({ model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(after).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(after.status).toBe(401);
  });

  it('stores only the hash of a key and shows the plaintext once', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'hash-check' });
    const info = await call(stack.url, `/key/info?key=${encodeURIComponent(key)}`);
    expect(info.status).toBe(200);
    expect(info.text).not.toContain(key);
    expect(info.json.info).toMatchObject({ token, key_alias: 'hash-check', key_name: `sk-...${key.slice(-4)}` });
    const { Client } = await import('pg');
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT * FROM virtual_keys WHERE token = $1', [token]);
    await db.end();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(key);
  });

  it('stops accepting a key once its duration has passed', async () => {
    const { key } = await generateKey(stack.url, { duration: '1s' });
    expect((await call(stack.url, '/v1/models', { key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    const expired = await call(stack.url, '/v1/models', { key });
    expect(expired.status).toBe(401);
    expect(expired.json.error.code).toBe('expired_api_key');
  });

  it('accepts the key in x-api-key and api-key headers too', async () => {
    const { key } = await generateKey(stack.url);
    for (const header of ['x-api-key', 'api-key']) {
      const res = await call(stack.url, '/v1/models', { key: null, headers: { [header]: key } });
      expect(res.status).toBe(200);
    }
  });

  it('echoes the client x-request-id, or makes one', async () => {
    const mine = await call(stack.url, '/v1/chat/completions', { body: HELLO, headers: { 'x-request-id': 'trace-42.a' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-42.a');
    const made = await call(stack.url, '/v1/chat/completions', { body: HELLO });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const numeric = await call(stack.url, '/v1/chat/completions', { body: HELLO, headers: { 'x-request-id': '12345' } });
    expect(numeric.headers.get('x-request-id')).toBe('12345');
    // Ids that cannot be part of a job id (a ':'), too long or with spaces are replaced, not refused.
    for (const unusable of ['trace:42', 'x'.repeat(129), 'with space']) {
      const res = await call(stack.url, '/v1/chat/completions', { body: HELLO, headers: { 'x-request-id': unusable } });
      expect({ unusable, status: res.status }).toEqual({ unusable, status: 200 });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('sends API answers as UTF-8 JSON without an ETag or X-Powered-By, while the admin UI files stay revalidatable', async () => {
    for (const res of [await call(stack.url, '/v1/chat/completions', { body: HELLO }), await call(stack.url, '/v1/models')]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(res.text));
      expect(res.headers.get('etag')).toBeNull();
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    const page = await call(stack.url, '/ui/app.css', { key: null });
    expect(page.status).toBe(200);
    const etag = page.headers.get('etag');
    expect(etag).toBeTruthy();
    // As a browser revalidates (fetch() would otherwise add "cache-control: no-cache", which forbids a 304).
    const revalidated = await call(stack.url, '/ui/app.css', { key: null, headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(revalidated.status).toBe(304);
  });

  it('keeps two calls apart when their clients send the same x-request-id at the same time', async () => {
    const [a, b] = [await generateKey(stack.url, { key_alias: 'same-id-a' }), await generateKey(stack.url, { key_alias: 'same-id-b' })];
    fakes.ollama.delayMs = 300;
    const ask = (key: string, content: string) =>
      call(stack.url, '/v1/chat/completions', {
        key,
        body: { ...HELLO, messages: [{ role: 'user', content }] },
        headers: { 'x-request-id': 'shared-trace-1' },
      });
    const [first, second] = await Promise.all([ask(a.key, 'question of a'), ask(b.key, 'question of b')]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json.choices[0].message.content).toBe('echo: question of a');
    expect(second.json.choices[0].message.content).toBe('echo: question of b');
    expect([first.headers.get('x-request-id'), second.headers.get('x-request-id')]).toEqual(['shared-trace-1', 'shared-trace-1']);
    expect(fakes.ollama.total).toBe(2);
  });

  it('retries an upstream 5xx and answers normally', async () => {
    fakes.ollama.failNext(1, 500);
    const res = await call(stack.url, '/v1/chat/completions', { body: HELLO });
    expect(res.status).toBe(200);
    expect(fakes.ollama.total).toBe(2);
  });

  it('gives up after num_retries and answers 503 when the upstream stays unavailable', async () => {
    // A plain 503: Ollama's "server busy" 503 is its queue being full, and the call waits for it instead (test/ollama-operations).
    fakes.ollama.failNext(10, 503);
    const res = await call(stack.url, '/v1/chat/completions', { body: HELLO });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('upstream_unavailable');
    expect(fakes.ollama.total).toBe(3);
  });

  it('does not retry an upstream 400 and keeps its message and param', async () => {
    fakes.openai.failNext(1, 400, {
      error: { message: "Invalid value for 'top_logprobs'.", type: 'invalid_request_error', param: 'top_logprobs', code: null },
    });
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'openai/gpt-4o-mini' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'top_logprobs' });
    expect(res.json.error.message).toContain("Invalid value for 'top_logprobs'.");
    expect(fakes.openai.total).toBe(1);
  });

  it('answers 502 without leaking the provider key when the upstream rejects it', async () => {
    fakes.openai.requireApiKey = 'sk-the-right-one-0000000000';
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'openai/gpt-4o-mini' } });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('upstream_error');
    expect(res.text).not.toContain(UPSTREAM_OPENAI_KEY);
    expect(res.text).not.toContain(UPSTREAM_OPENAI_KEY.slice(-4));
    expect(fakes.openai.total).toBe(1);
  });

  it('answers 404 model_not_found when Ollama has not pulled the model', async () => {
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'ollama/not-pulled' } });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('model_not_found');
    expect(res.json.error.message).toContain('not-pulled');
  });
});
