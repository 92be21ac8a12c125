import { Client } from 'pg';
import type { Browser } from 'playwright-core';
import {
  type AppProcess,
  MASTER_KEY,
  type Stack,
  UPSTREAM_OPENAI_KEY,
  call,
  fakeEnv,
  freePort,
  generateKey,
  launchChromium,
  redisDump,
  sdk,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

// Credentials an operator wrote into config.yaml or sent to /model/new: none may reach an answer or a log line.
const URL_USER = 'proxy-user-7f3a';
const URL_PASSWORD = 'url-password-7f3a';
const URL_QUERY_KEY = 'url-query-key-7f3a';
const OPENAI_HEADER = 'team-header-openai-7f3a';
const ENV_HEADER = 'team-header-from-env-7f3a';
const OLLAMA_HEADER = 'ollama-header-secret-7f3a';
const STORED_KEY = 'sk-stored-key-7f3a';
const STORED_HEADER = 'stored-header-secret-7f3a';
const CREDENTIALS = [URL_USER, URL_PASSWORD, URL_QUERY_KEY, OPENAI_HEADER, ENV_HEADER, OLLAMA_HEADER, STORED_KEY, STORED_HEADER, UPSTREAM_OPENAI_KEY];

/** `http://user:password@127.0.0.1:port/v1?api-key=…` for a server at `origin`. */
const withCredentials = (origin: string, path = '/v1') => `${origin.replace('http://', `http://${URL_USER}:${URL_PASSWORD}@`)}${path}?api-key=${URL_QUERY_KEY}`;
const masked = (origin: string, path = '/v1') => `${origin.replace('http://', 'http://****@')}${path}?api-key=****`;

function config(fakes: Awaited<ReturnType<typeof startFakes>>, closedPort: number): string {
  return tutorialConfig(
    fakes.ollama,
    `  - model_name: leaky
    litellm_params:
      model: ollama/llama3.2
      api_base: "${fakes.ollama.origin}"
      foo: os.environ/DATABASE_URL
    model_info:
      note: os.environ/LITELLM_MASTER_KEY
  - model_name: guarded/openai
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "${withCredentials(fakes.openai.origin)}"
      api_key: os.environ/OPENAI_API_KEY
      num_retries: 0
      extra_headers: {X-Team-Secret: ${OPENAI_HEADER}, X-Env-Header: os.environ/TEAM_HEADER}
  - model_name: guarded/ollama
    litellm_params:
      model: ollama/llama3.2
      api_base: "${fakes.ollama.origin}"
      headers: {Authorization: "Bearer ${OLLAMA_HEADER}"}
  - model_name: unreachable
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: "${withCredentials(`http://127.0.0.1:${closedPort}`)}"
      num_retries: 0
`,
  );
}

function expectNoneOf(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('no value from the environment and no credential reaches a key', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let key: string;
  /** Values of this process's environment that config.yaml names: the master key and the database URL. */
  let environment: string[];

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({
      config: config(fakes, await freePort()),
      env: {
        ...fakeEnv(fakes.openai),
        LITELLM_MASTER_KEY: MASTER_KEY,
        TEAM_HEADER: ENV_HEADER,
        STORE_MODEL_IN_DB: 'true',
        SALT_KEY: 'sk-salt-for-secrets-test',
      },
    });
    environment = [MASTER_KEY, stack.databaseUrl];
    ({ key } = await generateKey(stack.url));
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('os.environ/ outside the fields that take secrets stays text: no key, not even the master key, reads the master key or DATABASE_URL', async () => {
    for (const asKey of [key, MASTER_KEY]) {
      for (const path of ['/model/info', '/v1/model/info', '/model/info?litellm_model_id=']) {
        const info = await call(stack.url, path, { key: asKey });
        expect(info.status).toBe(200);
        expectNoneOf(info.text, [...environment, ...CREDENTIALS]);
      }
      const leaky = (await call(stack.url, '/model/info', { key: asKey })).json.data.find((m: { model_name: string }) => m.model_name === 'leaky');
      expect(leaky.model_info.note).toBe('os.environ/LITELLM_MASTER_KEY');
    }
    const leaky = (await call(stack.url, '/model/info')).json.data.find((m: { model_name: string }) => m.model_name === 'leaky');
    expect(leaky.litellm_params.foo).toBe('os.environ/DATABASE_URL');
  });

  it('a virtual key sees model names, ids and non-secret model_info, never a deployment setting', async () => {
    const info = await call(stack.url, '/model/info', { key });
    const names = info.json.data.map((m: { model_name: string }) => m.model_name);
    expect(names).toEqual(expect.arrayContaining(['openai/gpt-4o-mini', 'leaky', 'guarded/openai', 'guarded/ollama']));
    for (const entry of info.json.data) {
      expect(Object.keys(entry).sort()).toEqual(['litellm_params', 'model_info', 'model_name']);
      expect(Object.keys(entry.litellm_params)).toEqual(['model']);
      expect(entry.model_info.id).toEqual(expect.any(String));
    }
    expect(info.text).not.toContain('api_base');
    expect(info.text).not.toContain(fakes.ollama.origin);
    expect(info.text).not.toContain('headers');
  });

  it('the master key and the admin UI see api_base and header values masked, references as written', async () => {
    const info = await call(stack.url, '/model/info');
    expectNoneOf(info.text, [...environment, ...CREDENTIALS]);
    const guarded = info.json.data.find((m: { model_name: string }) => m.model_name === 'guarded/openai');
    expect(guarded.litellm_params).toMatchObject({
      api_base: masked(fakes.openai.origin),
      extra_headers: { 'X-Team-Secret': '****', 'X-Env-Header': 'os.environ/TEAM_HEADER' },
    });
    expect(guarded.litellm_params.api_key).toBeUndefined();
    expect(info.json.data.find((m: { model_name: string }) => m.model_name === 'guarded/ollama').litellm_params.headers).toEqual({ Authorization: '****' });

    const browser: Browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${stack.url}/ui`);
      await page.getByLabel(/^Password/).fill(MASTER_KEY);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Virtual Keys' }).waitFor();
      await page.getByRole('link', { name: 'Models' }).click();
      const row = page.locator('#models-table tbody tr', { hasText: 'guarded/openai' });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain(masked(fakes.openai.origin));
      expectNoneOf(await page.content(), [...environment, ...CREDENTIALS]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('extra_headers and credentials in api_base reach the upstream on both wires, streamed or not, and never an answer', async () => {
    const ask = (model: string, stream: boolean) =>
      call(stack.url, '/v1/chat/completions', { key, body: { model, stream, messages: [{ role: 'user', content: 'hi' }] } });
    for (const stream of [false, true]) {
      const openai = await ask('guarded/openai', stream);
      const ollama = await ask('guarded/ollama', stream);
      expect([openai.status, ollama.status]).toEqual([200, 200]);
      expect(openai.text).toContain('echo:');
      expect(ollama.text).toContain('echo:');
      expectNoneOf(openai.text + ollama.text, [...environment, ...CREDENTIALS]);
    }
    expect(fakes.openai.received).toHaveLength(2);
    for (const received of fakes.openai.received) {
      expect(received.url).toBe(`/v1/chat/completions?api-key=${URL_QUERY_KEY}`);
      expect(received.headers).toMatchObject({ 'x-team-secret': OPENAI_HEADER, 'x-env-header': ENV_HEADER, authorization: `Bearer ${UPSTREAM_OPENAI_KEY}` });
    }
    expect(fakes.ollama.received.map((r) => r.headers.authorization)).toEqual([`Bearer ${OLLAMA_HEADER}`, `Bearer ${OLLAMA_HEADER}`]);
  });

  it('an upstream that quotes the URL or a header has it masked in the error the client gets', async () => {
    fakes.openai.failNext(1, 400, `no deployment at ${withCredentials(fakes.openai.origin)} for team ${OPENAI_HEADER}`);
    const res = await call(stack.url, '/v1/chat/completions', { key, body: { model: 'guarded/openai', messages: [{ role: 'user', content: 'hi' }] } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain(`no deployment at ${masked(fakes.openai.origin)}`);
    expectNoneOf(res.text, CREDENTIALS);
  });

  it('a stored model keeps its api_base credentials and header values sealed in Postgres and Redis, sends them, and shows them masked', async () => {
    const added = await call(stack.url, '/model/new', {
      body: {
        model_name: 'stored/guarded',
        litellm_params: {
          model: 'openai/gpt-4o-mini',
          api_base: withCredentials(fakes.openai.origin),
          api_key: STORED_KEY,
          extra_headers: { 'X-Stored-Secret': STORED_HEADER },
        },
        model_info: { id: 'stored-guarded' },
      },
    });
    expect(added.status).toBe(200);
    expect(added.json.litellm_params).toMatchObject({ api_base: masked(fakes.openai.origin), extra_headers: { 'X-Stored-Secret': '****' } });
    expectNoneOf(added.text, CREDENTIALS);

    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT litellm_params FROM model_deployments WHERE id = $1', ['stored-guarded']).finally(() => db.end());
    expect(rows[0].litellm_params.api_base).toMatch(/^sy-enc:v1:/);
    expect(rows[0].litellm_params.extra_headers['X-Stored-Secret']).toMatch(/^sy-enc:v1:/);
    expectNoneOf(JSON.stringify(rows), CREDENTIALS);

    fakes.openai.delayMs = 600;
    const pending = sdk(stack.url, key).chat.completions.create({ model: 'stored/guarded', messages: [{ role: 'user', content: 'hi' }] });
    await new Promise((r) => setTimeout(r, 250));
    const dump = await redisDump(stack.prefix);
    const answer = await pending;
    expect(dump).toContain('sy-enc:v1:');
    expectNoneOf(dump, CREDENTIALS);
    expect(answer.choices[0].message.content).toBe('echo: hi');
    expect(fakes.openai.received[0].url).toBe(`/v1/chat/completions?api-key=${URL_QUERY_KEY}`);
    expect(fakes.openai.received[0].headers).toMatchObject({ 'x-stored-secret': STORED_HEADER, authorization: `Bearer ${STORED_KEY}` });

    const forKey = await call(stack.url, '/model/info?litellm_model_id=stored-guarded', { key });
    expect(forKey.json.data).toEqual([
      { model_name: 'stored/guarded', litellm_params: { model: 'openai/gpt-4o-mini' }, model_info: expect.objectContaining({ id: 'stored-guarded' }) },
    ]);
    const forAdmin = await call(stack.url, '/model/info?litellm_model_id=stored-guarded');
    expect(forAdmin.json.data[0].litellm_params.api_base).toBe(masked(fakes.openai.origin));
    expectNoneOf(forKey.text + forAdmin.text, CREDENTIALS);
  });
});

/**
 * Real processes at LOG_LEVEL=verbose with JSON logs, so that every line they write can be read back.
 */
describe('no value from the environment and no credential reaches a key: errors and log lines', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let gateway: AppProcess;
  let worker: AppProcess;
  let closedPort: number;

  beforeAll(async () => {
    fakes = await startFakes();
    closedPort = await freePort();
    // The in-process gateway gives the database its schema; the calls go to the child processes.
    stack = await startStack({
      config: config(fakes, closedPort),
      env: { ...fakeEnv(fakes.openai), LITELLM_MASTER_KEY: MASTER_KEY, TEAM_HEADER: ENV_HEADER },
      workers: [],
    });
    const logEnv = { LOG_LEVEL: 'verbose', LOG_FORMAT: 'json', DISABLE_SCHEMA_UPDATE: 'true' };
    [gateway, worker] = await Promise.all([
      startAppProcess('gateway', { ...stack.env, ...logEnv }),
      startAppProcess('worker-openai', { ...stack.env, ...logEnv }),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await stack?.close();
    await fakes?.stop();
  });

  it('a connection error names neither the address nor its credentials, and no log line holds a credential or a value of the environment', async () => {
    const { key } = await generateKey(gateway.url);
    const ask = (model: string) => call(gateway.url, '/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content: 'hi' }] } });

    const unreachable = await ask('unreachable');
    expect(unreachable.status).toBe(502);
    expect(unreachable.json.error.message).toContain('upstream could not be reached');
    expectNoneOf(unreachable.text, [...CREDENTIALS, String(closedPort)]);

    fakes.openai.failNext(1, 500, `upstream broke calling ${withCredentials(fakes.openai.origin)} with ${OPENAI_HEADER}`);
    const broken = await ask('guarded/openai');
    expect(broken.status).toBe(502);
    expect(broken.json.error.message).toContain(masked(fakes.openai.origin));
    expectNoneOf(broken.text, CREDENTIALS);
    expect((await ask('guarded/openai')).status).toBe(200);
    expect(fakes.openai.received.at(-1)!.headers['x-env-header']).toBe(ENV_HEADER);

    const logs = gateway.child.output() + worker.child.output();
    expect(logs).toContain('"level"');
    // The address is for the operator: in the worker's log, with host and port only.
    expect(worker.child.output()).toContain(`127.0.0.1:${closedPort}`);
    expectNoneOf(logs, [...CREDENTIALS, MASTER_KEY, stack.databaseUrl]);
  });
});
