import { Client } from 'pg';
import { MASTER_KEY, type Stack, call, eventually, fakeEnv, generateKey, sleep, startFakes, startStack, tutorialConfig } from '@test/support';

// $0.001 per token either way: the fake's "echo: <text>" answers make every call cost something.
const PRICED = `  - model_name: priced
    litellm_params: {model: ollama/llama3.2, api_base: "OLLAMA"}
    model_info: {id: priced-1, input_cost_per_token: 0.001, output_cost_per_token: 0.001}
`;
const ASK = { model: 'priced', messages: [{ role: 'user', content: 'one two three four' }] };
// 4 prompt words and "echo: one two three four" (5 words) at $0.001 each.
const CALL_COST = 0.009;

describe('key changes keep money and identity straight', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let second: { url: string };
  let db: Client;
  const info = async (token: string) => (await call(stack.url, `/key/info?key=${token}`)).json.info;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama, PRICED.replace('OLLAMA', fakes.ollama.origin)), env: fakeEnv(fakes.openai) });
    second = await stack.startGateway();
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => fakes.ollama.reset());

  it('/key/update changes only the fields sent, never spend written meanwhile', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'busy' });
    // The spend log writer adds spend with `spend = spend + …` at any moment; here as fast as Postgres goes.
    let added = 0;
    let updating = true;
    const writer = (async () => {
      while (updating) {
        await db.query('UPDATE virtual_keys SET spend = spend + 1 WHERE token = $1', [token]);
        added++;
      }
    })();
    for (let n = 0; n < 40; n++) {
      const res = await call(stack.url, '/key/update', { body: { key, metadata: { n } } });
      expect(res.status).toBe(200);
    }
    updating = false;
    await writer;
    const after = await info(token);
    expect(after.metadata).toEqual({ n: 39 });
    expect(after.key_alias).toBe('busy');
    expect(after.spend).toBe(added);
  });

  it('/key/regenerate refuses the master key as new_key, as /key/generate does, and changes nothing', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'not-master' });
    expect((await call(stack.url, '/key/generate', { body: { key: MASTER_KEY } })).json.error.param).toBe('key');
    for (const [path, body] of [
      ['/key/regenerate', { key, new_key: MASTER_KEY }],
      [`/key/${token}/regenerate`, { new_key: MASTER_KEY }],
    ] as const) {
      const res = await call(stack.url, path, { body });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'invalid_request', param: 'new_key' });
      expect(res.text).not.toContain(MASTER_KEY);
    }
    expect((await call(stack.url, '/v1/models', { key })).status).toBe(200);
    // The master key is still the master key: it reaches admin routes.
    expect((await call(stack.url, '/key/list')).status).toBe(200);
    expect((await info(token)).key_alias).toBe('not-master');
  });

  it('a call in flight while its key is regenerated (on another gateway) is charged to the regenerated key alone, and still holds its slot', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'renewed-mid-call', max_parallel_requests: 1 });
    const bystander = await generateKey(stack.url, { key_alias: 'bystander' });
    fakes.ollama.chunkDelayMs = 300;

    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ASK, stream: true }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk: the call is running

    const renewed = await call(second.url, '/key/regenerate', { body: { key } });
    expect(renewed.status).toBe(200);
    expect(renewed.json.token).not.toBe(token);
    // The key's one slot is still held by the call in flight, whatever secret it goes by now.
    const meanwhile = await call(stack.url, '/v1/chat/completions', { key: renewed.json.key, body: ASK });
    expect(meanwhile.status).toBe(429);
    expect(meanwhile.json.error.message).toContain('max_parallel_requests');

    let text = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(text).toContain('[DONE]');

    const charged = await eventually(
      () => info(renewed.json.token),
      (i) => i.spend > 0,
      5000,
    );
    expect(charged.spend).toBeCloseTo(CALL_COST, 10);
    await sleep(1500); // a second flush would show any row written twice or to another key
    expect((await info(renewed.json.token)).spend).toBeCloseTo(CALL_COST, 10);
    expect((await info(bystander.token)).spend).toBe(0);
    const logs = await call(stack.url, `/spend/logs?api_key=${renewed.json.token}`);
    expect(logs.json).toHaveLength(1);
    expect(logs.json[0]).toMatchObject({ api_key: renewed.json.token, key_alias: 'renewed-mid-call', status: 'success' });
    const byKey = (await call(stack.url, '/global/spend/keys')).json.filter((r: { key_alias: string }) => r.key_alias === 'renewed-mid-call');
    expect(byKey).toEqual([expect.objectContaining({ api_key: renewed.json.token, requests: 1 })]);
  });
});
