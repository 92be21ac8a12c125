import { UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { type ChatCompletionRequest, type ChatJobPayload, type ChatJobResult, type ChatStreamEvent, SwitchyardError, encodeWireError } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { streamKeys } from '../stream/stream-keys';
import { InboxWriter } from '../stream/inbox-writer';
import { CallDispatcher } from './call-dispatcher';
import type { QueueTarget } from './queue-target';

const QUEUE = 'chat-test';
const target = (fields: Partial<QueueTarget> = {}): QueueTarget => ({ queue: QUEUE, maxDepth: 0, startHint: 'start worker-test', ...fields });
let seq = 0;
function payload(fields: Partial<ChatJobPayload> = {}): ChatJobPayload {
  const now = Date.now();
  return {
    v: 2,
    callId: `call-${++seq}`,
    deploymentId: 'd',
    modelName: 'm',
    request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    stream: false,
    deadline: now + 10_000,
    enqueuedAt: now,
    ...fields,
  };
}
const result = (latency: number): ChatJobResult => ({ v: 2, usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }, upstreamLatencyMs: latency });
const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});

/** What a worker app does with a job's outcome: sends it to the inbox the job names, then hands it to BullMQ. */
function replying(redis: IORedis, queue: string, run: (job: ChatJobPayload) => Promise<ChatJobResult>) {
  return async (job: ChatJobPayload): Promise<ChatJobResult> => {
    const inbox = new InboxWriter(redis, job.replyTo!, queue, job.callId);
    try {
      const outcome = await run(job);
      await inbox.finish(outcome);
      return outcome;
    } catch (err) {
      if (err instanceof UnrecoverableError) await inbox.fail(err.message);
      throw err;
    }
  };
}

/**
 * The gateway's side of the queues against the real Redis, with a bare BullMQ worker standing in
 * for a worker app: what the worker returns, throws or writes is what a call sees.
 */
describe('CallDispatcher', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let dispatcher: CallDispatcher;
  let worker: Worker<ChatJobPayload, ChatJobResult> | undefined;
  let behaviour: (job: ChatJobPayload) => Promise<ChatJobResult>;

  const startWorker = async () => {
    worker = new Worker<ChatJobPayload, ChatJobResult>(QUEUE, (job) => replying(redis, QUEUE, behaviour)(job.data), {
      connection: redis,
      prefix,
      concurrency: 4,
    });
    await worker.waitUntilReady();
  };

  beforeAll(async () => {
    dispatcher = await CallDispatcher.start({ redisUrl: TEST_REDIS_URL, prefix, queues: [QUEUE] });
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });
  afterAll(async () => {
    await dispatcher.close();
    await redis.quit();
    await deleteRedisPrefix(prefix);
  });

  it('answers 503 at once naming the worker to start when no worker consumes the queue, and queues nothing', async () => {
    const error = await dispatcher.dispatch(target(), payload()).catch((e: SwitchyardError) => e);
    expect(error).toMatchObject({ code: 'no_worker_available', status: 503 });
    expect((error as SwitchyardError).message).toContain('worker-test');
    expect(await redis.llen(`${prefix}:${QUEUE}:wait`)).toBe(0);
  });

  it("resolves with the worker's result, and rejects with the error it encoded", async () => {
    behaviour = async (job) => {
      if ((job.request as ChatCompletionRequest).messages[0].content === 'fail') {
        throw new UnrecoverableError(
          encodeWireError(new SwitchyardError('invalid_request', 'bad tool call', { param: 'tools', upstreamStatus: 400 }).toWire()),
        );
      }
      return result(7);
    };
    await startWorker();
    await expect(dispatcher.dispatch(target(), payload())).resolves.toEqual(result(7));
    const failed = await dispatcher.dispatch(target(), payload({ request: { model: 'm', messages: [{ role: 'user', content: 'fail' }] } })).catch((e) => e);
    expect(failed).toBeInstanceOf(SwitchyardError);
    expect(failed).toMatchObject({ code: 'invalid_request', param: 'tools', fault: 'caller', upstreamStatus: 400 });
  });

  it('refuses a call with 429 queue_full once the queue holds its limit, without adding it', async () => {
    behaviour = () => new Promise(() => undefined);
    await startWorker();
    await worker!.pause(true);
    const waiting = [payload(), payload()];
    // The presence check is cached by now; two calls fill a queue of depth 2.
    const pending = waiting.map((p) => dispatcher.dispatch(target(), p).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await dispatcher.dispatch(target({ maxDepth: 2 }), payload()).catch((e: SwitchyardError) => e);
    expect(refused).toMatchObject({ code: 'queue_full', status: 429, retryAfterMs: 2000 });
    for (const p of waiting) await dispatcher.cancel(QUEUE, p.callId);
    void pending;
  });

  it('answers 504 at the deadline and removes the job still waiting, so it never runs', async () => {
    behaviour = async () => result(1);
    await startWorker();
    await worker!.pause(true);
    const late = payload({ deadline: Date.now() + 300 });
    const error = await dispatcher.dispatch(target(), late).catch((e: SwitchyardError) => e);
    expect(error).toMatchObject({ code: 'timeout', status: 504 });
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.exists(`${prefix}:${QUEUE}:${late.callId}`)).toBe(0);
  });

  it('relays a stream in order, then the result with its usage; the stream key is gone after', async () => {
    behaviour = async (job) => {
      const writer = new InboxWriter(redis, job.replyTo!, QUEUE, job.callId);
      for (const part of ['a', 'b', 'c']) writer.write(chunk(part));
      writer.write({ t: 'end', usage: null });
      await writer.flush();
      return result(3);
    };
    await startWorker();
    const p = payload({ stream: true });
    const handle = await dispatcher.stream(target(), p);
    const seen: ChatStreamEvent[] = [];
    for await (const event of handle.events) seen.push(event);
    expect(seen).toEqual([chunk('a'), chunk('b'), chunk('c'), { t: 'end', usage: null }]);
    expect(await handle.result).toEqual(result(3));
    expect(await redis.exists(streamKeys.events(prefix, QUEUE, p.callId))).toBe(0);
  });

  it('cancels a queued stream: the job is removed and the call ends as cancelled, with no usage', async () => {
    behaviour = async () => result(1);
    await startWorker();
    await worker!.pause(true);
    const p = payload({ stream: true });
    const handle = await dispatcher.stream(target(), p);
    await handle.cancel();
    expect(await handle.result).toMatchObject({ cancelled: true, usage: null });
    expect(await redis.exists(`${prefix}:${QUEUE}:${p.callId}`)).toBe(0);
    expect(await redis.get(streamKeys.cancelled(prefix, QUEUE, p.callId))).toBe('1');
  });

  it('opens a queue it was not started with on first use (a backend named by a stored model)', async () => {
    const other = new Worker<ChatJobPayload, ChatJobResult>('chat-later', (job) => replying(redis, 'chat-later', async () => result(5))(job.data), {
      connection: redis,
      prefix,
    });
    await other.waitUntilReady();
    try {
      await expect(dispatcher.dispatch(target({ queue: 'chat-later' }), payload())).resolves.toEqual(result(5));
    } finally {
      await other.close();
    }
  });
});
