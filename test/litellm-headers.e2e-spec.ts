import {
  CHAT_COMPLETION_CHUNK_SHAPE,
  CHAT_COMPLETION_SHAPE,
  FakeOpenAIServer,
  LIST_MODELS_SHAPE,
  OPENAI_ERROR_SHAPE,
  RESPONSE_SHAPE,
  type Stack,
  call,
  eventually,
  expectShape,
  fakeEnv,
  generateKey,
  openaiChunks,
  parseSse,
  sdk,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';
import { endOf } from '../apps/gateway/src/keys/durations';

const OPENAI = 'openai/gpt-4o-mini';
const OLLAMA = 'ollama/gpt-oss:20b';
const HI = [{ role: 'user' as const, content: 'hello there' }];

/** The x-litellm-* headers every model call's answer carries (cost only where it is known when they are sent). */
const ANSWER_HEADERS = [
  'x-litellm-call-id',
  'x-litellm-model-id',
  'x-litellm-model-group',
  'x-litellm-attempted-retries',
  'x-litellm-attempted-fallbacks',
  'x-litellm-overhead-duration-ms',
];

function expectLiteLLMHeaders(headers: Headers, model: string, { cost }: { cost: boolean }) {
  for (const name of ANSWER_HEADERS) expect(headers.get(name)).not.toBeNull();
  expect(headers.get('x-litellm-call-id')).toBe(headers.get('x-request-id'));
  expect(headers.get('x-litellm-model-group')).toBe(model);
  expect(headers.get('x-litellm-model-id')).toBe(headers.get('x-switchyard-model-id'));
  expect(headers.get('x-litellm-attempted-retries')).toBe('0');
  expect(headers.get('x-litellm-attempted-fallbacks')).toBe('0');
  expect(Number(headers.get('x-litellm-overhead-duration-ms'))).toBeGreaterThanOrEqual(0);
  if (cost) expect(Number(headers.get('x-litellm-response-cost'))).toBeGreaterThanOrEqual(0);
  else expect(headers.get('x-litellm-response-cost')).toBeNull();
}

/** LiteLLM's response and request headers, on every model call's answer, on both workers. */
describe("LiteLLM's x-litellm-* headers", () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const broken = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    await broken.start();
    const extra = `  - model_name: cloud
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${broken.url}", api_key: sk-c, num_retries: 0}
    model_info: {id: cloud-1}
router_settings:
  fallbacks: [{"cloud": ["${OLLAMA}"]}]
`;
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: fakeEnv(fakes.openai) });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
    await broken.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
    broken.reset();
  });

  describe.each([
    ['worker-openai', OPENAI],
    ['worker-ollama', OLLAMA],
  ])('on %s', (_worker, model) => {
    it('a chat answer (official SDK): every header, its cost, and the published chat.completion shape with refusal null', async () => {
      const { data, response } = await sdk(stack.url).chat.completions.create({ model, messages: HI }).withResponse();
      expectLiteLLMHeaders(response.headers, model, { cost: true });
      expectShape(CHAT_COMPLETION_SHAPE, data, 'chat.completion');
      expect(data.choices[0].message.refusal).toBeNull();
    });

    it('a streamed chat answer: the headers known when it starts (no cost), and every chunk of the published shape', async () => {
      const raw = await call(stack.url, '/v1/chat/completions', { body: { model, messages: HI, stream: true, stream_options: { include_usage: true } } });
      expect(raw.status).toBe(200);
      expectLiteLLMHeaders(raw.headers, model, { cost: false });
      const chunks = openaiChunks(parseSse(raw.text).events);
      expect(chunks.length).toBeGreaterThan(2);
      for (const chunk of chunks) expectShape(CHAT_COMPLETION_CHUNK_SHAPE, chunk, 'chat.completion.chunk');
      expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', refusal: null });
    });

    it('a Responses API answer, streamed or not, carries them too', async () => {
      const { data, response } = await sdk(stack.url).responses.create({ model, input: 'hello there' }).withResponse();
      expectLiteLLMHeaders(response.headers, model, { cost: true });
      expectShape(RESPONSE_SHAPE, data, 'response');
      const streamed = await call(stack.url, '/v1/responses', { body: { model, input: 'hello there', stream: true } });
      expectLiteLLMHeaders(streamed.headers, model, { cost: false });
    });

    it('an Anthropic Messages answer, streamed or not, carries them too', async () => {
      const body = { model, max_tokens: 32, messages: HI };
      const answer = await call(stack.url, '/v1/messages', { body });
      expect(answer.status).toBe(200);
      expectLiteLLMHeaders(answer.headers, model, { cost: true });
      const streamed = await call(stack.url, '/v1/messages', { body: { ...body, stream: true } });
      expect(streamed.status).toBe(200);
      expectLiteLLMHeaders(streamed.headers, model, { cost: false });
    });
  });

  it('x-litellm-response-cost is what the spend log row of x-litellm-call-id says', async () => {
    const { response } = await sdk(stack.url).chat.completions.create({ model: OPENAI, messages: HI }).withResponse();
    const id = response.headers.get('x-litellm-call-id')!;
    const logs = await eventually(
      () => call(stack.url, `/spend/logs?request_id=${id}`),
      (res) => res.json.length === 1,
    );
    expect(logs.json[0].spend).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-litellm-response-cost'))).toBeCloseTo(logs.json[0].spend, 12);
    expect(logs.json[0].api).toBe('chat_completions');
  });

  it('counts a fallback to another model group, and a failed call still names itself', async () => {
    broken.failNext(1, 500);
    const { response } = await sdk(stack.url).chat.completions.create({ model: 'cloud', messages: HI }).withResponse();
    expect(response.headers.get('x-litellm-model-group')).toBe(OLLAMA);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(response.headers.get('x-litellm-attempted-retries')).toBe('0');

    broken.failNext(1, 400, { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } });
    const failed = await call(stack.url, '/v1/chat/completions', { body: { model: 'cloud', messages: HI } });
    expect(failed.status).toBe(400);
    expectShape(OPENAI_ERROR_SHAPE, failed.json, 'error');
    expect(failed.headers.get('x-litellm-call-id')).toBe(failed.headers.get('x-request-id'));
    expect(failed.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
  });

  it('x-litellm-num-retries outranks the deployment: the worker retries that often, and the answer says so', async () => {
    fakes.openai.failNext(1, 500);
    const retried = await sdk(stack.url)
      .chat.completions.create({ model: OPENAI, messages: HI }, { headers: { 'x-litellm-num-retries': '1' } })
      .withResponse();
    expect(retried.response.headers.get('x-litellm-attempted-retries')).toBe('1');
    expect(fakes.openai.received).toHaveLength(2);

    fakes.openai.reset();
    fakes.openai.failNext(1, 500);
    const once = await call(stack.url, '/v1/chat/completions', { body: { model: OPENAI, messages: HI }, headers: { 'x-litellm-num-retries': '0' } });
    expect(once.status).toBe(502);
    expectShape(OPENAI_ERROR_SHAPE, once.json, 'error');
    expect(fakes.openai.received).toHaveLength(1);
  });

  it('x-litellm-timeout caps the deadline of a call whose upstream does not answer', async () => {
    const release = fakes.ollama.hold();
    try {
      const res = await call(stack.url, '/v1/chat/completions', { body: { model: OLLAMA, messages: HI }, headers: { 'x-litellm-timeout': '0.5' } });
      expect(res.status).toBe(504);
      expectShape(OPENAI_ERROR_SHAPE, res.json, 'error');
    } finally {
      release();
    }
  });

  it.each([
    ['x-litellm-timeout', 'soon'],
    ['x-litellm-timeout', '0'],
    ['x-litellm-timeout', '-3'],
    ['x-litellm-num-retries', '1.5'],
    ['x-litellm-num-retries', '11'],
    ['x-litellm-tags', Array.from({ length: 33 }, (_, i) => `t${i}`).join(',')],
    ['x-litellm-tags', 'x'.repeat(129)],
  ])("%s: %j is a 400 in the API's error shape, and nothing reaches a backend or the spend log", async (header, value) => {
    const requestId = `bad-header-${header}-${value.length}-${value.charCodeAt(0)}`;
    const res = await call(stack.url, '/v1/chat/completions', {
      body: { model: OLLAMA, messages: HI },
      headers: { [header]: value, 'x-request-id': requestId },
    });
    expect(res.status).toBe(400);
    expectShape(OPENAI_ERROR_SHAPE, res.json, 'error');
    expect(res.json.error.param).toBe(header);
    const anthropic = await call(stack.url, '/v1/messages', { body: { model: OLLAMA, max_tokens: 8, messages: HI }, headers: { [header]: value } });
    expect(anthropic.status).toBe(400);
    expect(anthropic.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(fakes.ollama.received).toHaveLength(0);
    expect((await call(stack.url, `/spend/logs?request_id=${requestId}`)).json).toEqual([]);
  });

  it("tags: the call's x-litellm-tags and its key's tags on its spend row, filterable by tag and by API, totalled by /spend/tags", async () => {
    const { key, token } = await generateKey(stack.url, { tags: ['team-a'] });
    expect((await call(stack.url, `/key/info?key=${token}`)).json.info.tags).toEqual(['team-a']);
    const chat = await sdk(stack.url, key)
      .chat.completions.create({ model: OPENAI, messages: HI }, { headers: { 'x-litellm-tags': ' feature-x , batch ,feature-x' } })
      .withResponse();
    const responses = await sdk(stack.url, key)
      .responses.create({ model: OPENAI, input: 'hi' }, { headers: { 'x-litellm-tags': 'feature-y' } })
      .withResponse();
    const chatId = chat.response.headers.get('x-litellm-call-id')!;
    const responsesId = responses.response.headers.get('x-litellm-call-id')!;

    const tagged = await eventually(
      () => call(stack.url, `/spend/logs?api_key=${token}`),
      (res) => res.json.length === 2,
    );
    const rows = Object.fromEntries(tagged.json.map((row: any) => [row.request_id, row]));
    expect(rows[chatId]).toMatchObject({ api: 'chat_completions' });
    expect([...rows[chatId].request_tags].sort()).toEqual(['batch', 'feature-x', 'team-a']);
    expect(rows[responsesId]).toMatchObject({ api: 'responses' });
    expect([...rows[responsesId].request_tags].sort()).toEqual(['feature-y', 'team-a']);

    const byTag = (await call(stack.url, `/spend/logs?api_key=${token}&tags=feature-y,nothing`)).json;
    expect(byTag.map((row: any) => row.request_id)).toEqual([responsesId]);
    const byApi = (await call(stack.url, `/spend/logs?api_key=${token}&api=chat_completions`)).json;
    expect(byApi.map((row: any) => row.request_id)).toEqual([chatId]);

    const totals = (await call(stack.url, '/spend/tags')).json as Array<{ individual_request_tag: string; log_count: number; total_spend: number }>;
    const teamA = totals.find((t) => t.individual_request_tag === 'team-a')!;
    expect(teamA.log_count).toBe(2);
    expect(teamA.total_spend).toBeCloseTo(rows[chatId].spend + rows[responsesId].spend, 12);
    expect(totals.find((t) => t.individual_request_tag === 'batch')).toMatchObject({ log_count: 1 });

    const updated = await call(stack.url, '/key/update', { body: { key, tags: ['team-b'] } });
    expect(updated.json.tags).toEqual(['team-b']);
    const badTags = await call(stack.url, '/key/update', { body: { key, tags: ['a,b'] } });
    expect(badTags.status).toBe(400);
    expect(badTags.json.error.param).toBe('tags');
  });

  it("a chat body's metadata.tags (LiteLLM's other way) join the header's on the spend row", async () => {
    const res = await call(stack.url, '/v1/chat/completions', {
      body: { model: OLLAMA, messages: HI, metadata: { tags: ['from-body'] } },
      headers: { 'x-litellm-tags': 'from-header' },
    });
    expect(res.status).toBe(200);
    const logs = await eventually(
      () => call(stack.url, `/spend/logs?request_id=${res.headers.get('x-litellm-call-id')}`),
      (r) => r.json.length === 1,
    );
    expect([...logs.json[0].request_tags].sort()).toEqual(['from-body', 'from-header']);
    const bad = await call(stack.url, '/v1/chat/completions', { body: { model: OLLAMA, messages: HI, metadata: { tags: 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('metadata.tags');
  });

  it('an Anthropic Messages call is logged with api "messages"', async () => {
    const answer = await call(stack.url, '/v1/messages', { body: { model: OLLAMA, max_tokens: 8, messages: HI } });
    const id = answer.headers.get('x-litellm-call-id')!;
    const logs = await eventually(
      () => call(stack.url, `/spend/logs?request_id=${id}`),
      (res) => res.json.length === 1,
    );
    expect(logs.json[0].api).toBe('messages');
  });

  it('budget_duration 1mo: the next reset is a calendar month on, on /key/generate, /key/info and /key/list', async () => {
    const before = new Date();
    const created = await generateKey(stack.url, { max_budget: 1, budget_duration: '1mo', key_alias: 'monthly' });
    const after = new Date();
    const resetAt = new Date(created.budget_reset_at as string);
    const monthOn = (d: Date) => endOf('1mo', d).getTime();
    expect(resetAt.getTime()).toBeGreaterThanOrEqual(monthOn(before));
    expect(resetAt.getTime()).toBeLessThanOrEqual(monthOn(after));
    expect((await call(stack.url, `/key/info?key=${created.token}`)).json.info.budget_reset_at).toBe(created.budget_reset_at);
    const listed = await call(stack.url, '/key/list?key_alias=monthly&return_full_object=true');
    expect(listed.json.keys[0].budget_reset_at).toBe(created.budget_reset_at);
  });

  it('/v1/models and its errors have the published shapes', async () => {
    const models = await call(stack.url, '/v1/models');
    expectShape(LIST_MODELS_SHAPE, models.json, 'models list');
    const unknown = await call(stack.url, '/v1/chat/completions', { body: { model: 'nope', messages: HI } });
    expectShape(OPENAI_ERROR_SHAPE, unknown.json, 'error');
    const noKey = await call(stack.url, '/v1/models', { key: null });
    expectShape(OPENAI_ERROR_SHAPE, noKey.json, 'error');
  });
});
