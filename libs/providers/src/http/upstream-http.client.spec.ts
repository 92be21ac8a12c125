import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeOpenAIServer } from '@test/support';
import { UpstreamHttpClient, type UpstreamLines, type UpstreamStreamResponse, UpstreamTransportError, splitLines } from './upstream-http.client';

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

describe('UpstreamHttpClient.postStream', () => {
  const fake = new FakeOpenAIServer();
  const http = new UpstreamHttpClient();
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], stream: true };
  const url = () => `${fake.url}/chat/completions`;

  const linesOf = (response: UpstreamStreamResponse): UpstreamLines => {
    if (!response.ok) throw new Error(`expected a 2xx, got ${response.status}`);
    return response.lines;
  };
  const readAll = async (lines: AsyncIterable<string>): Promise<string[]> => {
    const all: string[] = [];
    for await (const line of lines) all.push(line);
    return all;
  };
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => error,
    );
  /** Resolves when the fake sees a client hang up; fails after `ms`. */
  const hangUpWithin = (ms: number) =>
    new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const timer = setTimeout(() => reject(new Error(`no hang-up within ${ms} ms`)), ms);
      fake.once('closedEarly', () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
    });

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.stop();
  });

  it('hands back a 2xx body line by line, with status and lower-case headers', async () => {
    const response = await http.postStream(url(), chat, { headers: { authorization: 'Bearer k' }, timeoutMs: 2000 });
    expect(response).toMatchObject({ ok: true, status: 200, headers: { 'content-type': 'text/event-stream' } });
    const lines = await readAll(linesOf(response));
    expect(lines.slice(-2)).toEqual(['data: [DONE]', '']);
    expect(lines.filter((line) => line.startsWith('data: {')).map((line) => JSON.parse(line.slice(6)).object)).toContain('chat.completion.chunk');
    expect(lines.filter((_line, i) => i % 2 === 1).every((line) => line === '')).toBe(true);
    expect(fake.received[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: chat, headers: { authorization: 'Bearer k' } });
    expect(fake.closedEarly).toBe(0);
  });

  it('reads any other answer whole, for error mapping', async () => {
    fake.failNext(1, 429, 'slow down', { 'Retry-After': '2' });
    const response = await http.postStream(url(), chat, { timeoutMs: 2000 });
    expect(response).toMatchObject({ ok: false, status: 429, headers: { 'retry-after': '2' } });
    expect(response.ok === false && JSON.parse(response.text)).toMatchObject({ error: { message: 'slow down' } });
  });

  it('gives the connection back to the pool after a body read to its end', async () => {
    for (let i = 0; i < 4; i++) await readAll(linesOf(await http.postStream(url(), chat, { timeoutMs: 2000 })));
    expect(fake.total).toBe(4);
    expect(fake.connections).toBeLessThanOrEqual(2);
    expect(fake.closedEarly).toBe(0);
  });

  it('hangs up at once when the reader stops early', async () => {
    fake.chunkDelayMs = 200;
    const lines = linesOf(await http.postStream(url(), chat, { timeoutMs: 5000 }));
    const hungUp = hangUpWithin(1000);
    for await (const line of lines) {
      expect(line).toMatch(/^data: /);
      break;
    }
    expect(await hungUp).toBeLessThan(1000);
    expect(fake.closedEarly).toBe(1);
  });

  it('hangs up on close() when the body is never read', async () => {
    fake.chunkDelayMs = 200;
    const lines = linesOf(await http.postStream(url(), chat, { timeoutMs: 5000 }));
    const hungUp = hangUpWithin(1000);
    lines.close();
    lines.close();
    await hungUp;
  });

  it("fails the iteration on the caller's abort mid-body, as a timeout, and hangs up", async () => {
    fake.chunkDelayMs = 200;
    const controller = new AbortController();
    const lines = linesOf(await http.postStream(url(), chat, { timeoutMs: 5000, signal: controller.signal }));
    const hungUp = hangUpWithin(1000);
    const read: string[] = [];
    const error = await failure(
      (async () => {
        for await (const line of lines) {
          read.push(line);
          if (read.length === 1) controller.abort();
        }
      })(),
    );
    expect(error).toBeInstanceOf(UpstreamTransportError);
    expect(error).toMatchObject({ kind: 'timeout', reason: 'aborted' });
    expect(read.length).toBeLessThan(4);
    await hungUp;
  });

  it('bounds the whole body by the deadline, not only its start', async () => {
    fake.chunkDelayMs = 100;
    const lines = linesOf(await http.postStream(url(), chat, { timeoutMs: 250 }));
    const hungUp = hangUpWithin(1000);
    const error = await failure(readAll(lines));
    expect(error).toMatchObject({ kind: 'timeout', reason: 'deadline', timeoutMs: 250 });
    await hungUp;
  });

  it('turns a connection dropped mid-body into a connection error', async () => {
    fake.chunkDelayMs = 20;
    fake.breakNextStream(2);
    const lines = linesOf(await http.postStream(url(), chat, { timeoutMs: 2000 }));
    const read: string[] = [];
    const error = await failure(
      (async () => {
        for await (const line of lines) read.push(line);
      })(),
    );
    expect(read[0]).toMatch(/^data: \{/);
    expect(error).toBeInstanceOf(UpstreamTransportError);
    expect(error).toMatchObject({ kind: 'connection', target: new URL(fake.origin).host, reason: expect.any(String) });
  });

  it('turns a refused connection into a connection error naming host:port', async () => {
    const gone = new FakeOpenAIServer();
    const port = await gone.start();
    await gone.stop();
    const error = await failure(http.postStream(`${gone.url}/chat/completions`, chat, { timeoutMs: 2000 }));
    expect(error).toMatchObject({ kind: 'connection', target: `127.0.0.1:${port}`, reason: 'ECONNREFUSED' });
  });

  it('decodes UTF-8 characters split across network writes', async () => {
    const text = 'data: héllo wörld 🎉\r\n\ndata: 日本語\nlast';
    const bytes = Buffer.from(text, 'utf8');
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      // One byte at a time, each in its own write, so characters and line breaks are cut everywhere.
      const timer = setInterval(() => {
        if (i < bytes.length) res.write(bytes.subarray(i, ++i));
        else {
          clearInterval(timer);
          res.end();
        }
      }, 1);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const lines = await readAll(linesOf(await http.postStream(`http://127.0.0.1:${port}/`, {}, { timeoutMs: 5000 })));
      expect(lines).toEqual(['data: héllo wörld 🎉', '', 'data: 日本語', 'last']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('splitLines', () => {
  const utf8 = (text: string) => Buffer.from(text, 'utf8');
  const byteByByte = (text: string) => [...utf8(text)].map((byte) => Uint8Array.of(byte));
  async function* chunksOf(chunks: Uint8Array[]) {
    yield* chunks;
  }

  it.each<[string, Uint8Array[], string[]]>([
    ['one line per \\n', [utf8('a\nb\n')], ['a', 'b']],
    ['a line split across chunks', [utf8('da'), utf8('ta: {"x"'), utf8(':1}\n')], ['data: {"x":1}']],
    ['blank lines kept (they end SSE events)', [utf8('a\n\nb\n\n')], ['a', '', 'b', '']],
    ['\\r\\n, also split between chunks', [utf8('a\r\nb\r'), utf8('\nc')], ['a', 'b', 'c']],
    ['a last line without a break', [utf8('a\nb')], ['a', 'b']],
    ['many lines in one chunk, one line over many', [utf8('x\ny\nz'), utf8('z'), utf8('z\n')], ['x', 'y', 'zzz']],
    ['multi-byte characters cut byte by byte', byteByByte('é🎉\n日本\n'), ['é🎉', '日本']],
    ['a leading byte-order mark dropped', [Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf), utf8('{}\n')], ['{}']],
    ['an invalid byte as U+FFFD', [Uint8Array.of(0x61, 0xff, 0x0a)], ['a\ufffd']],
    ['nothing', [], []],
    ['only a line break', [utf8('\n')], ['']],
  ])('%s', async (_name, chunks, expected) => {
    const lines: string[] = [];
    for await (const line of splitLines(chunksOf(chunks))) lines.push(line);
    expect(lines).toEqual(expected);
  });
});
