import OpenAI from 'openai';
import { Client } from 'pg';
import {
  RESPONSE_DELETED_SHAPE,
  RESPONSE_INPUT_ITEMS_SHAPE,
  RESPONSE_SHAPE,
  type Stack,
  call,
  expectShape,
  fakeEnv,
  generateKey,
  sdk,
  sleep,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';
import { ResponseStore } from '../apps/gateway/src/responses/response-store.service';

const MODEL = 'ollama/gpt-oss:20b';

describe('stored responses: store, GET, DELETE, input items, isolation between keys, retention', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let db: Client;

  const rows = async (where = 'TRUE', params: unknown[] = []) =>
    Number((await db.query(`SELECT count(*) AS n FROM stored_responses WHERE ${where}`, params)).rows[0].n);

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai), workers: ['ollama'] });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.close();
    await fakes?.stop();
  });

  it('keeps a response by default: GET answers it as it was answered, DELETE removes it, both 404 afterwards', async () => {
    const client = sdk(stack.url);
    const created = await client.responses.create({ model: MODEL, input: 'keep me', metadata: { ticket: 'T-1' } });
    const got = await call(stack.url, `/v1/responses/${created.id}`);
    expect(got.status).toBe(200);
    expectShape(RESPONSE_SHAPE, got.json);
    expect(got.json).toEqual(JSON.parse(JSON.stringify(created)));
    expect(await client.responses.retrieve(created.id)).toMatchObject({ id: created.id, output_text: 'echo: keep me', metadata: { ticket: 'T-1' } });

    const deleted = await call(stack.url, `/responses/${created.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expectShape(RESPONSE_DELETED_SHAPE, deleted.json);
    expect(deleted.json).toEqual({ id: created.id, object: 'response', deleted: true });
    expect(await rows('id = $1', [created.id])).toBe(0);
    for (const method of ['GET', 'DELETE']) {
      const gone = await call(stack.url, `/v1/responses/${created.id}`, { method });
      expect(gone.status).toBe(404);
      expect(gone.json.error).toMatchObject({ code: 'not_found', type: 'not_found_error' });
    }
    await expect(client.responses.delete(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('keeps nothing with store: false, and cannot be continued', async () => {
    const before = await rows();
    const created = await sdk(stack.url).responses.create({ model: MODEL, input: 'forget me', store: false });
    expect(created).toMatchObject({ store: false });
    expect(await rows()).toBe(before);
    expect((await call(stack.url, `/v1/responses/${created.id}`)).status).toBe(404);
    const next = await call(stack.url, '/v1/responses', { body: { model: MODEL, input: 'and?', previous_response_id: created.id } });
    expect(next.status).toBe(404);
    expect(next.json.error).toMatchObject({ code: 'not_found', param: 'previous_response_id' });
  });

  it('lists the input items a response was given, each with an id, newest first by default, a page at a time', async () => {
    const client = sdk(stack.url);
    const input = [
      { role: 'developer' as const, content: 'be brief' },
      { role: 'user' as const, content: [{ type: 'input_text' as const, text: 'one' }] },
      { role: 'user' as const, content: 'two' },
    ];
    const created = await client.responses.create({ model: MODEL, input });
    const page = await call(stack.url, `/v1/responses/${created.id}/input_items?limit=2`);
    expectShape(RESPONSE_INPUT_ITEMS_SHAPE, page.json);
    expect(page.json).toMatchObject({ object: 'list', has_more: true });
    expect(page.json.data.map((item: any) => item.content[0].text)).toEqual(['two', 'one']);
    const all = [];
    for await (const item of client.responses.inputItems.list(created.id, { order: 'asc', limit: 1 })) all.push(item);
    expect(all.map((item: any) => [item.role, item.content[0].text])).toEqual([
      ['developer', 'be brief'],
      ['user', 'one'],
      ['user', 'two'],
    ]);
    expect(new Set(all.map((item) => item.id)).size).toBe(3);
    expect((await call(stack.url, `/v1/responses/${created.id}/input_items?order=sideways`)).json.error.param).toBe('order');
  });

  it('shows a response only to the key that made it (and the master key): any other key is told it does not exist', async () => {
    const alice = await generateKey(stack.url, { key_alias: 'alice' });
    const bob = await generateKey(stack.url, { key_alias: 'bob' });
    const mine = await sdk(stack.url, alice.key).responses.create({ model: MODEL, input: 'secret plan' });
    for (const [method, path] of [
      ['GET', `/v1/responses/${mine.id}`],
      ['GET', `/v1/responses/${mine.id}/input_items`],
      ['DELETE', `/v1/responses/${mine.id}`],
    ]) {
      const refused = await call(stack.url, path, { method, key: bob.key });
      expect(refused.status).toBe(404);
      expect(refused.text).not.toContain('secret');
    }
    const continued = await call(stack.url, '/v1/responses', { key: bob.key, body: { model: MODEL, input: 'and?', previous_response_id: mine.id } });
    expect(continued.status).toBe(404);
    expect(continued.json.error.param).toBe('previous_response_id');
    expect((await call(stack.url, `/v1/responses/${mine.id}`, { key: alice.key })).json.output_text).toBe('echo: secret plan');

    // The master key reads any response; what it stores itself no virtual key sees.
    expect((await call(stack.url, `/v1/responses/${mine.id}`)).status).toBe(200);
    const masters = await sdk(stack.url).responses.create({ model: MODEL, input: 'admin note' });
    expect((await call(stack.url, `/v1/responses/${masters.id}`, { key: alice.key })).status).toBe(404);

    // Deleting a key deletes what it stored.
    expect(await rows('key_id = (SELECT id FROM virtual_keys WHERE key_alias = $1)', ['alice'])).toBe(1);
    await call(stack.url, '/key/delete', { body: { key_aliases: ['alice'] } });
    expect(await rows('id = $1', [mine.id])).toBe(0);
  });

  it('continues a conversation over several responses, and refuses one whose earlier part was deleted', async () => {
    const client = sdk(stack.url);
    const first = await client.responses.create({ model: MODEL, input: 'one', instructions: 'Count.' });
    const second = await client.responses.create({ model: MODEL, input: 'two', previous_response_id: first.id });
    fakes.ollama.reset();
    const third = await client.responses.create({ model: MODEL, input: 'three', previous_response_id: second.id });
    expect(third.output_text).toBe('echo: three');
    // The first response's instructions are not carried over, as OpenAI does.
    expect((fakes.ollama.received[0].body as any).messages.map((m: any) => m.content)).toEqual(['one', 'echo: one', 'two', 'echo: two', 'three']);

    await client.responses.delete(first.id);
    const broken = await call(stack.url, '/v1/responses', { body: { model: MODEL, input: 'four', previous_response_id: third.id } });
    expect(broken.status).toBe(404);
    expect(broken.json.error).toMatchObject({ param: 'previous_response_id', message: expect.stringContaining(first.id) });
  });

  it('never serves a response past RESPONSES_RETENTION, and the sweep deletes it', async () => {
    const shortLived = await stack.startGateway({ RESPONSES_RETENTION: '1' });
    try {
      const created = await sdk(shortLived.url).responses.create({ model: MODEL, input: 'brief' });
      expect((await call(shortLived.url, `/v1/responses/${created.id}`)).status).toBe(200);
      await sleep(1500);
      expect((await call(shortLived.url, `/v1/responses/${created.id}`)).status).toBe(404);
      const continued = await call(shortLived.url, '/v1/responses', { body: { model: MODEL, input: 'more', previous_response_id: created.id } });
      expect(continued.status).toBe(404);
      expect(await rows('id = $1', [created.id])).toBe(1);
      expect(await shortLived.app.get(ResponseStore).sweep()).toBeGreaterThanOrEqual(1);
      expect(await rows('id = $1', [created.id])).toBe(0);
      expect(await rows('expires_at <= now()')).toBe(0);
    } finally {
      await shortLived.app.close();
    }
  });
});
