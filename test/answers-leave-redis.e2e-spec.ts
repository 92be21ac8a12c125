import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { queueName } from '@app/contracts';
import { RETENTION } from '@app/queue';
import { MASTER_KEY, type Stack, TEST_REDIS_URL, call, eventually, fakeEnv, startFakes, startStack, tutorialConfig } from '@test/support';

const MODELS = ['openai/gpt-4o-mini', 'ollama/gpt-oss:20b'];
const HUNG_UP = 120;
const COMPLETED = 40;
// Each answer repeats its call's marker, so any copy of it left in Redis can be found.
const MARKER = `answer-${randomBytes(4).toString('hex')}`;
// The hung-up calls' request ids, so their per-call keys can be found by name.
const CALL_TAG = `hangup-${randomBytes(4).toString('hex')}`;

function question(n: number): string {
  return `${MARKER}-${n} ` + Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
}

/** A streamed call whose client goes away after `afterMs`, wherever the answer is then. */
async function hangUp(url: string, model: string, n: number, afterMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), afterMs);
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-request-id': `${CALL_TAG}-${n}` },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: question(n) }] }),
      signal: abort.signal,
    });
    for await (const _ of res.body!) void _;
  } catch {
    // The hang-up itself.
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `tasks` with at most `width` at a time. */
async function inParallel(tasks: Array<() => Promise<unknown>>, width: number): Promise<void> {
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) await task();
    }),
  );
}

/** Every key under the prefix with its expiry (seconds, -1: none) and its content as text. */
async function redisContents(redis: IORedis, prefix: string): Promise<Array<{ key: string; ttl: number; text: string }>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return Promise.all(
    keys.map(async (key) => {
      const type = await redis.type(key);
      const content =
        type === 'stream'
          ? await redis.xrange(key, '-', '+')
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1)
                  : type === 'string'
                    ? await redis.get(key)
                    : null;
      return { key, ttl: await redis.ttl(key), text: JSON.stringify(content) };
    }),
  );
}

describe('answers do not stay in Redis', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let redis: IORedis;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), WORKER_CONCURRENCY: '32' } });
    redis = new IORedis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
    await fakes?.stop();
  });

  it('leaves no per-call key without an expiry, and no answer text past the retention window, after hang-ups, completed and failed calls', async () => {
    // Slow enough that clients hang up before, during and after the answer's chunks.
    fakes.openai.chunkDelayMs = 8;
    fakes.ollama.chunkDelayMs = 8;
    const calls: Array<() => Promise<unknown>> = [];
    for (let n = 0; n < HUNG_UP; n++) calls.push(() => hangUp(stack.url, MODELS[n % 2], n, Math.random() * 300));
    const completed: Array<Promise<{ status: number }>> = [];
    for (let n = HUNG_UP; n < HUNG_UP + COMPLETED; n++) {
      const body = { model: MODELS[n % 2], stream: n % 4 < 2, messages: [{ role: 'user', content: question(n) }] };
      calls.push(() => {
        const answer = call(stack.url, '/v1/chat/completions', { body });
        completed.push(answer);
        return answer;
      });
    }
    await inParallel(
      calls.sort(() => Math.random() - 0.5),
      40,
    );
    const answers = await Promise.all(completed);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers.every((a: { status: number; text?: string }) => a.text?.includes(MARKER))).toBe(true);

    // Failed jobs too: the upstream refuses these calls.
    fakes.openai.failNext(4, 400);
    for (let n = HUNG_UP + COMPLETED; n < HUNG_UP + COMPLETED + 4; n++) {
      const failed = await call(stack.url, '/v1/chat/completions', {
        body: { model: MODELS[0], stream: n % 2 === 0, messages: [{ role: 'user', content: question(n) }] },
      });
      expect(failed.status).toBe(400);
    }

    // Every job has ended (hung-up ones too) before Redis is looked at.
    const queues = MODELS.map((_, i) => new Queue(queueName(['openai', 'ollama'][i]), { connection: redis, prefix: stack.prefix, skipMetasUpdate: true }));
    const busy = await eventually(
      async () =>
        (await Promise.all(queues.map((q) => q.getJobCounts('active', 'wait', 'delayed', 'prioritized'))))
          .flatMap((c) => Object.values(c))
          .reduce((a, b) => a + b, 0),
      (n) => n === 0,
      20_000,
      100,
    );
    expect(busy).toBe(0);
    await new Promise((r) => setTimeout(r, 500));

    const contents = await redisContents(redis, stack.prefix);
    const perCall = contents.filter((c) => c.key.includes(CALL_TAG));
    expect(perCall.length).toBeGreaterThan(0);
    const holdingAnswers = contents.filter((c) => c.text.includes(MARKER));
    expect(perCall.filter((c) => c.ttl < 0).map((c) => c.key)).toEqual([]);
    expect(holdingAnswers.filter((c) => c.ttl < 0 || c.ttl > RETENTION.callStreamSeconds).map((c) => `${c.key} (ttl ${c.ttl})`)).toEqual([]);

    for (const queue of queues) {
      expect(await redis.hget(queue.keys.meta, 'opts.maxLenEvents')).toBe(String(RETENTION.queueEventsMaxLen));
      expect(await redis.xlen(queue.keys.events)).toBeLessThanOrEqual(RETENTION.queueEventsMaxLen);
    }
    await Promise.all(queues.map((q) => q.close()));
  }, 120_000);
});
