import {
  type AppProcess,
  MASTER_KEY,
  type Stack,
  call,
  eventually,
  fakeEnv,
  generateKey,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const CHAT = { model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hi' }] };
// The bound for a change to reach every replica; notices usually take milliseconds.
const WITHIN_MS = 1000;

/**
 * Two gateway processes on one database and one Redis prefix: this test process's (with both
 * workers) and a child process. A change made through one is in force on the other within a second.
 */
describe('two gateway processes', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let other: AppProcess;

  beforeAll(async () => {
    fakes = await startFakes();
    const env = { ...fakeEnv(fakes.openai), STORE_MODEL_IN_DB: 'true', SALT_KEY: 'sk-replica-salt' };
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env });
    other = await startAppProcess('gateway', { ...stack.env, LOG_LEVEL: 'verbose', DISABLE_SCHEMA_UPDATE: 'true' });
  }, 60_000);
  afterAll(async () => {
    await other?.stop();
    await stack?.close();
    await fakes?.stop();
  });

  /** Makes a change on `stack` and returns how long until `other` shows `accepted`. */
  async function propagation(change: () => Promise<unknown>, probe: () => Promise<{ status: number }>, accepted: (status: number) => boolean) {
    await change();
    const started = Date.now();
    const last = await eventually(probe, (r) => accepted(r.status), WITHIN_MS + 500, 25);
    return { status: last.status, ms: Date.now() - started };
  }

  it('refuses a deleted, blocked or narrowed key on the other gateway within a second', async () => {
    const deleted = await generateKey(stack.url, { key_alias: 'r-delete' });
    const blocked = await generateKey(stack.url, { key_alias: 'r-block' });
    const narrowed = await generateKey(stack.url, { key_alias: 'r-narrow' });
    for (const { key } of [deleted, blocked, narrowed]) expect((await call(other.url, '/v1/chat/completions', { body: CHAT, key })).status).toBe(200);

    const results = [
      await propagation(
        () => call(stack.url, '/key/delete', { body: { keys: [deleted.key] } }),
        () => call(other.url, '/v1/chat/completions', { body: CHAT, key: deleted.key }),
        (s) => s === 401,
      ),
      await propagation(
        () => call(stack.url, '/key/block', { body: { key: blocked.key } }),
        () => call(other.url, '/v1/chat/completions', { body: CHAT, key: blocked.key }),
        (s) => s === 401,
      ),
      await propagation(
        () => call(stack.url, '/key/update', { body: { key: narrowed.key, models: ['openai/gpt-4o-mini'] } }),
        () => call(other.url, '/v1/chat/completions', { body: CHAT, key: narrowed.key }),
        (s) => s === 403,
      ),
    ];
    expect(results.map((r) => r.status)).toEqual([401, 401, 403]);
    for (const r of results) expect(r.ms).toBeLessThan(WITHIN_MS);
  });

  it('serves a model added on one gateway from the other at once, and forgets it when deleted', async () => {
    const probe = () => call(other.url, '/v1/chat/completions', { body: { ...CHAT, model: 'shared/llama' } });
    expect((await probe()).status).toBe(404);
    let id = '';
    const added = await propagation(
      async () => {
        const res = await call(stack.url, '/model/new', {
          body: { model_name: 'shared/llama', litellm_params: { model: 'ollama/llama3.2', api_base: fakes.ollama.origin } },
        });
        id = res.json.model_info.id;
      },
      probe,
      (s) => s === 200,
    );
    expect(added).toMatchObject({ status: 200 });
    expect(added.ms).toBeLessThan(WITHIN_MS);
    const infoHere = (await call(stack.url, '/model/info')).json.data;
    const infoThere = (await call(other.url, '/model/info')).json.data;
    expect(infoThere).toEqual(infoHere);

    const removed = await propagation(
      () => call(stack.url, '/model/delete', { body: { id } }),
      probe,
      (s) => s === 404,
    );
    expect(removed.status).toBe(404);
    expect(removed.ms).toBeLessThan(WITHIN_MS);
  });

  it('never writes key material to its log, even at the most verbose level', async () => {
    const { key } = await generateKey(other.url, { key_alias: 'log-check' });
    await call(other.url, '/v1/chat/completions', { body: CHAT, key });
    await call(other.url, '/v1/chat/completions', { body: CHAT, key: `${key}-wrong` });
    await call(other.url, '/key/info', { key: 'sk-not-a-key-at-all' });
    const log = other.child.output();
    expect(log).toContain('Mapped {/key/generate, POST}');
    for (const secret of [key, MASTER_KEY, 'sk-not-a-key-at-all', fakeEnv(fakes.openai).OPENAI_API_KEY, 'sk-replica-salt']) expect(log).not.toContain(secret);
  });
});
