import { once } from 'node:events';
import { FakeOpenAIServer } from '../../../test/fakes/fake-openai.server';
import { UpstreamHttpClient, UpstreamTransportError } from './upstream-http.client';

describe('UpstreamHttpClient', () => {
  const fake = new FakeOpenAIServer();
  const http = new UpstreamHttpClient();
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] };

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.stop();
  });

  it('posts JSON with the given headers and returns status, lower-case headers and text', async () => {
    fake.failNext(1, 429, 'slow down', { 'Retry-After': '2' });
    const response = await http.postJson(`${fake.url}/chat/completions?x=1`, chat, { headers: { authorization: 'Bearer k' }, timeoutMs: 2000 });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('2');
    expect(JSON.parse(response.text)).toMatchObject({ error: { message: 'slow down' } });
    expect(fake.received[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: chat });
    expect(fake.received[0].headers).toMatchObject({ authorization: 'Bearer k', 'content-type': 'application/json' });
  });

  it('keeps connections alive between calls', async () => {
    const pooled = new UpstreamHttpClient();
    for (let i = 0; i < 5; i++) await pooled.postJson(`${fake.url}/chat/completions`, chat, { timeoutMs: 2000 });
    await pooled.close();
    expect(fake.total).toBe(5);
    // undici may open a second socket while the first is being released; it never opens one per call.
    expect(fake.connections).toBeLessThanOrEqual(2);
  });

  it('turns a missed deadline into a timeout and closes the connection', async () => {
    fake.delayMs = 1000;
    const closed = once(fake, 'closedEarly');
    const call = http.postJson(`${fake.url}/chat/completions`, chat, { timeoutMs: 50 });
    await expect(call).rejects.toMatchObject({ kind: 'timeout', reason: 'deadline', timeoutMs: 50 });
    await closed;
    expect(fake.closedEarly).toBe(1);
  });

  it("reports the caller's abort as a timeout too", async () => {
    fake.delayMs = 1000;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const call = http.postJson(`${fake.url}/chat/completions`, chat, { timeoutMs: 5000, signal: controller.signal });
    await expect(call).rejects.toMatchObject({ kind: 'timeout', reason: 'aborted' });
  });

  it('turns a refused connection into a connection error naming host:port', async () => {
    const gone = new FakeOpenAIServer();
    const port = await gone.start();
    await gone.stop();
    const call = http.postJson(`${gone.url}/chat/completions`, chat, { timeoutMs: 2000 });
    await expect(call).rejects.toBeInstanceOf(UpstreamTransportError);
    await expect(call).rejects.toMatchObject({ kind: 'connection', target: `127.0.0.1:${port}`, reason: 'ECONNREFUSED' });
  });
});
