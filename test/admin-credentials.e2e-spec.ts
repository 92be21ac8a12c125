import { type AppProcess, MASTER_KEY, type Stack, call, fakeEnv, generateKey, startAppProcess, startFakes, startStack, tutorialConfig } from '@test/support';

const HELLO = { model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hi' }] };
let nextAddress = 1;
/** A client address no other test uses (TEST-NET-2), sent through the trusted proxy header. */
const newAddress = () => `198.51.100.${nextAddress++}`;

describe('admin credentials cannot be guessed', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  // Two replicas behind a load balancer: both believe the X-Forwarded-For of loopback peers.
  let a: string;
  let b: string;
  const from = (url: string, address: string, path: string, init: { key?: string | null; body?: unknown; method?: string } = {}) =>
    call(url, path, { ...init, headers: { 'x-forwarded-for': address } });
  const login = (url: string, address: string, password: string) => from(url, address, '/ui/login', { key: null, body: { username: 'admin', password } });

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), TRUST_PROXY: 'loopback' } });
    a = stack.url;
    b = (await stack.startGateway()).url;
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });

  it('refuses an address with 429 and Retry-After after 10 wrong keys on admin routes, even with the master key; other addresses go on', async () => {
    const attacker = newAddress();
    for (let i = 0; i < 10; i++) {
      const res = await from(a, attacker, '/key/list', { key: `sk-guess-${i}` });
      expect({ status: res.status, code: res.json.error.code }).toEqual({ status: 403, code: 'admin_only' });
    }
    const locked = await from(a, attacker, '/key/list');
    expect(locked.status).toBe(429);
    expect(locked.json.error).toMatchObject({ code: 'rate_limit_exceeded', param: null });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(250);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(300);
    expect(locked.text).not.toContain(MASTER_KEY);
    // A wrong guess now looks exactly like the right key: 429 either way.
    const guess = await from(a, attacker, '/key/list', { key: 'sk-guess-again' });
    expect({ status: guess.status, code: guess.json.error.code }).toEqual({ status: 429, code: 'rate_limit_exceeded' });

    // The admin elsewhere is not locked out, on either replica.
    expect((await from(a, newAddress(), '/key/list')).status).toBe(200);
    expect((await from(b, newAddress(), '/key/list')).status).toBe(200);
  });

  it('counts wrong keys on model routes too, where the master key also works', async () => {
    const attacker = newAddress();
    for (let i = 0; i < 10; i++) expect((await from(a, attacker, '/v1/models', { key: `sk-guess-${i}` })).status).toBe(401);
    const locked = await from(a, attacker, '/v1/chat/completions', { body: HELLO });
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('rate_limit_exceeded');
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await from(a, newAddress(), '/v1/chat/completions', { body: HELLO })).status).toBe(200);
  });

  it('still serves a real virtual key and a real UI session from a locked-out address: neither says anything about the master key', async () => {
    const shared = newAddress();
    const { key } = await generateKey(a);
    const session = (await login(a, shared, MASTER_KEY)).json.token as string;
    for (let i = 0; i < 10; i++) await from(a, shared, '/v1/models', { key: `sk-guess-${i}` });
    expect((await from(a, shared, '/key/list')).status).toBe(429);
    expect((await from(a, shared, '/v1/chat/completions', { key, body: HELLO })).status).toBe(200);
    expect((await from(a, shared, '/key/list', { key: session })).status).toBe(200);
    // A forged session is a wrong key like any other.
    expect((await from(a, shared, '/key/list', { key: `${session.slice(0, -2)}xx` })).status).toBe(429);
  });

  it('shares one count between the UI login and every other route', async () => {
    const attacker = newAddress();
    for (let i = 0; i < 5; i++) expect((await login(a, attacker, `sk-guess-${i}`)).status).toBe(401);
    for (let i = 5; i < 10; i++) expect((await from(a, attacker, '/key/info', { key: `sk-guess-${i}` })).status).toBe(401);
    expect((await login(a, attacker, MASTER_KEY)).status).toBe(429);
    expect((await login(a, newAddress(), MASTER_KEY)).status).toBe(200);
  });

  it('adds up the failures an address makes on different gateway replicas', async () => {
    const attacker = newAddress();
    for (let i = 0; i < 5; i++) expect((await from(a, attacker, '/key/list', { key: `sk-a-${i}` })).status).toBe(403);
    for (let i = 0; i < 5; i++) expect((await from(b, attacker, '/key/list', { key: `sk-b-${i}` })).status).toBe(403);
    // Replica b counted the tenth failure and knows; replica a learns it at its next failure.
    expect((await from(b, attacker, '/key/list')).status).toBe(429);
    expect((await from(a, attacker, '/key/list', { key: 'sk-a-last' })).status).toBe(403);
    expect((await from(a, attacker, '/key/list')).status).toBe(429);
  });

  describe('a gateway started with the tutorial master key', () => {
    let gateway: AppProcess | undefined;
    afterAll(() => gateway?.stop());

    it('warns at boot, naming the reason but not the key, and the key keeps working', async () => {
      gateway = await startAppProcess('gateway', { ...stack.env, MASTER_KEY: 'sk-1234', LOG_LEVEL: 'warn', DISABLE_SCHEMA_UPDATE: 'true' });
      const output = gateway.child.output();
      expect(output).toMatch(/master key is the example value/);
      expect(output).not.toContain('sk-1234');
      expect((await call(gateway.url, '/key/list', { key: 'sk-1234' })).status).toBe(200);
    });
  });
});
