import { type Stack, call, eventually, fakeEnv, generateKey, startFakes, startStack, tutorialConfig } from '@test/support';

const MODEL = 'ollama/gpt-oss:20b';
const TWO_BILLION = 2_000_000_000;

type Case = [method: string, path: string, body: unknown, param: string | null];

// Every admin route with values that are wrong in a way its schema must catch: repeated query
// parameters, dates and durations no Date or Postgres column holds, numbers past their columns,
// NUL characters (Postgres text refuses them), oversized lists and pages.
const MALFORMED: Case[] = [
  ['POST', '/key/generate', { duration: '200000000d' }, 'duration'],
  ['POST', '/key/generate', { duration: `${'9'.repeat(400)}s` }, 'duration'],
  ['POST', '/key/generate', { budget_duration: '200000000d' }, 'budget_duration'],
  ['POST', '/key/generate', { rpm_limit: 3_000_000_000 }, 'rpm_limit'],
  ['POST', '/key/generate', { tpm_limit: 2 ** 31 }, 'tpm_limit'],
  ['POST', '/key/generate', { max_parallel_requests: 2 ** 31 }, 'max_parallel_requests'],
  ['POST', '/key/generate', { max_budget: '5' }, 'max_budget'],
  ['POST', '/key/generate', { key_alias: 'a\u0000b' }, 'key_alias'],
  ['POST', '/key/generate', { metadata: { team: 'x\u0000' } }, 'metadata'],
  ['POST', '/key/generate', { metadata: { 'a\u0000': 1 } }, 'metadata'],
  ['POST', '/key/generate', { key: 'sk-abc\u0000defgh' }, 'key'],
  ['POST', '/key/generate', { key: 'sk-ключ-секрет' }, 'key'],
  ['POST', '/key/generate', { models: [MODEL, 'a\u0000'] }, 'models'],
  ['POST', '/key/generate', [], null],
  ['POST', '/key/update', { key: 'sk-whatever', duration: '200000000d' }, 'duration'],
  ['POST', '/key/update', { key: ['a', 'b'] }, 'key'],
  ['POST', '/key/update', { key: 'sk-whatever', key_alias: 'x\u0000' }, 'key_alias'],
  ['GET', '/key/info?key=a&key=b', undefined, 'key'],
  ['GET', '/key/info?key=', undefined, 'key'],
  ['GET', '/key/list?page=1&page=2', undefined, 'page'],
  ['GET', '/key/list?page=abc', undefined, 'page'],
  ['GET', '/key/list?page=1e30', undefined, 'page'],
  ['GET', '/key/list?size=1&size=2', undefined, 'size'],
  ['GET', '/key/list?key_alias=a&key_alias=b', undefined, 'key_alias'],
  ['GET', '/key/list?key_alias=a%00b', undefined, 'key_alias'],
  ['GET', '/key/list?return_full_object=true&return_full_object=true', undefined, 'return_full_object'],
  ['POST', '/key/delete', { keys: 'sk-x' }, 'keys'],
  ['POST', '/key/delete', { key_aliases: ['a\u0000'] }, 'key_aliases[0]'],
  ['POST', '/key/delete', { keys: Array.from({ length: 70_000 }, (_, i) => `sk-${i}`) }, 'keys'],
  ['POST', '/key/block', { key: 5 }, 'key'],
  ['POST', '/key/unblock', { key: ['a'] }, 'key'],
  ['POST', '/key/regenerate', { key: ['a'] }, 'key'],
  ['POST', '/key/regenerate', { key: 'sk-whatever', new_key: 'sk-\u0000abcdefg' }, 'new_key'],
  ['POST', '/key/sk-whatever/regenerate', { new_key: 'sk-ab cdefg' }, 'new_key'],
  ['GET', '/spend/logs?start_date=-271821-04-20', undefined, 'start_date'],
  ['GET', '/spend/logs?end_date=%2B275760-09-13', undefined, 'end_date'],
  ['GET', '/spend/logs?start_date=2026-01-01&start_date=2026-02-01', undefined, 'start_date'],
  ['GET', '/spend/logs?api_key=a&api_key=b', undefined, 'api_key'],
  ['GET', '/spend/logs?request_id=a%00b', undefined, 'request_id'],
  ['GET', '/spend/logs?limit=ten', undefined, 'limit'],
  ['GET', '/global/spend/keys?limit=1&limit=2', undefined, 'limit'],
  ['GET', '/global/spend/keys?limit=1.5', undefined, 'limit'],
  ['GET', '/global/spend/models?limit=-1', undefined, 'limit'],
  ['POST', '/model/new', { model_name: 'a\u0000', litellm_params: { model: 'ollama/x', api_base: 'http://127.0.0.1:1' } }, 'model_name'],
  ['POST', '/model/update', { model_info: { id: 'a\u0000' } }, 'model_info.id'],
  ['POST', '/model/delete', { id: 'a\u0000' }, 'id'],
  ['POST', '/ui/login', { username: ['admin'], password: 'x' }, 'username'],
];

describe('admin inputs never cause a 500', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), STORE_MODEL_IN_DB: 'true' } });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });

  const cases = MALFORMED.map(
    ([method, path, body, param]) => [`${method} ${path} ${JSON.stringify(body ?? null).slice(0, 80)}`, method, path, body, param] as const,
  );
  it.each(cases)('%s: a 400 in the OpenAI error shape naming the field', async (_title, method, path, body, param) => {
    const keysBefore = (await call(stack.url, '/key/list')).json.total_count;
    const res = await call(stack.url, path, { method, body });
    expect({ status: res.status, param: res.json?.error?.param }).toEqual({ status: 400, param });
    expect(res.json.error).toEqual({ message: expect.any(String), type: expect.any(String), param, code: 'invalid_request' });
    expect((await call(stack.url, '/key/list')).json.total_count).toBe(keysBefore);
  });

  it('records calls whose token counts pass 2^31, and answers spend reports summing them', async () => {
    // Each call reports 3 billion tokens: more than a 32-bit column holds, and two of them more than a 32-bit sum.
    const { key, token } = await generateKey(stack.url, { key_alias: 'heavy' });
    fakes.ollama.reportedTokens = { prompt: 1_000_000_000, completion: TWO_BILLION };
    try {
      for (const n of [1, 2]) {
        const res = await call(stack.url, '/v1/chat/completions', { key, body: { model: MODEL, messages: [{ role: 'user', content: `heavy ${n}` }] } });
        expect(res.json.usage).toMatchObject({ total_tokens: 3_000_000_000 });
      }
    } finally {
      fakes.ollama.reportedTokens = undefined;
    }
    const logs = await eventually(
      () => call(stack.url, `/spend/logs?api_key=${token}`),
      (r) => r.json.length === 2,
      5000,
    );
    expect(logs.json.map((r: { prompt_tokens: number; total_tokens: number }) => [r.prompt_tokens, r.total_tokens])).toEqual([
      [1_000_000_000, 3_000_000_000],
      [1_000_000_000, 3_000_000_000],
    ]);
    const byKey = await call(stack.url, '/global/spend/keys');
    expect(byKey.status).toBe(200);
    expect(byKey.json.find((r: { key_alias: string }) => r.key_alias === 'heavy')).toMatchObject({ api_key: token, requests: 2, total_tokens: 6_000_000_000 });
    const byModel = await call(stack.url, '/global/spend/models');
    expect(byModel.status).toBe(200);
    expect(byModel.json.find((r: { model: string }) => r.model === MODEL)).toMatchObject({ total_tokens: expect.any(Number) });
    expect(byModel.json.find((r: { model: string }) => r.model === MODEL).total_tokens).toBeGreaterThanOrEqual(6_000_000_000);
  });
});
