import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MASTER_KEY, type Stack, call, fakeEnv, launchChromium, sdk, startFakes, startStack, tutorialConfig } from '@test/support';

const SCREENSHOTS = resolve(__dirname, '../reports/screenshots');
const OLLAMA = 'ollama/gpt-oss:20b';
const OPENAI = 'openai/gpt-4o-mini';

jest.setTimeout(90_000);

describe('admin UI at /ui, in headless Chromium', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the pages asked for: nothing may come from another origin. */
  const requested: string[] = [];
  /** What the browser refused under the pages' Content Security Policy. */
  const refusedByPolicy: string[] = [];
  /** Errors the pages logged or threw, but for the 401 that a wrong login answers. */
  const pageErrors: string[] = [];
  /** The content type of every script the UI loaded, by path. */
  const scripts = new Map<string, string | undefined>();
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const ask = (key: string, model: string) => sdk(stack.url, key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  const keyRow = (alias: string) => page.locator('#keys-table tbody tr', { hasText: alias });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), STORE_MODEL_IN_DB: 'True' } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    page = await context.newPage();
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) refusedByPolicy.push(message.text());
      const wrongLogin = message.location().url.endsWith('/ui/login') && message.text().includes('401');
      if (message.type() === 'error' && !wrongLogin) pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      if (path.startsWith('/ui/') && response.request().resourceType() === 'script') scripts.set(path, response.headers()['content-type']);
    });
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fakes?.stop();
  });

  it('logs in as admin with the master key, refusing a wrong password', async () => {
    await page.goto(`${stack.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe('admin');
    await shot('01-login');
    // The page is ES modules, each served as JavaScript (a browser refuses a module served otherwise).
    expect(scripts.size).toBeGreaterThan(1);
    for (const [path, type] of scripts) expect([path, type]).toEqual([path, 'text/javascript; charset=utf-8']);

    await page.getByLabel(/^Password/).fill('sk-wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('wrong username or password').waitFor();

    await page.getByLabel(/^Password/).fill(MASTER_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Virtual Keys' }).waitFor();
    expect(page.url()).not.toContain(MASTER_KEY);
    const stored = await page.evaluate<string>('JSON.stringify(sessionStorage)');
    expect(stored).not.toContain(MASTER_KEY);
    await shot('02-keys');
  });

  let created = '';
  it('creates a key for one model, shows it once with a copy button, and the key works for that model only', async () => {
    await page.getByLabel('Key name').fill('tutorial-app');
    const models = page.getByRole('group', { name: 'Models' });
    await expect(models.getByRole('checkbox').count()).resolves.toBe(2);
    await models.getByRole('checkbox', { name: OLLAMA }).check();
    await page.getByLabel('Budget resets every').fill('1mo');
    await page.getByLabel('Tags').fill('ui-key-tag, team-x');
    await page.getByRole('button', { name: 'Create Key' }).click();

    const saved = page.getByRole('region', { name: 'Save your key' });
    await saved.waitFor();
    await saved.getByText('This key will not be shown again.').waitFor();
    created = await page.getByLabel('Key', { exact: true }).inputValue();
    expect(created).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    expect((await call(stack.url, '/key/info', { key: created })).json.info).toMatchObject({ budget_duration: '1mo', tags: ['ui-key-tag', 'team-x'] });
    await shot('03-key-created');

    await saved.getByRole('button', { name: 'Copy' }).click();
    await saved.getByText('Copied to the clipboard.').waitFor();
    await expect(page.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(created);

    expect((await ask(created, OLLAMA)).choices[0].message.content).toBe('echo: hi');
    const refused = await ask(created, OPENAI).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);

    await saved.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByLabel('Key', { exact: true }).isVisible()).resolves.toBe(false);
    const row = keyRow('tutorial-app');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain(`sk-...${created.slice(-4)}`);
    await expect(row.textContent()).resolves.toContain(OLLAMA);
    await expect(row.textContent()).resolves.toContain('active');
    expect(await page.content()).not.toContain(created);
  });

  it('blocks and unblocks the key from its row', async () => {
    await page.getByRole('button', { name: 'Block tutorial-app' }).click();
    await keyRow('tutorial-app').getByText('blocked').waitFor();
    expect(await ask(created, OLLAMA).catch((e) => e.status)).toBe(401);
    await page.getByRole('button', { name: 'Unblock tutorial-app' }).click();
    await keyRow('tutorial-app').getByText('active').waitFor();
    expect((await ask(created, OLLAMA)).choices).toHaveLength(1);
  });

  it("lists models without secrets, adds a model to the database from the gateway's provider choices and deletes it", async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    const table = page.locator('#models-table');
    await table.getByText(OPENAI).waitFor();
    await expect(table.textContent()).resolves.toContain('config.yaml');
    expect(await page.content()).not.toContain(fakeEnv(fakes.openai).OPENAI_API_KEY);

    // The provider choices are the gateway's (GET /provider/list, admin only), with what each needs as API base.
    const listed = await call(stack.url, '/provider/list');
    expect(listed.status).toBe(200);
    expect((await call(stack.url, '/provider/list', { key: created })).status).toBe(403);
    expect((await call(stack.url, '/provider/list', { key: null })).status).toBe(401);
    expect(requested.some((url) => new URL(url).pathname === '/provider/list')).toBe(true);
    await page.locator('#add-model summary').click();
    const provider = page.getByLabel('Provider', { exact: true });
    const options = await provider.locator('option').evaluateAll((all) => all.map((o) => [o.getAttribute('value'), o.textContent]));
    expect(options.map(([value]) => value)).toEqual(listed.json.data.map((p: { name: string }) => p.name));
    expect(options).toEqual(
      expect.arrayContaining([
        ['hosted_vllm', 'vLLM (hosted_vllm/)'],
        ['lm_studio', 'LM Studio (lm_studio/)'],
        ['ollama', 'Ollama (ollama/)'],
      ]),
    );
    const apiBase = page.getByLabel(/^API base/);
    const hint = page.locator('#model-api-base-hint');
    for (const name of ['hosted_vllm', 'lm_studio']) {
      await provider.selectOption(name);
      const { api_base_hint } = listed.json.data.find((p: { name: string }) => p.name === name);
      await expect(hint.textContent()).resolves.toBe(api_base_hint);
      await expect(apiBase.getAttribute('required')).resolves.not.toBeNull();
      await expect(page.getByText('API base (required)').isVisible()).resolves.toBe(true);
    }
    await shot('04-add-model-vllm');
    await page.getByLabel(/^Model name/).fill('ui/llama');
    await provider.selectOption('ollama');
    await expect(apiBase.getAttribute('required')).resolves.toBeNull();
    await expect(apiBase.getAttribute('placeholder')).resolves.toBe('http://localhost:11434');
    await page.getByLabel('Upstream model').fill('llama3.2');
    await page.getByLabel(/^API base/).fill(fakes.ollama.origin);
    await page.getByRole('button', { name: 'Add Model' }).click();
    const row = table.locator('tbody tr', { hasText: 'ui/llama' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('database');
    await shot('05-models');
    expect((await ask(MASTER_KEY, 'ui/llama')).choices[0].message.content).toBe('echo: hi');

    await row.getByRole('button', { name: /^Delete ui\/llama/ }).click();
    await row.waitFor({ state: 'detached' });
    expect(await ask(MASTER_KEY, 'ui/llama').catch((e) => e.status)).toBe(404);
  });

  it('shows requests, tokens and spend per key, per model and per tag, and the latest calls with their API, on the usage page', async () => {
    await sdk(stack.url).chat.completions.create({ model: OLLAMA, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-litellm-tags': 'ui-tag' } });
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    // The calls made above reach the spend log within about a second: reload until they show.
    const row = page.locator('#usage-keys-table tbody tr', { hasText: 'tutorial-app' });
    const tagRow = page.locator('#usage-tags-table tbody tr', { hasText: 'ui-tag' });
    for (let i = 0; i < 20 && !((await row.count()) && (await tagRow.count())); i++) {
      await page.waitForTimeout(250);
      await page.evaluate('window.dispatchEvent(new HashChangeEvent("hashchange"))');
    }
    const cells = await row.locator('td').allTextContents();
    // Name, key, requests (the allowed call, then two after unblocking; refusals never reach a model), tokens, spend.
    expect(cells.slice(0, 2)).toEqual(['tutorial-app', `sk-...${created.slice(-4)}`]);
    expect(Number(cells[2])).toBeGreaterThanOrEqual(2);
    expect(Number(cells[3])).toBeGreaterThan(0);
    expect(cells[4]).toBe('0.00');
    await page.locator('#usage-models-table tbody tr', { hasText: OLLAMA }).waitFor();
    expect((await tagRow.locator('td').allTextContents()).slice(0, 2)).toEqual(['ui-tag', '1']);
    await page.locator('#usage-tags-table tbody tr', { hasText: 'ui-key-tag' }).waitFor();
    const latest = await page.locator('#usage-logs-table tbody tr').first().locator('td').allTextContents();
    expect(latest.slice(1, 5)).toEqual(['master key', OLLAMA, 'chat_completions', 'ui-tag']);
    await shot('06-usage');
  });

  it('deletes the key, after which it is refused', async () => {
    await page.getByRole('link', { name: 'Virtual Keys' }).click();
    await page.getByRole('button', { name: 'Delete tutorial-app' }).click();
    await keyRow('tutorial-app').waitFor({ state: 'detached' });
    const refused = await ask(created, OLLAMA).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('logs out, which ends the session on the server too, after which the pages need a new login', async () => {
    const token = await page.evaluate<string>('JSON.parse(sessionStorage.getItem("switchyard.session")).token');
    expect((await call(stack.url, '/key/list', { key: token })).status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    // A copy of the token (a screenshot, a log, another tab) is of no use any more.
    expect((await call(stack.url, '/key/list', { key: token })).status).toBe(401);
    await page.goto(`${stack.url}/ui/#/keys`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(refusedByPolicy).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('serves the API docs at / from this gateway alone, under the same Content Security Policy as the UI', async () => {
    const docs = await page.goto(`${stack.url}/`);
    const ui = await call(stack.url, '/ui/', { key: null });
    expect(ui.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(docs!.headers()['content-security-policy']).toBe(ui.headers.get('content-security-policy'));
    expect(docs!.headers()['x-content-type-options']).toBe('nosniff');
    await page.locator('.swagger-ui .info').waitFor();
    await page.getByText('/v1/chat/completions', { exact: true }).first().waitFor();
    await page.getByText('/key/generate', { exact: true }).click();
    await page.getByRole('button', { name: 'Try it out' }).waitFor();
    await page.getByText('/health/readiness', { exact: true }).waitFor();
    await shot('07-api-docs');
    const foreign = requested.filter((url) => new URL(url).origin !== stack.url && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(refusedByPolicy).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
