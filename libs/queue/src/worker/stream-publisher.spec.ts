import { UnrecoverableError } from 'bullmq';
import IORedis from 'ioredis';
import { type ChatCompletionChunk, type ChatStreamEvent, SwitchyardError, decodeWireError, internalFailure } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { streamKeys } from '../stream/stream-keys';
import { STOPPING } from './running-jobs';
import { StreamPublisher, type StreamToPublish } from './stream-publisher';

const QUEUE = 'chat-test';
const chunk = (content: string): ChatCompletionChunk => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
});
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const usageChunk: ChatCompletionChunk = { ...chunk(''), choices: [], usage: USAGE };

// Against the real Redis: what a gateway reads is what lands in the call's stream.
describe('StreamPublisher', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const logged: string[] = [];
  const publisher = new StreamPublisher(redis, prefix, { warn: (m) => logged.push(m), error: (m) => logged.push(m) });
  let n = 0;
  let callId: string;

  beforeEach(() => {
    callId = `call-${++n}`;
  });
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  const events = async (): Promise<ChatStreamEvent[]> =>
    (await redis.xrange(streamKeys.events(prefix, QUEUE, callId), '-', '+')).map(([, fields]) => JSON.parse(fields[1]) as ChatStreamEvent);
  /** The job's first run unless `attemptsStarted` says otherwise. */
  const call = (
    chunks: () => AsyncIterable<ChatCompletionChunk>,
    cancelled = new AbortController().signal,
    onFirstChunk?: (s: number) => void,
    attemptsStarted = 1,
  ): StreamToPublish => ({
    job: { id: callId, attemptsStarted, data: { callId, request: { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }] } } },
    queue: QUEUE,
    chunks,
    cancelled,
    abort: () => undefined,
    onFirstChunk,
  });
  const rerun = (chunks: () => AsyncIterable<ChatCompletionChunk>): StreamToPublish => call(chunks, undefined, undefined, 2);
  const thrown = (run: Promise<unknown>) =>
    run.then(
      () => undefined,
      (err: unknown) => err,
    );

  it("writes the chunks in order, then the end with the upstream's usage, and returns that usage", async () => {
    const firstChunk = jest.fn();
    const result = await publisher.publish(
      call(
        async function* () {
          yield chunk('Hel');
          yield chunk('lo');
          yield usageChunk;
        },
        undefined,
        firstChunk,
      ),
    );
    expect(result).toMatchObject({ usage: USAGE });
    expect(result.cancelled).toBeUndefined();
    expect(await events()).toEqual([
      { t: 'chunk', chunk: chunk('Hel') },
      { t: 'chunk', chunk: chunk('lo') },
      { t: 'end', usage: USAGE },
    ]);
    expect(firstChunk).toHaveBeenCalledTimes(1);
  });

  describe('to the inbox of the gateway that names one', () => {
    const inbox = `${prefix}:inbox:gw`;
    const inInbox = async (): Promise<ChatStreamEvent[]> =>
      (await redis.xrange(inbox, '-', '+')).filter(([, f]) => f[3] === callId && f[5] === 'e').map(([, f]) => JSON.parse(f[7]) as ChatStreamEvent);
    const toInbox = (chunks: () => AsyncIterable<ChatCompletionChunk>, attemptsStarted = 1): StreamToPublish => {
      const c = call(chunks, undefined, undefined, attemptsStarted);
      return { ...c, job: { ...c.job, data: { ...c.job.data, replyTo: inbox } } };
    };

    it('writes the chunks there in order, then the end, and nothing to a stream of the call', async () => {
      const result = await publisher.publish(
        toInbox(async function* () {
          yield chunk('Hel');
          yield chunk('lo');
          yield usageChunk;
        }),
      );
      expect(result).toMatchObject({ usage: USAGE });
      expect(await inInbox()).toEqual([
        { t: 'chunk', chunk: chunk('Hel') },
        { t: 'chunk', chunk: chunk('lo') },
        { t: 'end', usage: USAGE },
      ]);
      expect(await redis.exists(streamKeys.events(prefix, QUEUE, callId))).toBe(0);
    });

    it('refuses to start over a stream an earlier attempt had begun, telling the client', async () => {
      await publisher.publish(
        toInbox(async function* () {
          yield chunk('half');
        }),
      );
      const error = await thrown(publisher.publish(toInbox(async function* () {}, 2)));
      expect(error).toBeInstanceOf(UnrecoverableError);
      expect((await inInbox()).at(-1)).toMatchObject({ t: 'error', error: { code: 'upstream_error', message: expect.stringContaining('stopped mid-answer') } });
    });
  });

  describe('a call the gateway cancelled before the job ran here (its cancel marker)', () => {
    beforeEach(() => redis.set(streamKeys.cancelled(prefix, QUEUE, callId), '1'));

    it('on the first run: stops the upstream call it started meanwhile, writes nothing and bills nothing', async () => {
      const cancel = new AbortController();
      const upstream = async function* () {
        // An upstream that has not answered yet: it ends when its call is aborted.
        await new Promise((_, reject) => cancel.signal.addEventListener('abort', () => reject(new SwitchyardError('timeout', 'aborted'))));
        yield chunk('never');
      };
      const result = await publisher.publish({ ...call(upstream, cancel.signal), abort: () => cancel.abort() });
      expect(result).toMatchObject({ cancelled: true, usage: null });
      expect(cancel.signal.aborted).toBe(true);
      expect(await events()).toEqual([]);
    });

    it('on the first run: writes nothing of an upstream that answered before the marker was read', async () => {
      const result = await publisher.publish(
        call(async function* () {
          yield chunk('quick');
          yield chunk('answer');
        }),
      );
      expect(result).toMatchObject({ cancelled: true, usage: null });
      expect(await events()).toEqual([]);
    });

    it('on a later run: sends nothing upstream', async () => {
      const chunks = jest.fn();
      expect(await publisher.publish(rerun(chunks))).toMatchObject({ cancelled: true, usage: null });
      expect(chunks).not.toHaveBeenCalled();
    });
  });

  it('refuses to start over a stream an earlier attempt had begun, telling the client', async () => {
    await redis.xadd(streamKeys.events(prefix, QUEUE, callId), '*', 'e', JSON.stringify({ t: 'chunk', chunk: chunk('half') }));
    const error = await thrown(publisher.publish(rerun(async function* () {})));
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((await events()).at(-1)).toMatchObject({ t: 'error', error: { code: 'upstream_error', message: expect.stringContaining('stopped mid-answer') } });
  });

  it('passes a failure before the first chunk on as it is, so the call may be retried', async () => {
    const failure = new SwitchyardError('upstream_unavailable', 'openai upstream: busy', { retryable: true });
    expect(
      await thrown(
        publisher.publish(
          call(async function* () {
            yield* [];
            throw failure;
          }),
        ),
      ),
    ).toBe(failure);
    expect(await events()).toEqual([]);
  });

  it('ends a stream that failed mid-answer for good: the error event, with what it used, and nothing of its detail', async () => {
    const failure = internalFailure('upstream_error', 'openai upstream broke off its streamed answer', '10.0.0.7:443: ECONNRESET', { retryable: true });
    const error = await thrown(
      publisher.publish(
        call(async function* () {
          yield chunk('x'.repeat(40));
          throw failure;
        }),
      ),
    );
    expect(error).toBeInstanceOf(UnrecoverableError);
    const wire = decodeWireError((error as Error).message);
    expect(wire).toMatchObject({
      code: 'upstream_error',
      message: 'openai upstream broke off its streamed answer',
      usage: { prompt_tokens: 10, completion_tokens: 10 },
    });
    const last = (await events()).at(-1);
    expect(last).toMatchObject({ t: 'error', error: { code: 'upstream_error', usage: { completion_tokens: 10 } } });
    expect(JSON.stringify(last)).not.toContain('10.0.0.7');
    expect(logged.at(-1)).toContain('10.0.0.7:443: ECONNRESET');
  });

  it('drops the stream of a client that hung up, and returns what it was sent, estimated, to bill it', async () => {
    const cancel = new AbortController();
    const result = await publisher.publish(
      call(async function* () {
        yield chunk('x'.repeat(20));
        cancel.abort();
        throw new SwitchyardError('timeout', 'aborted');
      }, cancel.signal),
    );
    expect(result).toMatchObject({ cancelled: true, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    expect(await redis.exists(streamKeys.events(prefix, QUEUE, callId))).toBe(0);
  });

  it('tells the client when the worker stops mid-answer, instead of leaving it waiting', async () => {
    const stop = new AbortController();
    const error = await thrown(
      publisher.publish(
        call(async function* () {
          yield chunk('half');
          stop.abort(STOPPING);
          throw new SwitchyardError('timeout', 'aborted');
        }, stop.signal),
      ),
    );
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((await events()).at(-1)).toMatchObject({
      t: 'error',
      error: { code: 'upstream_error', message: 'the worker serving this stream stopped mid-answer; send the request again' },
    });
  });
});
