import IORedis from 'ioredis';
import { MASTER_KEY, type Stack, TEST_REDIS_URL, call, fakeEnv, startFakes, startStack, tutorialConfig } from '@test/support';

const TTL_S = 600;

describe('logging out ends the session', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let other: string;
  const login = async (url: string) => {
    const res = await call(url, '/ui/login', { key: null, body: { username: 'admin', password: MASTER_KEY } });
    expect(res.status).toBe(200);
    return res.json.token as string;
  };
  const keyList = (url: string, session: string) => call(url, '/key/list', { key: session });

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), UI_SESSION_TTL: String(TTL_S) } });
    other = (await stack.startGateway()).url;
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });

  it('ends the session on every gateway replica, and only that session', async () => {
    const session = await login(stack.url);
    const second = await login(stack.url);
    for (const url of [stack.url, other]) expect((await keyList(url, session)).status).toBe(200);

    const out = await call(other, '/ui/logout', { key: session, body: {} });
    expect(out.status).toBe(200);
    for (const url of [stack.url, other]) {
      const refused = await keyList(url, session);
      expect(refused.status).toBe(401);
      expect(refused.json.error.message).toContain('log in again');
    }
    expect((await call(stack.url, '/ui/logout', { key: session, body: {} })).status).toBe(401);
    expect((await keyList(stack.url, second)).status).toBe(200);
  });

  it('remembers the revocation only until the token would have expired anyway', async () => {
    const session = await login(stack.url);
    await call(stack.url, '/ui/logout', { key: session, body: {} });
    const redis = new IORedis(TEST_REDIS_URL);
    try {
      const keys = await redis.keys(`${stack.prefix}:auth:revoked-session:*`);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(TTL_S * 1000);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('needs a session to end: the master key itself cannot be logged out', async () => {
    const res = await call(stack.url, '/ui/logout', { body: {} });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_request');
    expect((await call(stack.url, '/key/list')).status).toBe(200);
  });

  it('ends every session when the master key or UI_PASSWORD changes', async () => {
    const session = await login(stack.url);
    const newMaster = await stack.startGateway({ MASTER_KEY: 'sk-a-new-master-key-4321' });
    const newPassword = await stack.startGateway({ UI_PASSWORD: 'a-new-ui-password' });
    for (const url of [newMaster.url, newPassword.url]) {
      const refused = await keyList(url, session);
      expect(refused.status).toBe(401);
      expect(refused.json.error.code).toBe('invalid_api_key');
    }
    expect((await call(newMaster.url, '/key/list', { key: 'sk-a-new-master-key-4321' })).status).toBe(200);
    expect((await keyList(stack.url, session)).status).toBe(200);
  });
});
