import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import {
  FakeOllamaServer,
  FakeOpenAIServer,
  MASTER_KEY,
  MODEL_GROUP_INFO_SHAPE,
  type Stack,
  call,
  eventually,
  expectShape,
  generateKey,
  launchChromium,
  sdk,
  startStack,
} from '@test/support';

jest.setTimeout(60_000);

/** Wildcards of two providers and a catch-all, access groups, and drop_params on one of two Ollama deployments. */
function config(cloud: FakeOpenAIServer, other: FakeOpenAIServer, ollama: FakeOllamaServer): string {
  return `model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: "${cloud.url}", api_key: sk-cloud, rpm: 60}
    model_info: {access_groups: [beta], supports_vision: true}
  - model_name: "openai/*"
    litellm_params: {model: "openai/*", api_base: "${cloud.url}", api_key: sk-cloud}
  - model_name: "ollama/*"
    litellm_params: {model: "ollama/*", api_base: "${ollama.origin}"}
    model_info: {access_groups: [local]}
  - model_name: "*"
    litellm_params: {model: "*", api_base: "${other.url}", api_key: sk-other}
  - model_name: strict-local
    litellm_params: {model: ollama/llama3.2, api_base: "${ollama.origin}"}
    model_info: {access_groups: [local]}
  - model_name: loose-local
    litellm_params: {model: ollama/llama3.2, api_base: "${ollama.origin}", drop_params: true}
  - model_name: quiet-cloud
    litellm_params: {model: openai/gpt-4o-mini, api_base: "${cloud.url}", api_key: sk-cloud, additional_drop_params: [user, logit_bias]}
  - model_name: embedder
    litellm_params: {model: openai/text-embedding-3-small, api_base: "${cloud.url}", api_key: sk-cloud}
    model_info: {mode: embedding, access_groups: [beta, search]}
`;
}

const hi = [{ role: 'user' as const, content: 'hi' }];

describe('wildcard model names, access groups, drop_params and /model_group/info', () => {
  const cloud = new FakeOpenAIServer();
  const other = new FakeOpenAIServer();
  const ollama = new FakeOllamaServer({ models: ['llama3.2', 'qwen3:4b'] });
  const fakes = [cloud, other, ollama];
  let stack: Stack;

  const list = async (key: string) => {
    const ids: string[] = [];
    for await (const model of sdk(stack.url, key).models.list()) ids.push(model.id);
    return ids;
  };

  beforeAll(async () => {
    await Promise.all(fakes.map((f) => f.start()));
    stack = await startStack({ config: config(cloud, other, ollama), env: { STORE_MODEL_IN_DB: 'True' } });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all(fakes.map((f) => f.stop()));
  });
  beforeEach(() => fakes.forEach((f) => f.reset()));

  it('forwards openai/<x> upstream as <x>, streamed or not; an exact name wins over the pattern; * catches the rest', async () => {
    const client = sdk(stack.url);
    const answer = await client.chat.completions.create({ model: 'openai/gpt-4.1-mini', messages: hi });
    expect(answer.model).toBe('openai/gpt-4.1-mini');
    expect(cloud.received.at(-1)?.body).toMatchObject({ model: 'gpt-4.1-mini' });

    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ model: 'openai/o3-mini', messages: hi, stream: true })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(0);
    expect(cloud.received.at(-1)?.body).toMatchObject({ model: 'o3-mini', stream: true });

    await client.chat.completions.create({ model: 'gpt-4o', messages: hi });
    expect(cloud.received.at(-1)?.body).toMatchObject({ model: 'gpt-4o' });

    await client.chat.completions.create({ model: 'mistral-large', messages: hi });
    expect(other.received.at(-1)?.body).toMatchObject({ model: 'mistral-large' });
    expect(other.received.at(-1)?.headers.authorization).toBe('Bearer sk-other');
  });

  it('bills a wildcard call as the concrete upstream model it reached, at its known price', async () => {
    const requestId = 'wildcard-bill-1';
    const res = await call(stack.url, '/v1/chat/completions', { body: { model: 'openai/gpt-4.1-mini', messages: hi }, headers: { 'x-request-id': requestId } });
    expect(res.status).toBe(200);
    const rows = await eventually(
      () => call(stack.url, `/spend/logs?request_id=${requestId}`),
      (r) => Array.isArray(r.json) && r.json.length > 0,
    );
    expect(rows.json[0]).toMatchObject({ model_group: 'openai/gpt-4.1-mini', model: 'gpt-4.1-mini', custom_llm_provider: 'openai' });
    const { prompt_tokens, completion_tokens, spend } = rows.json[0];
    expect(spend).toBeCloseTo(prompt_tokens * 0.4e-6 + completion_tokens * 1.6e-6, 12);
  });

  it('routes a wildcard model stored in the database, its worker filling in the upstream model', async () => {
    const created = await call(stack.url, '/model/new', {
      body: { model_name: 'team/*', litellm_params: { model: 'openai/*', api_base: cloud.url, api_key: 'sk-team-secret' }, model_info: { id: 'team-wild' } },
    });
    expect(created.status).toBe(200);
    const answer = await sdk(stack.url).chat.completions.create({ model: 'team/gpt-4o-mini', messages: hi });
    expect(answer.model).toBe('team/gpt-4o-mini');
    expect(cloud.received.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(cloud.received.at(-1)?.headers.authorization).toBe('Bearer sk-team-secret');
    await call(stack.url, '/model/delete', { body: { id: 'team-wild' } });
  });

  it('sends ollama/<x> to Ollama as <x>, and the Responses API takes the same route', async () => {
    const answer = await sdk(stack.url).chat.completions.create({ model: 'ollama/qwen3:4b', messages: hi });
    expect(answer.choices[0].message.content).toBe('echo: hi');
    expect(ollama.received.at(-1)?.body).toMatchObject({ model: 'qwen3:4b' });
    const response = await sdk(stack.url).responses.create({ model: 'ollama/llama3.2', input: 'hi', store: false });
    expect(response.model).toBe('ollama/llama3.2');
    expect(ollama.received.at(-1)?.body).toMatchObject({ model: 'llama3.2' });
  });

  it('lists concrete names, never a pattern: Ollama’s /api/tags for ollama/*, the known OpenAI models for openai/*', async () => {
    const ids = await list(MASTER_KEY);
    expect(ids.some((id) => id.includes('*'))).toBe(false);
    expect(ids).toEqual(
      expect.arrayContaining(['gpt-4o', 'ollama/llama3.2:latest', 'ollama/qwen3:4b', 'openai/gpt-4o-mini', 'openai/o3-mini', 'strict-local']),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ollama.received.filter((r) => r.path === '/api/tags').length).toBeGreaterThan(0);
    // The server's list is reused for a while, not asked again on every listing.
    const asked = ollama.received.length;
    await list(MASTER_KEY);
    expect(ollama.received.length).toBe(asked);
    expect((await sdk(stack.url).models.retrieve('openai/gpt-4.1')).owned_by).toBe('openai');
  });

  it('lets a key allowed "openai/*" call and list openai/<x> only; a key allowed "gpt-4o" may not call openai/gpt-4o-mini', async () => {
    const { key: wild } = await generateKey(stack.url, { models: ['openai/*'] });
    await sdk(stack.url, wild).chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hi });
    expect(cloud.received.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    const ids = await list(wild);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.startsWith('openai/'))).toBe(true);
    const elsewhere = await sdk(stack.url, wild)
      .chat.completions.create({ model: 'ollama/llama3.2', messages: hi })
      .catch((e) => e);
    expect(elsewhere).toBeInstanceOf(OpenAI.PermissionDeniedError);

    const { key: one } = await generateKey(stack.url, { models: ['gpt-4o'] });
    const refused = await sdk(stack.url, one)
      .chat.completions.create({ model: 'openai/gpt-4o-mini', messages: hi })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused.status).toBe(403);
    expect(await list(one)).toEqual(['gpt-4o']);
  });

  it('lets a key holding an access group call and list every model of the group, and refuses the others', async () => {
    const { key } = await generateKey(stack.url, { models: ['local'] });
    const client = sdk(stack.url, key);
    expect(await list(key)).toEqual(expect.arrayContaining(['ollama/llama3.2:latest', 'ollama/qwen3:4b', 'strict-local']));
    expect((await list(key)).every((id) => id.startsWith('ollama/') || id === 'strict-local')).toBe(true);
    await client.chat.completions.create({ model: 'strict-local', messages: hi });
    await client.chat.completions.create({ model: 'ollama/qwen3:4b', messages: hi });
    const refused = await client.chat.completions.create({ model: 'gpt-4o', messages: hi }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(refused.error).toMatchObject({ code: 'model_not_allowed', param: 'model' });
    expect(cloud.total).toBe(0);

    const { key: beta } = await generateKey(stack.url, { models: ['beta'] });
    expect((await list(beta)).sort()).toEqual(['embedder', 'gpt-4o']);
  });

  it('refuses what Ollama cannot honour with a 400 naming the parameter and drop_params, and drops it where drop_params is on', async () => {
    const refused = await call(stack.url, '/v1/chat/completions', { body: { model: 'strict-local', messages: hi, n: 2 } });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'invalid_request', param: 'n' });
    expect(refused.json.error.message).toContain('drop_params');
    expect(ollama.total).toBe(0);

    const dropped = await sdk(stack.url).chat.completions.create({ model: 'loose-local', messages: hi, n: 2 });
    expect(dropped.choices).toHaveLength(1);
    expect(ollama.total).toBe(1);
  });

  it('never sends additional_drop_params upstream', async () => {
    await sdk(stack.url).chat.completions.create({ model: 'quiet-cloud', messages: hi, user: 'end-user-1', logit_bias: { '50256': -100 }, seed: 7 });
    const body = cloud.received.at(-1)?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'gpt-4o-mini', seed: 7 });
    expect(body).not.toHaveProperty('user');
    expect(body).not.toHaveProperty('logit_bias');
  });

  it('describes model groups in LiteLLM’s /model_group/info shape, only those the key may use, without secrets', async () => {
    const all = await call(stack.url, '/model_group/info');
    expect(all.status).toBe(200);
    expectShape(MODEL_GROUP_INFO_SHAPE, all.json);
    expect(all.text).not.toContain('sk-cloud');
    expect(all.text).not.toContain(cloud.url);
    const byName = new Map(all.json.data.map((g: { model_group: string }) => [g.model_group, g]));
    expect(byName.get('gpt-4o')).toMatchObject({
      providers: ['openai'],
      mode: 'chat',
      rpm: 60,
      tpm: null,
      max_output_tokens: 16_384,
      input_cost_per_token: 2.5e-6,
      supports_vision: true,
      supports_function_calling: true,
      supports_parallel_function_calling: true,
      supported_openai_params: expect.arrayContaining(['tools', 'n', 'logprobs']),
    });
    expect(byName.get('strict-local')).toMatchObject({ providers: ['ollama'], supports_parallel_function_calling: false, input_cost_per_token: null });
    expect((byName.get('strict-local') as { supported_openai_params: string[] }).supported_openai_params).not.toContain('logprobs');
    expect(byName.get('embedder')).toMatchObject({ mode: 'embedding' });

    const { key } = await generateKey(stack.url, { models: ['local'] });
    const mine = await call(stack.url, '/model_group/info', { key });
    expectShape(MODEL_GROUP_INFO_SHAPE, mine.json);
    expect(mine.json.data.map((g: { model_group: string }) => g.model_group).sort()).toEqual(['ollama/*', 'strict-local']);
    expect((await call(stack.url, '/model_group/info', { key: null })).status).toBe(401);
  });

  describe('the admin UI’s models page, in headless Chromium', () => {
    let browser: Browser;
    afterAll(() => browser?.close());

    it('shows each model’s mode and access groups', async () => {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${stack.url}/ui`);
      await page.getByLabel(/^Password/).fill(MASTER_KEY);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Virtual Keys' }).waitFor();
      await page.getByRole('link', { name: 'Models' }).click();
      const table = page.locator('#models-table');
      await table.getByText('embedder').waitFor();
      const headings = await table.locator('thead th').allTextContents();
      const row = async (name: string) => {
        const cells = await table
          .locator('tbody tr', { has: page.getByRole('cell', { name, exact: true }) })
          .first()
          .locator('td')
          .allTextContents();
        return Object.fromEntries(headings.map((h, i) => [h, cells[i]]));
      };
      expect(await row('embedder')).toMatchObject({ Mode: 'embedding', 'Access groups': 'beta, search' });
      expect(await row('gpt-4o')).toMatchObject({ Mode: 'chat', 'Access groups': 'beta' });
      expect(await row('loose-local')).toMatchObject({ Mode: 'chat', 'Access groups': '—' });
    });
  });
});
