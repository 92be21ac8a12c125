import { Client } from 'pg';
import { type Stack, call, fakeEnv, generateKey, redisDump, sdk, startFakes, startStack, tutorialConfig } from '@test/support';

const SECRET = 'sk-stored-upstream-secret-4242';
const ROTATED = 'sk-rotated-upstream-secret-5353';

describe('models stored in the database (STORE_MODEL_IN_DB=true)', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  const post = (path: string, body: unknown) => call(stack.url, path, { body });
  const chat = (model: string, key?: string) => sdk(stack.url, key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  const storedRow = async (id: string) => {
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      return (await db.query('SELECT * FROM model_deployments WHERE id = $1', [id])).rows[0];
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({
      config: tutorialConfig(fakes.ollama),
      env: { ...fakeEnv(fakes.openai), STORE_MODEL_IN_DB: 'True', SALT_KEY: 'sk-salt-for-tests' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
    fakes.openai.delayMs = 0;
  });

  it('serves a model added through the API at once, with its key encrypted at rest and never shown', async () => {
    const added = await post('/model/new', {
      model_name: 'team/gpt',
      litellm_params: { model: 'openai/gpt-4o-mini', api_base: fakes.openai.url, api_key: SECRET, rpm: 100 },
      model_info: { input_cost_per_token: 0.000001 },
    });
    expect(added.status).toBe(200);
    expect(added.text).not.toContain(SECRET);
    expect(added.json).toEqual({
      model_name: 'team/gpt',
      litellm_params: { model: 'openai/gpt-4o-mini', api_base: fakes.openai.url, rpm: 100 },
      model_info: { id: expect.any(String), db_model: true, provider: 'openai', upstream_model: 'gpt-4o-mini', input_cost_per_token: 0.000001 },
    });

    const answer = await chat('team/gpt');
    expect(answer.model).toBe('team/gpt');
    expect(answer.choices[0].message.content).toBe('echo: hi');
    expect(fakes.openai.received[0].headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(fakes.openai.received[0].body).toMatchObject({ model: 'gpt-4o-mini' });

    const row = await storedRow(added.json.model_info.id);
    expect(row.litellm_params.api_key).toMatch(/^sy-enc:v1:/);
    expect(JSON.stringify(row)).not.toContain(SECRET);

    for (const path of ['/model/info', '/v1/model/info']) {
      const info = await call(stack.url, path);
      expect(info.text).not.toContain(SECRET);
      expect(info.text).not.toContain('sy-enc:');
      const names = info.json.data.map((m: { model_name: string; model_info: { db_model: boolean } }) => `${m.model_name}:${m.model_info.db_model}`);
      expect(names).toEqual(expect.arrayContaining(['openai/gpt-4o-mini:false', 'ollama/gpt-oss:20b:false', 'team/gpt:true']));
    }
    const models = await call(stack.url, '/v1/models');
    expect(models.json.data.map((m: { id: string }) => m.id)).toContain('team/gpt');
  });

  it('puts only the sealed key on the queue, never the plaintext', async () => {
    fakes.openai.delayMs = 600;
    const pending = chat('team/gpt');
    await new Promise((r) => setTimeout(r, 250));
    const dump = await redisDump(stack.prefix);
    await pending;
    expect(dump).toContain('sy-enc:v1:');
    expect(dump).not.toContain(SECRET);
  });

  it('applies an update at once; fields not sent stay as they were', async () => {
    const { json: added } = await post('/model/new', {
      model_name: 'team/rotating',
      litellm_params: { model: 'gpt-4o-mini', api_base: fakes.openai.url, api_key: SECRET },
    });
    const id = added.model_info.id;
    const updated = await post('/model/update', { model_info: { id }, litellm_params: { api_key: ROTATED } });
    expect(updated.status).toBe(200);
    expect(updated.json.litellm_params).toEqual({ model: 'gpt-4o-mini', api_base: fakes.openai.url });
    await chat('team/rotating');
    expect(fakes.openai.received.at(-1)!.headers.authorization).toBe(`Bearer ${ROTATED}`);

    const renamed = await post('/model/update', { id, model_name: 'team/renamed' });
    expect(renamed.json.model_name).toBe('team/renamed');
    expect(await chat('team/rotating').catch((e) => e.status)).toBe(404);
    expect((await chat('team/renamed')).choices[0].message.content).toBe('echo: hi');
    expect(fakes.openai.received.at(-1)!.headers.authorization).toBe(`Bearer ${ROTATED}`);
  });

  it('serves a stored Ollama model through worker-ollama, and a key limited to it', async () => {
    const added = await post('/model/new', {
      model_name: 'local/llama',
      litellm_params: { model: 'ollama_chat/llama3.2', api_base: fakes.ollama.origin },
      model_info: { id: 'llama-local' },
    });
    expect(added.json.model_info).toMatchObject({ id: 'llama-local', provider: 'ollama' });
    const { key } = await generateKey(stack.url, { models: ['local/llama'] });
    expect((await chat('local/llama', key)).choices[0].message.content).toBe('echo: hi');
    expect(fakes.ollama.received[0]).toMatchObject({ path: '/api/chat', body: { model: 'llama3.2', stream: false } });
    expect(await chat('openai/gpt-4o-mini', key).catch((e) => e.status)).toBe(403);
  });

  it('deletes a stored model, after which it is unknown', async () => {
    const { json: added } = await post('/model/new', {
      model_name: 'team/short-lived',
      litellm_params: { model: 'ollama/llama3.2', api_base: fakes.ollama.origin },
    });
    expect((await chat('team/short-lived')).choices).toHaveLength(1);
    const deleted = await post('/model/delete', { id: added.model_info.id });
    expect(deleted.status).toBe(200);
    const gone = await call(stack.url, '/v1/chat/completions', { body: { model: 'team/short-lived', messages: [{ role: 'user', content: 'hi' }] } });
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('model_not_found');
    expect((await call(stack.url, '/model/info')).text).not.toContain('team/short-lived');
    expect(await storedRow(added.model_info.id)).toBeUndefined();
  });

  it('refuses to change config.yaml models, unknown ids and invalid entries, storing nothing', async () => {
    const configId = (await call(stack.url, '/model/info')).json.data.find((m: { model_name: string }) => m.model_name === 'openai/gpt-4o-mini').model_info.id;
    const cases: Array<[string, unknown, number, string]> = [
      ['/model/delete', { id: configId }, 400, 'config.yaml'],
      ['/model/update', { model_info: { id: configId }, litellm_params: { rpm: 1 } }, 400, 'config.yaml'],
      ['/model/delete', { id: 'no-such-model' }, 404, 'not found'],
      ['/model/new', { model_name: 'x', litellm_params: { model: 'anthropic/claude-3' } }, 400, 'provider "anthropic" is not supported'],
      ['/model/new', { model_name: 'x', litellm_params: { model: 'ollama/x', api_base: 'not a url' } }, 400, 'litellm_params.api_base'],
      ['/model/new', { model_name: 'x', litellm_params: { model: 'hosted_vllm/x' } }, 400, 'required for hosted_vllm/'],
      ['/model/new', { model_name: 'x', litellm_params: { model: 'ollama/x' }, model_info: { id: configId } }, 400, 'already exists'],
      ['/model/new', { model_name: '', litellm_params: { model: 'ollama/x' } }, 400, 'model_name'],
      ['/model/new', { model_name: 'x' }, 400, 'litellm_params'],
    ];
    const before = (await call(stack.url, '/model/info')).json.data.length;
    for (const [path, body, status, message] of cases) {
      const res = await post(path, body);
      expect({ path, status: res.status, message: res.json.error.message }).toEqual({ path, status, message: expect.stringContaining(message) });
    }
    const invalid = await post('/model/new', { model_name: 'x', litellm_params: { model: 'anthropic/claude-3' } });
    expect(invalid.json.error.param).toBe('litellm_params.model');
    expect((await call(stack.url, '/model/info')).json.data.length).toBe(before);
  });

  it('refuses changes when STORE_MODEL_IN_DB is off, naming the setting', async () => {
    const gateway = await stack.startGateway({ STORE_MODEL_IN_DB: 'false' });
    const res = await call(gateway.url, '/model/new', { body: { model_name: 'x', litellm_params: { model: 'ollama/x' } } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('STORE_MODEL_IN_DB=true');
    const info = await call(gateway.url, '/model/info');
    expect(info.json.data.every((m: { model_info: { db_model: boolean } }) => !m.model_info.db_model)).toBe(true);
  });
});
