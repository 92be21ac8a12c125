import { OpenAIEmbeddings } from '@langchain/openai';
import type OpenAI from 'openai';
import {
  CREATE_EMBEDDING_RESPONSE,
  type FakeUpstream,
  FakeOllamaServer,
  FakeOpenAIServer,
  type Stack,
  call,
  eventually,
  expectShape,
  fakeEmbedding,
  fakeEnv,
  generateKey,
  sdk,
  startStack,
} from '@test/support';

const ALLOWED_FAILS = 1;

/**
 * OpenAI's text-embedding-3-small (its base from OPENAI_API_BASE, the fake), an Ollama embedding
 * model known by its name, with the deployment's Ollama settings, one declared by
 * `model_info.mode`, and a chat model on each wire.
 */
function config(ollama: FakeOllamaServer): string {
  return `model_list:
  - model_name: text-embedding-3-small
    litellm_params:
      model: text-embedding-3-small
      api_key: os.environ/OPENAI_API_KEY
    model_info: {id: openai-embed}
  - model_name: nomic-embed-text
    litellm_params:
      model: ollama/nomic-embed-text
      api_base: "${ollama.origin}"
      keep_alive: 10m
      truncate: false
      options: {num_ctx: 2048}
    model_info: {id: ollama-embed}
  - model_name: local-embedder
    litellm_params: {model: ollama/all-minilm, api_base: "${ollama.origin}"}
    model_info: {mode: embedding}
  - model_name: flaky-embed
    litellm_params: {model: ollama/nomic-embed-text, api_base: "${ollama.origin}", num_retries: 0}
    model_info: {id: flaky-embed}
  - model_name: gpt-4o-mini
    litellm_params: {model: gpt-4o-mini, api_key: os.environ/OPENAI_API_KEY}
  - model_name: llama3.2
    litellm_params: {model: ollama/llama3.2, api_base: "${ollama.origin}"}
  - model_name: "local/*"
    litellm_params: {model: "ollama/*", api_base: "${ollama.origin}", additional_drop_params: [dimensions]}
    model_info: {id: local-wildcard}
router_settings:
  allowed_fails: ${ALLOWED_FAILS}
  cooldown_time: 60
  fallbacks: [{"flaky-embed": ["text-embedding-3-small"]}]
`;
}

/** The floats of OpenAI's base64 embedding, as the official SDK decodes them. */
const floatsOf = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
};

describe('embeddings', () => {
  const openai = new FakeOpenAIServer({ models: ['text-embedding-3-small', 'gpt-4o-mini'] });
  const ollama = new FakeOllamaServer({ models: ['nomic-embed-text', 'all-minilm', 'llama3.2'] });
  let stack: Stack;
  let key: string;
  let client: OpenAI;
  const embeddings = (body: unknown, path = '/v1/embeddings') => call(stack.url, path, { body, key });

  beforeAll(async () => {
    await Promise.all([openai.start(), ollama.start()]);
    stack = await startStack({ config: config(ollama), env: fakeEnv(openai) });
    ({ key } = await generateKey(stack.url, {
      models: ['text-embedding-3-small', 'nomic-embed-text', 'local-embedder', 'flaky-embed', 'gpt-4o-mini', 'llama3.2', 'local/*'],
    }));
    client = sdk(stack.url, key);
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([openai.stop(), ollama.stop()]);
  });
  beforeEach(() => {
    openai.reset();
    ollama.reset();
  });

  describe.each([
    ['an OpenAI-compatible deployment', 'text-embedding-3-small', 'openai'],
    ['an Ollama deployment', 'nomic-embed-text', 'ollama'],
  ] as const)('on %s', (_name, model, wire) => {
    const upstream = (): FakeUpstream => (wire === 'openai' ? openai : ollama);
    const otherUpstream = (): FakeUpstream => (wire === 'openai' ? ollama : openai);

    it('embeddings.create: a CreateEmbeddingResponse in input order, the model asked for, usage; one upstream call for the whole input', async () => {
      const inputs = ['the quick brown fox', 'jumps', 'over the lazy dog'];
      const answer = await client.embeddings.create({ model, input: inputs, encoding_format: 'float' });

      expectShape(CREATE_EMBEDDING_RESPONSE, answer);
      expect(answer.model).toBe(model);
      expect(answer.data.map((d) => d.index)).toEqual([0, 1, 2]);
      expect(answer.data.map((d) => d.embedding)).toEqual(inputs.map((text) => fakeEmbedding(text)));
      expect(answer.usage).toEqual({ prompt_tokens: 9, total_tokens: 9 });

      expect(upstream().received).toHaveLength(1);
      expect(otherUpstream().total).toBe(0);
      const [received] = upstream().received;
      if (wire === 'openai') {
        expect(received).toMatchObject({ path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: inputs, encoding_format: 'float' } });
      } else {
        // One /api/embed call with every input, and the deployment's settings.
        expect(received).toMatchObject({ path: '/api/embed' });
        expect(received.body).toEqual({ model: 'nomic-embed-text', input: inputs, truncate: false, keep_alive: '10m', options: { num_ctx: 2048 } });
      }
    });

    it("the SDK's default (base64, which it decodes) gives the same floats; base64 asked for is OpenAI's encoding", async () => {
      const decoded = await client.embeddings.create({ model, input: 'hello there' });
      expect(decoded.data[0].embedding).toEqual(fakeEmbedding('hello there'));

      const res = await embeddings({ model, input: ['hello there', 'again'], encoding_format: 'base64' });
      expect(res.status).toBe(200);
      expectShape(CREATE_EMBEDDING_RESPONSE, res.json);
      expect(res.json.data.map((d: { embedding: string }) => floatsOf(d.embedding))).toEqual([fakeEmbedding('hello there'), fakeEmbedding('again')]);
    });

    it('dimensions: vectors of that length; /embeddings without /v1 too', async () => {
      const res = await embeddings({ model, input: 'short one', dimensions: 3 }, '/embeddings');
      expect(res.status).toBe(200);
      expect(res.json.data[0].embedding).toEqual(fakeEmbedding('short one', 3));
      expect(upstream().received[0].body).toMatchObject({ dimensions: 3 });
    });

    it("LangChain's OpenAIEmbeddings: embedDocuments and embedQuery", async () => {
      const lc = new OpenAIEmbeddings({ model, apiKey: key, configuration: { baseURL: `${stack.url}/v1` }, maxRetries: 0 });
      const documents = ['first document', 'second one', 'third'];
      expect(await lc.embedDocuments(documents)).toEqual(documents.map((text) => fakeEmbedding(text)));
      expect(await lc.embedQuery('a question')).toEqual(fakeEmbedding('a question'));
      // The documents went in one call.
      expect(upstream().received).toHaveLength(2);
      expect(upstream().received[0].body).toMatchObject({ input: documents });
    });
  });

  it('token ids: embedded by an OpenAI-compatible deployment; for Ollama a 400 that says why, never sent', async () => {
    const tokens = [[1, 2, 3], [4]];
    const served = await client.embeddings.create({ model: 'text-embedding-3-small', input: tokens, encoding_format: 'float' });
    expect(served.data.map((d) => d.embedding)).toEqual(tokens.map((t) => fakeEmbedding(t)));
    expect(served.usage.prompt_tokens).toBe(4);
    expect(openai.received[0].body).toMatchObject({ input: tokens });

    for (const input of [tokens, [5, 6, 7]]) {
      const res = await embeddings({ model: 'nomic-embed-text', input });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: 'input' });
      expect(res.json.error.message).toContain('ollama embeds text only: input must be a string or an array of strings, not token ids');
    }
    expect(ollama.total).toBe(0);
  });

  it("bills an embeddings call at the model's list price: one spend log row, input tokens only, the key's spend", async () => {
    const { key: billed, token } = await generateKey(stack.url, { key_alias: 'embeddings-billing' });
    const answer = await sdk(stack.url, billed).embeddings.create(
      { model: 'text-embedding-3-small', input: 'count these four words' },
      { headers: { 'x-request-id': 'embeddings-billing-1' } },
    );
    expect(answer.usage.prompt_tokens).toBe(4);
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=embeddings-billing-1'),
      (res) => res.json.length === 1,
    );
    expect(logs.json[0]).toMatchObject({
      api_key: token,
      model_group: 'text-embedding-3-small',
      status: 'success',
      prompt_tokens: 4,
      completion_tokens: 0,
      total_tokens: 4,
    });
    // text-embedding-3-small: $0.02 per 1M tokens.
    expect(logs.json[0].spend).toBeCloseTo(4 * 0.02e-6, 15);
    const info = await eventually(
      () => call(stack.url, `/key/info?key=${token}`),
      (res) => res.json.info.spend > 0,
    );
    expect(info.json.info.spend).toBeCloseTo(logs.json[0].spend, 15);
  });

  describe("a call to a model of the other mode is the caller's 400, never sent", () => {
    const hello = { messages: [{ role: 'user', content: 'hello there' }] };

    it.each([
      ['chat', '/v1/chat/completions', { model: 'text-embedding-3-small', ...hello }, 'is an embedding model'],
      ['chat', '/v1/chat/completions', { model: 'nomic-embed-text', ...hello }, 'is an embedding model'],
      ['chat', '/v1/chat/completions', { model: 'local-embedder', ...hello }, 'is an embedding model (model_info.mode: embedding)'],
      ['Responses', '/v1/responses', { model: 'local-embedder', input: 'hello' }, 'is an embedding model'],
      ['legacy completions', '/v1/completions', { model: 'nomic-embed-text', prompt: 'hello' }, 'is an embedding model'],
      ['embeddings', '/v1/embeddings', { model: 'gpt-4o-mini', input: 'hello' }, 'does not serve embeddings (no model_info.mode: chat by default)'],
      ['embeddings', '/v1/embeddings', { model: 'llama3.2', input: 'hello' }, 'set model_info.mode: embedding'],
    ])('%s %#', async (_api, path, body, words) => {
      const res = await call(stack.url, path, { body, key });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: 'model' });
      expect(res.json.error.message).toContain(words);
      expect(openai.total + ollama.total).toBe(0);
    });

    it("Anthropic's Messages API too, in its own error shape", async () => {
      const res = await call(stack.url, '/v1/messages', { body: { model: 'nomic-embed-text', max_tokens: 10, ...hello }, key });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('is an embedding model') } });
    });
  });

  it('a malformed body is a 400 naming the field, never sent, and not counted against the deployment', async () => {
    for (let i = 0; i <= ALLOWED_FAILS * 2; i++) {
      for (const [body, param] of [
        [{ model: 'nomic-embed-text', input: [] }, 'input'],
        [{ model: 'nomic-embed-text', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
        [{ model: 'nomic-embed-text', input: [1, 2] }, 'input'],
        [{ model: 'nomic-embed-text' }, 'input'],
      ] as const) {
        const res = await embeddings(body);
        expect({ status: res.status, param: res.json?.error?.param }).toEqual({ status: 400, param });
      }
    }
    expect(ollama.total).toBe(0);
    const served = await embeddings({ model: 'nomic-embed-text', input: 'still here' });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-switchyard-model-id')).toBe('ollama-embed');
  });

  it("holds the input against the key's tpm_limit, nothing for output, and counts its rpm_limit", async () => {
    // A chat call to an Ollama model would reserve its 4,096 tokens of output and be refused.
    const { key: small } = await generateKey(stack.url, { tpm_limit: 50, rpm_limit: 2 });
    const embed = () => call(stack.url, '/v1/embeddings', { body: { model: 'nomic-embed-text', input: 'a few words here' }, key: small });
    expect((await embed()).status).toBe(200);
    const chat = await call(stack.url, '/v1/chat/completions', { body: { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] }, key: small });
    expect({ status: chat.status, code: chat.json.error.code }).toEqual({ status: 429, code: 'tokens_over_limit' });
    expect((await embed()).status).toBe(200);
    const third = await embed();
    expect({ status: third.status, code: third.json.error.code }).toEqual({ status: 429, code: 'rate_limit_exceeded' });
    expect(third.json.error.message).toContain('rpm_limit');

    const tooLong = await call(stack.url, '/v1/embeddings', { body: { model: 'nomic-embed-text', input: 'x'.repeat(400) }, key: small });
    expect(tooLong.status).toBe(429);
    expect(tooLong.json.error.message).toContain('this call may use 100 tokens (input about 100)');
  });

  it("answers with LiteLLM's headers, and its spend log row names the embeddings API", async () => {
    const res = await call(stack.url, '/v1/embeddings', {
      body: { model: 'nomic-embed-text', input: 'tag me' },
      key,
      headers: { 'x-request-id': 'embeddings-headers-1', 'x-litellm-tags': 'search' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-litellm-call-id')).toBe('embeddings-headers-1');
    expect(res.headers.get('x-litellm-model-id')).toBe('ollama-embed');
    expect(res.headers.get('x-litellm-model-group')).toBe('nomic-embed-text');
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=embeddings-headers-1'),
      (r) => r.json.length === 1,
    );
    expect(logs.json[0]).toMatchObject({ api: 'embeddings', model_group: 'nomic-embed-text' });
    expect(logs.json[0].request_tags).toEqual(expect.arrayContaining(['search']));
  });

  it('a wildcard model serves embeddings of the model it names, without the parameters its deployment drops', async () => {
    const res = await embeddings({ model: 'local/nomic-embed-text', input: ['a', 'b'], dimensions: 3 });
    expect(res.status).toBe(200);
    expectShape(CREATE_EMBEDDING_RESPONSE, res.json);
    expect(res.json.model).toBe('local/nomic-embed-text');
    expect(res.headers.get('x-switchyard-model-id')).toBe('local-wildcard');
    expect(res.json.data.map((d: { embedding: number[] }) => d.embedding)).toEqual([fakeEmbedding('a'), fakeEmbedding('b')]);
    expect(ollama.received).toHaveLength(1);
    expect(ollama.received[0].body).toEqual({ model: 'nomic-embed-text', input: ['a', 'b'] });

    // Through the wildcard to a chat model: the mode check reads the model it names.
    const chatModel = await embeddings({ model: 'local/llama3.2', input: 'a' });
    expect(chatModel.status).toBe(400);
    expect(chatModel.json.error).toMatchObject({ param: 'model', message: expect.stringContaining('does not serve embeddings') });
    expect(ollama.received).toHaveLength(1);
  });

  it('falls back to the next embedding model when its deployment fails', async () => {
    // A 500 (Ollama's 503 is its queue being full: the call waits for the same deployment instead).
    ollama.failNext(1, 500);
    const res = await embeddings({ model: 'flaky-embed', input: ['a', 'b'] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-model-id')).toBe('openai-embed');
    expect(res.json.model).toBe('flaky-embed');
    expect(res.json.data.map((d: { embedding: number[] }) => d.embedding)).toEqual([fakeEmbedding('a'), fakeEmbedding('b')]);
    expect(openai.received[0].body).toMatchObject({ model: 'text-embedding-3-small', input: ['a', 'b'] });
  });

  it('is in the API docs with its body', async () => {
    const docs = await call(stack.url, '/openapi.json');
    expect(Object.keys(docs.json.paths)).toEqual(expect.arrayContaining(['/v1/embeddings', '/embeddings']));
    const body = docs.json.paths['/v1/embeddings'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['model', 'input']));
    expect(body.properties.encoding_format.enum).toEqual(['float', 'base64']);
  });

  it('retries an upstream failure on the same deployment and answers', async () => {
    ollama.failNext(1, 500);
    const res = await embeddings({ model: 'nomic-embed-text', input: ['a', 'b'] });
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(2);
    expect(ollama.received.filter((r) => r.path === '/api/embed')).toHaveLength(2);
  });
});
