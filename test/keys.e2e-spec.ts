import OpenAI from 'openai';
import { HELLO, type Stack, call, eventually, fakeEnv, generateKey, sdk, sleep, startFakes, startStack, tutorialConfig } from '@test/support';

const OLLAMA = 'ollama/gpt-oss:20b';
const OPENAI = 'openai/gpt-4o-mini';

describe('key management (LiteLLM /key/* API)', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  const post = (path: string, body: unknown, key?: string) => call(stack.url, path, { body, key });
  const ask = (key: string, model = OLLAMA) => sdk(stack.url, key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });

  it('generates a key with every LiteLLM setting and reports them back, without the plaintext', async () => {
    const created = await generateKey(stack.url, {
      key_alias: 'full',
      models: [OLLAMA],
      duration: '30d',
      max_budget: 12.5,
      budget_duration: '1mo',
      rpm_limit: 60,
      tpm_limit: 10000,
      max_parallel_requests: 4,
      metadata: { team: 'search' },
    });
    expect(created).toMatchObject({
      key: expect.stringMatching(/^sk-/),
      token: expect.stringMatching(/^[0-9a-f]{64}$/),
      key_name: `sk-...${created.key.slice(-4)}`,
      key_alias: 'full',
      models: [OLLAMA],
      max_budget: 12.5,
      budget_duration: '1mo',
      rpm_limit: 60,
      tpm_limit: 10000,
      max_parallel_requests: 4,
      metadata: { team: 'search' },
      spend: 0,
      blocked: false,
    });
    const days = (Date.parse(created.expires as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect(Date.parse(created.budget_reset_at as string)).toBeGreaterThan(Date.now() + 27 * 86_400_000);

    const info = await call(stack.url, `/key/info?key=${created.token}`);
    expect(info.json.info).toMatchObject({ key_alias: 'full', max_budget: 12.5, rpm_limit: 60 });
    expect(info.text).not.toContain(created.key);
  });

  it('accepts a custom key, and refuses a taken key or alias without changing anything', async () => {
    const custom = 'sk-my-own-key-0001';
    const created = await generateKey(stack.url, { key: custom, key_alias: 'custom' });
    expect(created.key).toBe(custom);
    expect((await ask(custom)).choices[0].message.content).toBe('echo: hi');

    const again = await post('/key/generate', { key: custom });
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({ param: 'key', code: 'invalid_request' });
    const alias = await post('/key/generate', { key_alias: 'custom' });
    expect(alias.status).toBe(400);
    expect(alias.json.error.param).toBe('key_alias');
    expect(alias.json.error.message).toContain('custom');
    const listed = await call(stack.url, '/key/list?key_alias=custom');
    expect(listed.json.total_count).toBe(1);

    const bad = await post('/key/generate', { key: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('key');
  });

  it.each([
    [{ models: ['nope/model'] }, 'models'],
    [{ duration: 'forever' }, 'duration'],
    [{ max_budget: -1 }, 'max_budget'],
    [{ rpm_limit: 0 }, 'rpm_limit'],
    [{ tpm_limit: 1.5 }, 'tpm_limit'],
    [{ budget_duration: '3x' }, 'budget_duration'],
    [{ metadata: 'x' }, 'metadata'],
  ])('refuses %j with a 400 naming the field', async (body, param) => {
    const before = await call(stack.url, '/key/list');
    const res = await post('/key/generate', body);
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe(param);
    expect((await call(stack.url, '/key/list')).json.total_count).toBe(before.json.total_count);
  });

  it('updates only the fields sent, and a narrowed model list applies at once', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'upd', models: [OLLAMA, OPENAI], max_budget: 5, metadata: { a: 1 } });
    expect((await ask(key, OPENAI)).choices).toHaveLength(1);

    const updated = await post('/key/update', { key, models: [OLLAMA], rpm_limit: 10 });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ token, key_alias: 'upd', models: [OLLAMA], max_budget: 5, rpm_limit: 10, metadata: { a: 1 } });
    const refused = await ask(key, OPENAI).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused.message).toContain(OLLAMA);

    const cleared = await post('/key/update', { key: token, max_budget: null });
    expect(cleared.json).toMatchObject({ max_budget: null, models: [OLLAMA], rpm_limit: 10 });
    const unknown = await post('/key/update', { key: 'sk-does-not-exist', max_budget: 1 });
    expect(unknown.status).toBe(404);
  });

  it('lists keys newest first, page by page, filtered by alias', async () => {
    const created = [];
    for (const n of [1, 2, 3]) created.push(await generateKey(stack.url, { key_alias: `page-${n}` }));
    const total = (await call(stack.url, '/key/list')).json.total_count;

    const first = await call(stack.url, '/key/list?page=1&size=2');
    expect(first.json).toMatchObject({ current_page: 1, total_count: total, total_pages: Math.ceil(total / 2) });
    expect(first.json.keys).toEqual([created[2].token, created[1].token]);
    const second = await call(stack.url, '/key/list?page=2&size=2&return_full_object=true');
    expect(second.json.keys[0]).toMatchObject({ token: created[0].token, key_alias: 'page-1', key_name: created[0].key_name });
    expect(second.text).not.toContain(created[0].key);

    const byAlias = await call(stack.url, '/key/list?key_alias=page-2&return_full_object=true');
    expect(byAlias.json.keys.map((k: { token: string }) => k.token)).toEqual([created[1].token]);
    expect((await call(stack.url, '/key/list?size=500')).json.error.param).toBe('size');
  });

  it('deletes by key or alias, all or nothing', async () => {
    const a = await generateKey(stack.url, { key_alias: 'del-a' });
    const b = await generateKey(stack.url, { key_alias: 'del-b' });
    const partial = await post('/key/delete', { keys: [a.key], key_aliases: ['del-b', 'no-such-alias'] });
    expect(partial.status).toBe(404);
    expect(partial.json.error.message).toContain('no-such-alias');
    expect(partial.text).not.toContain(a.key);
    expect((await ask(a.key)).choices).toHaveLength(1);

    const done = await post('/key/delete', { key_aliases: ['del-a', 'del-b'] });
    expect(done.json).toEqual({ deleted_keys: ['del-a', 'del-b'] });
    for (const key of [a.key, b.key]) expect(await ask(key).catch((e) => e.status)).toBe(401);
  });

  it('blocks and unblocks a key', async () => {
    const { key } = await generateKey(stack.url, { key_alias: 'blockme' });
    expect((await post('/key/block', { key })).json).toMatchObject({ key_alias: 'blockme', blocked: true });
    const blocked = await call(stack.url, '/v1/chat/completions', { body: HELLO, key });
    expect(blocked.status).toBe(401);
    expect(blocked.json.error.code).toBe('blocked_api_key');
    expect((await post('/key/unblock', { key })).json.blocked).toBe(false);
    expect((await ask(key)).choices).toHaveLength(1);

    const created = await generateKey(stack.url, { blocked: true });
    expect((await call(stack.url, '/v1/models', { key: created.key })).status).toBe(401);
  });

  it('regenerates a key: new secret, same settings, the old one refused at once', async () => {
    const old = await generateKey(stack.url, { key_alias: 'regen', models: [OLLAMA], max_budget: 3 });
    const renewed = await post('/key/regenerate', { key: old.key });
    expect(renewed.status).toBe(200);
    expect(renewed.json).toMatchObject({ key_alias: 'regen', models: [OLLAMA], max_budget: 3 });
    expect(renewed.json.key).not.toBe(old.key);
    expect(renewed.json.token).not.toBe(old.token);
    expect(await ask(old.key).catch((e) => e.status)).toBe(401);
    expect((await ask(renewed.json.key)).choices).toHaveLength(1);

    const byPath = await call(stack.url, `/key/${renewed.json.token}/regenerate`, { method: 'POST' });
    expect(byPath.status).toBe(200);
    expect(await ask(renewed.json.key).catch((e) => e.status)).toBe(401);
    expect((await ask(byPath.json.key)).choices).toHaveLength(1);
  });

  it('refuses a key whose budget is spent with 429 budget_exceeded, and tells clients not to retry', async () => {
    // gpt-4o-mini at list price: with max_tokens 1 this call reserves $0.00000075, within the budget; the
    // fake ignores max_tokens, so it costs $0.00000135, more than the budget.
    const { key, token } = await generateKey(stack.url, { key_alias: 'broke', max_budget: 0.000001 });
    const first = await sdk(stack.url, key).chat.completions.create({ model: OPENAI, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
    expect(first.choices).toHaveLength(1);
    fakes.openai.reset();

    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: OPENAI }, key });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(res.json.error).toMatchObject({ code: 'budget_exceeded', type: 'budget_exceeded' });
    expect(res.json.error.message).toContain('budget');

    // The official SDK honours x-should-retry: one attempt, even with retries on.
    let attempts = 0;
    const counted = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 2, fetch: (url, init) => (attempts++, fetch(url, init)) });
    expect(await counted.chat.completions.create({ model: OLLAMA, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e.status)).toBe(429);
    expect(attempts).toBe(1);
    expect(fakes.openai.total).toBe(0);

    const spent = await eventually(
      () => call(stack.url, `/key/info?key=${token}`),
      (r) => r.json.info.spend > 0.000001,
      3000,
    );
    expect(spent.json.info.spend).toBeCloseTo(0.15e-6 * 1 + 0.6e-6 * 2, 12);

    const raised = await post('/key/update', { key, max_budget: 10 });
    expect(raised.status).toBe(200);
    expect((await ask(key)).choices).toHaveLength(1);
  });

  it('stops a key after its duration', async () => {
    const { key } = await generateKey(stack.url, { duration: '1s' });
    expect((await call(stack.url, '/v1/models', { key })).status).toBe(200);
    await sleep(1200);
    const expired = await call(stack.url, '/v1/models', { key });
    expect(expired.status).toBe(401);
    expect(expired.json.error.code).toBe('expired_api_key');
  });

  it('answers 403 to a virtual key on every admin route, revealing nothing', async () => {
    const { key } = await generateKey(stack.url, {});
    const other = await generateKey(stack.url, { key_alias: 'victim' });
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/key/generate', {}],
      ['POST', '/key/update', { key: other.key, max_budget: 0 }],
      ['GET', '/key/list'],
      ['POST', '/key/delete', { keys: [other.key] }],
      ['POST', '/key/block', { key: other.key }],
      ['POST', '/key/unblock', { key: other.key }],
      ['POST', '/key/regenerate', { key: other.key }],
      ['POST', `/key/${other.token}/regenerate`, {}],
      ['GET', `/key/info?key=${other.token}`],
      ['POST', '/model/new', { model_name: 'x', litellm_params: { model: 'ollama/x' } }],
      ['POST', '/model/update', { model_info: { id: 'x' } }],
      ['POST', '/model/delete', { id: 'x' }],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(stack.url, path, { method, body, key });
      expect({ path, status: res.status, code: res.json.error.code }).toEqual({ path, status: 403, code: 'admin_only' });
      expect(res.text).not.toContain('victim');
    }
    expect((await ask(other.key)).choices).toHaveLength(1);
    const own = await call(stack.url, '/key/info', { key });
    expect(own.status).toBe(200);
  });
});
