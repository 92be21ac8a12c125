import { Client } from 'pg';
import { HELLO, MASTER_KEY, type Stack, call, fakeEnv, generateKey, startFakes, startStack, tutorialConfig } from '@test/support';

/** Every row of the README's error table, as a client sees it. */
describe('error table', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    const extra = `  - model_name: ollama/offline
    litellm_params:
      model: ollama/llama3.2
      api_base: "http://127.0.0.1:1"
      num_retries: 0
  - model_name: ollama/impatient
    litellm_params:
      model: ollama/llama3.2
      api_base: "${fakes.ollama.origin}"
      timeout: 0.5
  - model_name: ollama/throttled
    litellm_params:
      model: ollama/llama3.2
      api_base: "${fakes.ollama.origin}"
      timeout: 1
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

  const chat = (body: unknown, init: Parameters<typeof call>[2] = {}) => call(stack.url, '/v1/chat/completions', { body, ...init });
  const expectError = (res: Awaited<ReturnType<typeof call>>, status: number, code: string, param: string | null = null) => {
    expect({ status: res.status, code: res.json?.error?.code, param: res.json?.error?.param }).toEqual({ status, code, param });
    expect(res.json.error).toEqual({ message: expect.any(String), type: expect.any(String), param, code });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  };

  describe('400 invalid request, naming the field', () => {
    it.each([
      ['model missing', { messages: HELLO.messages }, 'model'],
      ['model not a string', { ...HELLO, model: 7 }, 'model'],
      ['messages missing', { model: HELLO.model }, 'messages'],
      ['messages empty', { ...HELLO, messages: [] }, 'messages'],
      ['messages not an array', { ...HELLO, messages: 'hi' }, 'messages'],
      ['a message not an object', { ...HELLO, messages: ['hi'] }, 'messages[0]'],
      ['an unknown role', { ...HELLO, messages: [{ role: 'bot', content: 'hi' }] }, 'messages[0].role'],
      ['a user message without content', { ...HELLO, messages: [{ role: 'user' }] }, 'messages[0].content'],
      ['content of the wrong type', { ...HELLO, messages: [{ role: 'user', content: 42 }] }, 'messages[0].content'],
      ['a text part without text', { ...HELLO, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content[0].text'],
      ['temperature above 2', { ...HELLO, temperature: 2.5 }, 'temperature'],
      ['temperature below 0', { ...HELLO, temperature: -0.1 }, 'temperature'],
      ['top_p above 1', { ...HELLO, top_p: 1.5 }, 'top_p'],
      ['max_tokens of 0', { ...HELLO, max_tokens: 0 }, 'max_tokens'],
      ['max_completion_tokens of 0', { ...HELLO, max_completion_tokens: 0 }, 'max_completion_tokens'],
      ['n of 0', { ...HELLO, n: 0 }, 'n'],
      ['stream not a boolean', { ...HELLO, stream: 'yes' }, 'stream'],
      ['priority below 0', { ...HELLO, priority: -1 }, 'priority'],
      ['priority not an integer', { ...HELLO, priority: 1.5 }, 'priority'],
    ])('%s', async (_case, body, param) => {
      expectError(await chat(body), 400, 'invalid_request', param);
      expect(fakes.ollama.total).toBe(0);
    });

    it.each([
      ['malformed JSON', '{"model":'],
      ['a JSON array', '[1,2]'],
      ['a JSON string', '"hello"'],
    ])('%s as the body', async (_case, raw) => {
      expectError(await chat(raw), 400, 'invalid_request');
    });

    it('accepts every documented role and content parts', async () => {
      const res = await chat({
        ...HELLO,
        messages: [
          { role: 'system', content: 's' },
          { role: 'developer', content: 'd' },
          { role: 'user', content: [{ type: 'text', text: 'part one' }] },
          { role: 'assistant', content: 'a' },
          { role: 'user', content: 'u' },
        ],
        temperature: 0,
        top_p: 1,
        n: 1,
      });
      expect(res.status).toBe(200);
    });
  });

  describe('401 authentication', () => {
    it('no key', async () => expectError(await chat(HELLO, { key: null }), 401, 'missing_api_key'));
    it('"Bearer" with nothing after it', async () =>
      expectError(await chat(HELLO, { key: null, headers: { authorization: 'Bearer ' } }), 401, 'missing_api_key'));
    it('an unknown key', async () => expectError(await chat(HELLO, { key: 'sk-not-a-real-key' }), 401, 'invalid_api_key'));

    it('an expired key', async () => {
      const { key } = await generateKey(stack.url, { duration: '1s' });
      await new Promise((r) => setTimeout(r, 1100));
      expectError(await chat(HELLO, { key }), 401, 'expired_api_key');
    });

    it('a blocked key', async () => {
      const { key, token } = await generateKey(stack.url);
      const db = new Client({ connectionString: stack.databaseUrl });
      await db.connect();
      await db.query('UPDATE virtual_keys SET blocked = true WHERE token = $1', [token]);
      await db.end();
      expectError(await chat(HELLO, { key }), 401, 'blocked_api_key');
    });
  });

  describe('403 permission', () => {
    it('a model outside the key allow-list, naming the allowed ones', async () => {
      const { key } = await generateKey(stack.url, { models: ['openai/gpt-4o-mini'] });
      const res = await chat(HELLO, { key });
      expectError(res, 403, 'model_not_allowed', 'model');
      expect(res.json.error.message).toContain('openai/gpt-4o-mini');
      expect(fakes.ollama.total).toBe(0);
    });

    it('a virtual key on an admin endpoint', async () => {
      const { key } = await generateKey(stack.url);
      expectError(await call(stack.url, '/key/generate', { key, body: {} }), 403, 'admin_only');
      expectError(await call(stack.url, '/key/delete', { key, body: { keys: [key] } }), 403, 'admin_only');
    });
  });

  describe('404 not found', () => {
    it('an unknown model', async () => expectError(await chat({ ...HELLO, model: 'gpt-5-ultra' }), 404, 'model_not_found', 'model'));
    it('an unknown model id', async () => expectError(await call(stack.url, '/v1/models/gpt-5-ultra'), 404, 'model_not_found', 'model'));
    it('an unknown route', async () => expectError(await call(stack.url, '/v1/embeddingz', { body: {} }), 404, 'not_found'));
    it('an unknown route without a key', async () => expectError(await call(stack.url, '/nothing/here', { key: null }), 404, 'not_found'));
    it('an unknown key in /key/info', async () => expectError(await call(stack.url, '/key/info?key=sk-nope'), 404, 'not_found', 'key'));
  });

  describe('413 body too large', () => {
    it('refuses a body over the default limit of 10 MB, and accepts 2 MB', async () => {
      const big = (size: number) => ({ ...HELLO, messages: [{ role: 'user', content: 'x'.repeat(size) }] });
      expectError(await chat(big(11 * 1024 * 1024)), 413, 'request_too_large');
      expect((await chat(big(2 * 1024 * 1024))).status).toBe(200);
    });
  });

  describe('415 wrong content type', () => {
    it.each(['text/plain', 'application/x-www-form-urlencoded'])('%s', async (type) => {
      const res = await chat(JSON.stringify(HELLO), { headers: { 'content-type': type } });
      expectError(res, 415, 'unsupported_media_type');
      expect(res.json.error.message).toContain('application/json');
    });
  });

  describe('429 rate limited', () => {
    it('refuses a client address after 10 wrong keys or passwords, even with the right one; others go on (behind a proxy: TRUST_PROXY)', async () => {
      // Its own client addresses: a locked-out address is refused on every route that takes the master key.
      const behindProxy = await stack.startGateway({ TRUST_PROXY: 'loopback' });
      const login = (password: string, from: string) =>
        call(behindProxy.url, '/ui/login', { key: null, body: { username: 'admin', password }, headers: { 'x-forwarded-for': from } });
      expect((await login(MASTER_KEY, '203.0.113.7')).status).toBe(200);
      for (let i = 0; i < 10; i++) expectError(await login(`sk-guess-${i}`, '203.0.113.7'), 401, 'invalid_api_key');
      const locked = await login(MASTER_KEY, '203.0.113.7');
      expectError(locked, 429, 'rate_limit_exceeded');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(250);
      expect(locked.text).not.toContain(MASTER_KEY);
      expect((await login(MASTER_KEY, '203.0.113.8')).status).toBe(200);
    });

    it('passes an upstream 429 on with its Retry-After when waiting it out would pass the deadline', async () => {
      fakes.ollama.failNext(1, 429, 'slow down', { 'retry-after': '2' });
      const res = await chat({ ...HELLO, model: 'ollama/throttled' });
      expectError(res, 429, 'rate_limit_exceeded');
      expect(res.json.error.message).toContain('slow down');
      expect(res.headers.get('retry-after')).toBe('2');
      expect(fakes.ollama.total).toBe(1);
    });

    it('queue_full with Retry-After when the provider queue holds MAX_QUEUE_DEPTH calls', async () => {
      const strict = await stack.startGateway({ MAX_QUEUE_DEPTH: '1' });
      fakes.ollama.delayMs = 1000;
      // Worker-ollama runs 4 calls at once; the fifth waits in the queue.
      const queued = Array.from({ length: 5 }, () => chat(HELLO));
      while (fakes.ollama.inFlight < 4) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      const refused = await call(strict.url, '/v1/chat/completions', { body: HELLO });
      expectError(refused, 429, 'queue_full');
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(fakes.ollama.total).toBe(4);
      expect((await Promise.all(queued)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await strict.app.close();
    });
  });

  describe('5xx upstream failures', () => {
    it('502 when the upstream keeps failing', async () => {
      fakes.ollama.failNext(10, 500);
      expectError(await chat(HELLO), 502, 'upstream_error');
    });

    it('502 when the upstream refuses connections, without its address (the worker log has it)', async () => {
      const res = await chat({ ...HELLO, model: 'ollama/offline' });
      expectError(res, 502, 'upstream_error');
      expect(res.json.error.message).toMatch(/^ollama upstream could not be reached \(request id [^)]+\)$/);
      expect(res.text).not.toContain('127.0.0.1');
    });

    it('503 when the upstream is unavailable', async () => {
      fakes.openai.failNext(10, 503);
      expectError(await chat({ ...HELLO, model: 'openai/gpt-4o-mini' }), 503, 'upstream_unavailable');
    });

    it('504 when the deployment timeout passes', async () => {
      fakes.ollama.delayMs = 3000;
      const started = Date.now();
      const res = await chat({ ...HELLO, model: 'ollama/impatient' });
      expectError(res, 504, 'timeout');
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});
