import {
  type AppProcess,
  type Stack,
  call,
  eventually,
  fakeEnv,
  generateKey,
  scrape,
  sleep,
  sseEvents,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
  valueOf,
} from '@test/support';

// USD per token, in and out, for every model below: a row's spend is its total tokens / 1000.
const PRICE = 0.001;
const PRICED = (name: string, model: string, params: string) => `  - model_name: ${name}
    litellm_params: {model: ${model}${params}}
    model_info: {input_cost_per_token: ${PRICE}, output_cost_per_token: ${PRICE}}
`;
// Thirty words: the fakes answer "echo: <them>" one word a piece.
const LONG = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
const ask = (model: string) => ({ model, messages: [{ role: 'user', content: LONG }], stream: true });

interface Received {
  status: number;
  /** Content characters the client got. */
  chars: number;
  chunks: number;
  /** The error event that ended the stream, if one did. */
  error?: { code: string };
  done: boolean;
}

/** Streams a call as a client would, reading event by event; `hangUpAfter` chunks, it goes away. */
async function stream(url: string, key: string, body: object, requestId: string, hangUpAfter = Infinity, onChunk?: (n: number) => void): Promise<Received> {
  const aborter = new AbortController();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify(body),
    signal: aborter.signal,
  });
  const received: Received = { status: res.status, chars: 0, chunks: 0, done: false };
  try {
    for await (const { data } of sseEvents(res.body!)) {
      if (data === '[DONE]') received.done = true;
      else if (JSON.parse(data).error) received.error = JSON.parse(data).error;
      else {
        received.chars += JSON.parse(data).choices[0]?.delta?.content?.length ?? 0;
        received.chunks++;
        onChunk?.(received.chunks);
        if (received.chunks >= hangUpAfter) {
          aborter.abort();
          return received;
        }
      }
    }
    return received;
  } catch {
    return received;
  }
}

describe('every call is billed for what it delivered', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let openaiWorker: AppProcess;
  let key: string;
  let token: string;

  /** The call's spend log row, once it is written. */
  const row = async (requestId: string) => {
    const logs = await eventually(
      () => call(stack.url, `/spend/logs?request_id=${requestId}`),
      (r) => r.json.length === 1,
      8000,
    );
    expect(logs.json).toHaveLength(1);
    return logs.json[0];
  };
  /** Billed, with tokens, at the model's prices, for at least what the client received. */
  const expectBilled = (r: Record<string, any>, received: Received) => {
    expect(r.prompt_tokens).toBeGreaterThan(0);
    expect(r.completion_tokens).toBeGreaterThanOrEqual(Math.ceil(received.chars / 4));
    expect(r.completion_tokens).toBeGreaterThan(0);
    expect(r.spend).toBeCloseTo((r.prompt_tokens + r.completion_tokens) * PRICE, 9);
  };

  beforeAll(async () => {
    fakes = await startFakes();
    const extra =
      PRICED('priced', 'ollama/llama3.2', `, api_base: "${fakes.ollama.origin}"`) +
      PRICED('priced-short', 'ollama/llama3.2', `, api_base: "${fakes.ollama.origin}", stream_timeout: 1`) +
      PRICED('priced-openai', 'gpt-4o-mini', ', api_key: os.environ/OPENAI_API_KEY, stream_timeout: 3');
    // The OpenAI worker runs as a process of its own, so a test can kill it mid-answer.
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: fakeEnv(fakes.openai), workers: ['ollama'] });
    openaiWorker = await startAppProcess('worker-openai', stack.env);
    ({ key, token } = await generateKey(stack.url, { key_alias: 'billed' }));
  }, 90_000);
  afterAll(async () => {
    await openaiWorker?.kill();
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('bills a stream cut off by its deadline after some chunks, with tokens, and counts them in the metrics', async () => {
    const tokensBefore = valueOf(await scrape(stack.url), 'switchyard_chat_tokens_total', { model: 'priced-short', type: 'completion' });
    fakes.ollama.chunkDelayMs = 150;
    const received = await stream(stack.url, key, ask('priced-short'), 'billed-deadline-1');
    expect(received).toMatchObject({ status: 200, done: false, error: { code: 'timeout' } });
    expect(received.chunks).toBeGreaterThan(1);

    const r = await row('billed-deadline-1');
    expect(r).toMatchObject({ status: 'failure', http_status: 504, stream: true });
    expectBilled(r, received);
    const tokensAfter = valueOf(await scrape(stack.url), 'switchyard_chat_tokens_total', { model: 'priced-short', type: 'completion' });
    expect(tokensAfter - tokensBefore).toBe(r.completion_tokens);
  });

  it('bills a stream its upstream broke off mid-answer', async () => {
    fakes.ollama.chunkDelayMs = 50;
    fakes.ollama.breakNextStream(5, 'the model crashed');
    const received = await stream(stack.url, key, ask('priced'), 'billed-broken-1');
    expect(received).toMatchObject({ status: 200, done: false, chunks: 5 });
    expect(received.error).toBeDefined();

    const r = await row('billed-broken-1');
    expect(r).toMatchObject({ status: 'failure', stream: true });
    expectBilled(r, received);
  });

  it('bills a stream whose client hung up', async () => {
    fakes.ollama.chunkDelayMs = 150;
    const received = await stream(stack.url, key, ask('priced'), 'billed-hangup-1', 3);
    expect(received.chunks).toBe(3);

    const r = await row('billed-hangup-1');
    expect(r).toMatchObject({ status: 'cancelled', stream: true });
    expectBilled(r, received);
  });

  it('bills a stream whose worker died mid-answer by what the client was sent, once its deadline passed', async () => {
    fakes.openai.chunkDelayMs = 200;
    let killed: Promise<void> | undefined;
    const received = await stream(stack.url, key, ask('priced-openai'), 'billed-worker-died-1', Infinity, (n) => {
      if (n === 3) killed = openaiWorker.kill();
    });
    await killed;
    expect(received).toMatchObject({ status: 200, done: false, error: { code: 'timeout' } });
    expect(received.chunks).toBeGreaterThanOrEqual(3);

    const r = await row('billed-worker-died-1');
    expect(r).toMatchObject({ status: 'failure', http_status: 504, stream: true });
    expectBilled(r, received);
    // Nothing else was billed to the key: its spend is the sum of its rows.
    await sleep(1200);
    const rows = (await call(stack.url, `/spend/logs?api_key=${token}`)).json as Array<{ spend: number }>;
    const info = await call(stack.url, `/key/info?key=${token}`);
    expect(info.json.info.spend).toBeCloseTo(
      rows.reduce((sum, x) => sum + x.spend, 0),
      9,
    );
  });
});
