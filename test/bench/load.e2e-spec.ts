import { FakeOllamaServer, FakeOpenAIServer } from '@test/support';
import { type Target, runCell } from '../../bench/load';

/** Counts the abort listeners on a signal over its life: the most at once and how many remain. */
function watchAbortListeners(signal: AbortSignal) {
  let current = 0;
  let most = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  const listeners = new Set<unknown>();
  signal.addEventListener = (type: string, listener: never, options?: never) => {
    if (type === 'abort' && !listeners.has(listener)) {
      listeners.add(listener);
      most = Math.max(most, ++current);
    }
    add(type, listener, options);
  };
  signal.removeEventListener = (type: string, listener: never, options?: never) => {
    if (type === 'abort' && listeners.delete(listener)) current--;
    remove(type, listener, options);
  };
  return { most: () => most, current: () => current };
}

describe('bench load generator', () => {
  const openai = new FakeOpenAIServer();
  const ollama = new FakeOllamaServer({ models: ['llama3.2'] });
  const chat = (stream: boolean): Target => ({
    url: `${openai.url}/chat/completions`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four' }], stream }),
    expect: 'echo: one two three four',
  });
  const cell = { warmup: 4, maxDurationMs: 20_000, timeoutMs: 5_000 };

  beforeAll(() => Promise.all([openai.start(), ollama.start()]));
  afterEach(() => {
    openai.reset();
    ollama.reset();
  });
  afterAll(() => Promise.all([openai.stop(), ollama.stop()]));

  it('puts one abort listener on the shared Ctrl-C signal, not one per request in flight', async () => {
    const interrupted = new AbortController();
    const listeners = watchAbortListeners(interrupted.signal);
    const stats = await runCell(chat(false), { ...cell, concurrency: 32, requests: 320, signal: interrupted.signal });
    expect(stats.ok).toBe(320);
    // Node warns (MaxListenersExceededWarning) from 11 listeners on one signal.
    expect(listeners.most()).toBeLessThanOrEqual(1);
    expect(listeners.current()).toBe(0);
  });

  it('still stops at once on Ctrl-C, hanging up on the requests in flight', async () => {
    openai.delayMs = 10_000;
    const interrupted = new AbortController();
    const started = Date.now();
    const running = runCell(chat(false), { ...cell, concurrency: 4, requests: 8, signal: interrupted.signal });
    await new Promise((r) => setTimeout(r, 300));
    interrupted.abort(new Error('interrupted'));
    await expect(running).rejects.toThrow('interrupted');
    expect(Date.now() - started).toBeLessThan(3_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(openai.closedEarly).toBe(4);
  });

  describe.each([
    ['OpenAI SSE', 'openai-sse' as const],
    ['Ollama NDJSON', 'ollama-ndjson' as const],
  ])('a %s stream', (_name, format) => {
    const target = (): Target =>
      format === 'openai-sse'
        ? { ...chat(true), format }
        : {
            url: `${ollama.origin}/api/chat`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four' }], stream: true }),
            expect: 'echo: one two three four',
            format,
          };
    const fake = () => (format === 'openai-sse' ? openai : ollama);

    it('is timed to its first content and to its end', async () => {
      // "echo: one two three four" is 5 pieces; OpenAI's stream adds a role chunk first and a finish chunk after.
      fake().chunkDelayMs = 40;
      const stats = await runCell(target(), { ...cell, warmup: 0, concurrency: 2, requests: 4 });
      expect(stats).toMatchObject({ ok: 4, errors: 0 });
      expect(stats.firstContent).not.toBeNull();
      expect(stats.p50Ms).toBeGreaterThanOrEqual(4 * 40);
      expect(stats.firstContent!.p99Ms).toBeLessThan(stats.p50Ms - 2 * 40);
    });

    it('counts a stream that breaks off or ends without its closing line as an error', async () => {
      fake().breakNextStream(2, 'model crashed');
      fake().breakNextStream(2);
      const stats = await runCell(target(), { ...cell, warmup: 0, concurrency: 1, requests: 3 });
      expect(stats.ok).toBe(1);
      expect(stats.errors).toBe(2);
      expect(stats.errorSamples.join('\n')).toContain('model crashed');
    });
  });

  it('leaves first-content timing out of non-streamed cells', async () => {
    const stats = await runCell(chat(false), { ...cell, concurrency: 1, requests: 3 });
    expect(stats.ok).toBe(3);
    expect(stats.firstContent).toBeNull();
  });
});
