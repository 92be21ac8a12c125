import { FakeOllamaServer, FakeOpenAIServer, type Stack, call, eventually, generateKey, sleep, startStack } from '@test/support';

const ALLOWED_FAILS = 2;

/** An OpenAI-compatible model with an Ollama fallback, and an Ollama model with a deployment rpm of 2. */
function config(openai: FakeOpenAIServer, ollama: FakeOllamaServer): string {
  return `model_list:
  - model_name: cloud
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${openai.url}", api_key: sk-upstream, num_retries: 0}
    model_info: {id: cloud-1}
  - model_name: local
    litellm_params: {model: ollama/llama3.2, api_base: "${ollama.origin}", num_retries: 0}
    model_info: {id: local-1}
  - model_name: paced
    litellm_params: {model: ollama/llama3.2, api_base: "${ollama.origin}", rpm: 2, timeout: 3}
    model_info: {id: paced-1, input_cost_per_token: 0.001, output_cost_per_token: 0.001}
router_settings:
  allowed_fails: ${ALLOWED_FAILS}
  cooldown_time: 60
  fallbacks: [{"cloud": ["local"]}]
`;
}

const hello = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hello there' }], ...extra });

/** JSON nested `depth` levels deep: `{"a":{"a":…}}`. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Per-minute counters reset on the minute: start a test well inside one. */
async function freshMinute(needMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 50);
}

describe('malformed and rejected calls', () => {
  const openai = new FakeOpenAIServer();
  const ollama = new FakeOllamaServer({ models: ['llama3.2'] });
  let stack: Stack;
  const chat = (body: unknown, key?: string, headers?: Record<string, string>) => call(stack.url, '/v1/chat/completions', { body, key, headers });

  beforeAll(async () => {
    await Promise.all([openai.start(), ollama.start()]);
    stack = await startStack({ config: config(openai, ollama) });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([openai.stop(), ollama.stop()]);
  });
  beforeEach(() => {
    openai.reset();
    ollama.reset();
  });

  describe('a malformed call is a 400 for its caller and nothing else', () => {
    const history = (assistant: Record<string, unknown>, ...after: object[]) => [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'sure', ...assistant },
      ...after,
    ];
    const fn = (name: string, extra: object = {}) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} }, ...extra } });

    it.each([
      ['tool_calls that are not an array', { messages: history({ tool_calls: 5 }) }, 'messages[1].tool_calls'],
      [
        'tool-call arguments that are not a string',
        { messages: history({ tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }) },
        'messages[1].tool_calls[0].function.arguments',
      ],
      [
        'a tool call without an id',
        { messages: history({ tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }) },
        'messages[1].tool_calls[0].id',
      ],
      ['a tool message without tool_call_id', { messages: history({}, { role: 'tool', content: 'done' }) }, 'messages[2].tool_call_id'],
      ['a content part of an unknown type', { messages: [{ role: 'user', content: [{ type: 'video', video: 'x' }] }] }, 'messages[0].content[0].type'],
      [
        'an image part in a system message',
        {
          messages: [
            { role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
            { role: 'user', content: 'hi' },
          ],
        },
        'messages[0].content[0].type',
      ],
      ['a message name that is not a string', { messages: [{ role: 'user', content: 'hi', name: 7 }] }, 'messages[0].name'],
      ['tools that are not an array', { tools: 'all of them' }, 'tools'],
      ['a tool name OpenAI would refuse', { tools: [fn('look things up')] }, 'tools[0].function.name'],
      ['tool parameters that are not an object', { tools: [fn('lookup', { parameters: 'none' })] }, 'tools[0].function.parameters'],
      ['an unknown tool_choice', { tools: [fn('lookup')], tool_choice: 'sometimes' }, 'tool_choice'],
      ['a named tool_choice without a name', { tools: [fn('lookup')], tool_choice: { type: 'function', function: {} } }, 'tool_choice.function.name'],
      [
        'a json_schema response_format without a name',
        { response_format: { type: 'json_schema', json_schema: { schema: {} } } },
        'response_format.json_schema.name',
      ],
      ['an unknown response_format', { response_format: { type: 'yaml' } }, 'response_format.type'],
      ['logit_bias with a key that is not a token id', { logit_bias: { hello: 5 } }, 'logit_bias.hello'],
      ['logit_bias beyond ±100', { logit_bias: { 50256: 200 } }, 'logit_bias.50256'],
      ['top_logprobs above 20', { logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
      ['metadata that is not an object', { metadata: ['team'] }, 'metadata'],
      ['user that is not a string', { user: 42 }, 'user'],
      ['parallel_tool_calls that is not a boolean', { tools: [fn('lookup')], parallel_tool_calls: 'yes' }, 'parallel_tool_calls'],
      ['an unknown modality', { modalities: ['smell'] }, 'modalities[0]'],
      ['a prediction without content', { prediction: { type: 'content' } }, 'prediction.content'],
    ])('%s: 400 naming the field, never sent upstream', async (_case, fields, param) => {
      const res = await chat({ ...hello('cloud'), ...fields });
      expect({ status: res.status, code: res.json?.error?.code, param: res.json?.error?.param }).toEqual({ status: 400, code: 'invalid_request', param });
      expect(openai.total + ollama.total).toBe(0);
    });

    it('takes a call with every field of the OpenAI request', async () => {
      const res = await chat({
        model: 'cloud',
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'be brief' }] },
          { role: 'system', content: 'system', name: 'rules' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
              { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
              { type: 'file', file: { file_id: 'file-1' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'found' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'so' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
          { role: 'user', content: 'hello there' },
        ],
        tools: [fn('lookup', { description: 'looks up', strict: true })],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        parallel_tool_calls: false,
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
        stop: ['\n\n'],
        logit_bias: { 50256: -100 },
        logprobs: true,
        top_logprobs: 2,
        user: 'u-1',
        metadata: { team: 'search', tags: ['rag', 'prod'], trace: { id: 7 } },
        reasoning_effort: 'low',
        modalities: ['text'],
        seed: 7,
        service_tier: 'auto',
        store: false,
        prediction: { type: 'content', content: 'likely answer' },
        max_completion_tokens: 50,
        temperature: 0.5,
        top_p: 0.9,
        n: 1,
        presence_penalty: 0,
        frequency_penalty: 0,
        vendor_extension: { kept: true },
      });
      expect(res.status).toBe(200);
      expect(openai.received[0].body).toMatchObject({ logit_bias: { 50256: -100 }, vendor_extension: { kept: true } });
      // LiteLLM's request metadata is the gateway's own: any JSON values, never sent upstream.
      expect(openai.received[0].body).not.toHaveProperty('metadata');
    });

    it('leaves the model and its fallback serving other keys after more than allowed_fails malformed calls', async () => {
      const mallory = await generateKey(stack.url, { models: ['cloud', 'local'] });
      const alice = await generateKey(stack.url, { models: ['cloud', 'local'] });
      for (let i = 0; i < ALLOWED_FAILS * 3; i++) {
        for (const model of ['cloud', 'local']) {
          for (const stream of [false, true]) {
            const res = await chat({ model, stream, messages: history({ tool_calls: 5 }) }, mallory.key);
            expect({ status: res.status, param: res.json?.error?.param }).toEqual({ status: 400, param: 'messages[1].tool_calls' });
          }
        }
      }
      const served = await chat(hello('cloud'), alice.key);
      expect(served.status).toBe(200);
      expect(served.headers.get('x-switchyard-model-id')).toBe('cloud-1');
      expect((await chat(hello('local'), alice.key)).status).toBe(200);
      expect(openai.total + ollama.total).toBe(2);
    });

    it('refuses a body nested deeper than 64 levels, on every route, and keeps serving', async () => {
      const deep = nested(20_000);
      expect(deep.length).toBeGreaterThan(40_000);
      const asked = `{"model":"cloud","messages":[{"role":"user","content":"hi"}],"x":${deep}}`;
      for (const [path, body] of [
        ['/v1/chat/completions', asked],
        ['/key/generate', `{"metadata":${deep}}`],
      ]) {
        const res = await call(stack.url, path, { body });
        expect({ path, status: res.status, code: res.json?.error?.code }).toEqual({ path, status: 400, code: 'invalid_request' });
        expect(res.json.error.message).toContain('64');
      }
      // In a string, brackets are text, not nesting.
      const brackets = await chat(hello('cloud', { messages: [{ role: 'user', content: '['.repeat(10_000) }] }));
      expect(brackets.status).toBe(200);
      const atTheLimit = await chat({ ...hello('cloud'), vendor_extension: JSON.parse(nested(63)) });
      expect(atTheLimit.status).toBe(200);
      const overTheLimit = await chat({ ...hello('cloud'), vendor_extension: JSON.parse(nested(64)) });
      expect(overTheLimit.status).toBe(400);
      expect((await chat(hello('cloud'))).status).toBe(200);
      expect(openai.total).toBe(3);
    });

    it('never counts a failure caused by the request against the deployment, wherever it is detected', async () => {
      const mallory = await generateKey(stack.url, { models: ['cloud', 'local'] });
      const alice = await generateKey(stack.url, { models: ['cloud', 'local'] });
      const rounds = ALLOWED_FAILS + 1;
      // Found by the gateway: a body too deep to put on the queue.
      for (let i = 0; i < rounds; i++) {
        const res = await call(stack.url, '/v1/chat/completions', {
          key: mallory.key,
          body: `{"model":"cloud","messages":[{"role":"user","content":"hi"}],"x":${nested(20_000)}}`,
        });
        expect(res.status).toBe(400);
      }
      // Found by the worker before the upstream: Ollama takes images only as data URLs.
      for (let i = 0; i < rounds; i++) {
        const res = await chat(
          { model: 'local', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
          mallory.key,
        );
        expect({ status: res.status, param: res.json?.error?.param }).toEqual({ status: 400, param: 'messages[0].content[0].image_url' });
      }
      // Found by the upstream: its 400, 413 and 422 (answered as 400) are passed on, with no fallback.
      for (const [upstream, status] of [
        [400, 400],
        [413, 413],
        [422, 400],
      ]) {
        openai.failNext(rounds, upstream, { error: { message: `bad field (${upstream})`, type: 'invalid_request_error', param: 'temperature', code: null } });
        for (let i = 0; i < rounds; i++) {
          const res = await chat(hello('cloud'), mallory.key);
          expect({ status: res.status, code: res.json.error.code, param: res.json.error.param }).toEqual({
            status,
            code: 'invalid_request',
            param: 'temperature',
          });
          expect(res.json.error.message).toContain(`bad field (${upstream})`);
        }
      }
      expect(ollama.total).toBe(0);
      const served = await chat(hello('cloud'), alice.key);
      expect(served.status).toBe(200);
      expect(served.headers.get('x-switchyard-model-id')).toBe('cloud-1');
      expect((await chat(hello('local'), alice.key)).status).toBe(200);
    });
  });

  describe('a rejected call consumes nothing', () => {
    const refusedByOllama = [
      // Known before the call is admitted: Ollama returns one choice.
      ['n: 2', { n: 2 }, 'n'],
      ['n: 2, streamed', { n: 2, stream: true }, 'n'],
      // Found by the worker while it maps the call: Ollama takes images only as data URLs.
      [
        'an image link',
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
        'messages[0].content[0].image_url',
      ],
      [
        'an image link, streamed',
        { stream: true, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
        'messages[0].content[0].image_url',
      ],
    ] as const;

    it('uses no rpm slot of the key, and bills nothing', async () => {
      await freshMinute();
      const { key, token } = await generateKey(stack.url, { rpm_limit: 2 });
      for (let round = 0; round < 3; round++) {
        for (const [name, fields, param] of refusedByOllama) {
          const res = await chat(hello('local', fields), key);
          expect({ name, status: res.status, param: res.json?.error?.param }).toEqual({ name, status: 400, param });
        }
      }
      expect((await chat(hello('local'), key)).status).toBe(200);
      expect((await chat(hello('local', { stream: true }), key)).status).toBe(200);
      const third = await chat(hello('local'), key);
      expect(third.status).toBe(429);
      expect(third.json.error.message).toContain('rpm_limit');
      expect(ollama.total).toBe(2);

      // The refused calls' rows may be written a batch before the two answered ones: wait for those.
      const logs = await eventually(
        () => call(stack.url, `/spend/logs?api_key=${token}`),
        (r) => r.json.filter((row: { status: string }) => row.status === 'success').length >= 2,
        3000,
      );
      expect(logs.json.filter((row: { status: string }) => row.status === 'success')).toHaveLength(2);
      for (const row of logs.json.filter((r: { status: string }) => r.status !== 'success'))
        expect(row).toMatchObject({ http_status: 400, spend: 0, total_tokens: 0 });
    });

    it('uses no rpm slot of the deployment, and bills nothing', async () => {
      await freshMinute();
      const { key, token } = await generateKey(stack.url);
      for (let round = 0; round < 3; round++) {
        for (const [name, fields, param] of refusedByOllama) {
          const res = await chat(hello('paced', fields), key);
          expect({ name, status: res.status, param: res.json?.error?.param }).toEqual({ name, status: 400, param });
        }
      }
      const started = Date.now();
      expect((await chat(hello('paced'), key)).status).toBe(200);
      expect((await chat(hello('paced', { stream: true }), key)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
      // The deployment's rpm of 2 is used up by the two real calls: the next waits past its deadline.
      const third = await chat(hello('paced'), key);
      expect(third.status).toBe(429);
      expect(third.json.error.message).toContain('rpm');
      expect(ollama.total).toBe(2);

      const info = await eventually(
        () => call(stack.url, `/key/info?key=${token}`),
        (r) => r.json.info.spend > 0.009,
        3000,
      );
      // Two real calls of 5 tokens at $0.001: the refused ones cost nothing.
      expect(info.json.info.spend).toBeCloseTo(0.01, 10);
    });
  });
});
