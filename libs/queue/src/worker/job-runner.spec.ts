import { DelayedError, type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { CHAT_JOB_VERSION, type ChatCompletion, type ChatJobPayload, SwitchyardError, decodeWireError } from '@app/contracts';
import type { Deployment } from '@app/config';
import { WorkerMetrics, createMetricsRegistry } from '@app/observability';
import type { ChatOperation, EmbeddingsOperation } from '@app/providers';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { RetryLaterError, chatJobOptions } from '../chat-job.options';
import { DeploymentLimiter } from '../limits/deployment-limiter';
import { DeploymentGate } from './deployment-gate';
import { JobRunner } from './job-runner';
import { STOPPING } from './running-jobs';
import { StreamPublisher } from './stream-publisher';

const COMPLETION: ChatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 0,
  model: 'llama',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

// Against the real Redis and BullMQ (jobs, the limiter, streams); only the upstream call is a stand-in.
describe('JobRunner', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const limiter = new DeploymentLimiter(redis, prefix);
  const log = { warn: () => undefined, error: () => undefined };
  let queue: Queue<ChatJobPayload>;
  let worker: Worker<ChatJobPayload>;
  let metrics: WorkerMetrics;
  let n = 0;
  let deploymentId: string;
  /** What the stand-in upstream does with a non-streamed call. */
  let complete: jest.Mock<Promise<ChatCompletion>>;
  let prepare: jest.Mock;

  /** The operations the runner asked for, by name. */
  let asked: string[];
  const operation = (name: string) => (asked.push(name), { prepare, complete, stream: jest.fn() }) as unknown as ChatOperation;
  const runner = (resolve: (id: string) => Deployment = (id) => ({ id, provider: 'hosted_vllm', wire: 'openai', maxParallelRequests: 4 }) as Deployment) =>
    new JobRunner({
      wire: 'openai',
      deployments: { resolve },
      operations: { of: operation } as never,
      gate: new DeploymentGate(limiter, log),
      publisher: new StreamPublisher(redis, prefix, log),
      metrics,
    });

  beforeEach(() => {
    n++;
    deploymentId = `d${n}`;
    queue = new Queue<ChatJobPayload>(`chat-runner-${n}`, { connection: redis, prefix });
    worker = new Worker<ChatJobPayload>(queue.name, null, { connection: redis, prefix, autorun: false });
    metrics = new WorkerMetrics(createMetricsRegistry(), 'openai', [queue.name]);
    complete = jest.fn(async () => COMPLETION);
    asked = [];
    prepare = jest.fn((target: unknown, request: unknown) => ({ target, body: request, stream: false }));
  });
  afterEach(async () => {
    await worker.close(true);
    await queue.close();
  });
  afterAll(async () => {
    limiter.close();
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  /** Adds a job and takes it, as a worker does; its turn. */
  async function turn(fields: Partial<ChatJobPayload> = {}, attempts = 3) {
    const now = Date.now();
    const callId = `call-${n}`;
    const payload = {
      v: CHAT_JOB_VERSION,
      callId,
      deploymentId,
      modelName: 'local',
      request: { model: 'local', messages: [{ role: 'user' as const, content: 'hi' }] },
      stream: false,
      deadline: now + 30_000,
      enqueuedAt: now,
      ...fields,
    };
    await queue.add('chat', payload as ChatJobPayload, chatJobOptions(callId, { numRetries: attempts - 1 }));
    const token = `token-${n}`;
    const job = (await worker.getNextJob(token, { block: false })) as Job<ChatJobPayload>;
    return { job, token, queue, cancel: new AbortController() };
  }
  const failureOf = (run: Promise<unknown>) =>
    run.then(
      () => {
        throw new Error('expected a failure');
      },
      (err: unknown) => err as Error,
    );
  const outcomes = async () =>
    (await metrics.registry.getSingleMetric('switchyard_worker_jobs_total')!.get()).values.map((v) => [v.labels.queue, v.labels.outcome, v.value]);

  it("calls the deployment's provider within its limits, frees the slot after, and counts the turn on its queue", async () => {
    const result = await runner().run(await turn());
    expect(result).toMatchObject({ v: CHAT_JOB_VERSION, completion: COMPLETION, usage: COMPLETION.usage });
    expect(prepare).toHaveBeenCalledWith(expect.objectContaining({ id: deploymentId }), expect.objectContaining({ model: 'local' }), false);
    expect(await limiter.load(deploymentId)).toMatchObject({ inFlight: 0, tokensInWindow: 4 });
    expect(await outcomes()).toEqual([[queue.name, 'completed', 1]]);
    // A job that names no operation (from a gateway before operations) is chat.
    expect(asked).toEqual(['chat']);
  });

  it('runs the operation the job names', async () => {
    await runner().run(await turn({ operation: 'completions', request: { model: 'local', prompt: 'def f(' } }));
    expect(asked).toEqual(['completions']);
    expect(prepare).toHaveBeenCalledWith(expect.anything(), { model: 'local', prompt: 'def f(' }, false);
  });

  it("runs an embeddings job with the provider's embeddings operation: its answer and usage in the result, the input counted against tpm", async () => {
    const answer = {
      object: 'list' as const,
      data: [{ object: 'embedding' as const, index: 0, embedding: [0.5] }],
      model: 'nomic-embed-text',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    };
    const embeddings = {
      prepare: jest.fn((target: unknown, request: unknown) => ({ target, body: request, stream: false, request })),
      complete: jest.fn(async () => answer),
    };
    const embeddingsRunner = new JobRunner({
      wire: 'openai',
      deployments: { resolve: (id) => ({ id, provider: 'hosted_vllm', wire: 'openai', tpm: 1_000 }) as Deployment },
      operations: { of: (name: string) => (name === 'embeddings' ? (embeddings as unknown as EmbeddingsOperation) : operation(name)) } as never,
      gate: new DeploymentGate(limiter, log),
      publisher: new StreamPublisher(redis, prefix, log),
      metrics,
    });
    const request = { model: 'local', input: ['hello there'] };
    const result = await embeddingsRunner.run(await turn({ operation: 'embeddings', request }));
    expect(result).toMatchObject({ v: CHAT_JOB_VERSION, completion: answer, usage: { prompt_tokens: 2, completion_tokens: 0, total_tokens: 2 } });
    expect(embeddings.prepare).toHaveBeenCalledWith(expect.objectContaining({ id: deploymentId }), request);
    expect(complete).not.toHaveBeenCalled();
    expect(await limiter.load(deploymentId)).toMatchObject({ inFlight: 0, tokensInWindow: 2 });
  });

  it('ends a job whose operation this worker does not serve for good, asking for newer workers', async () => {
    // From a newer gateway: an operation this worker has no entry for.
    const failure = await failureOf(runner().run(await turn({ operation: 'rerank' as never })));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(decodeWireError(failure.message)).toMatchObject({
      code: 'internal_error',
      message: expect.stringContaining('does not serve rerank calls; upgrade the workers'),
    });
  });

  it.each([
    ['a payload version it does not know', { v: 1 as never }, 'internal_error', 'upgrade the workers'],
    ['a deadline that has passed', { deadline: Date.now() - 1 }, 'timeout', 'deadline passed before a worker could take it'],
  ])('ends a job with %s for good, never calling upstream', async (_case, fields, code, words) => {
    const failure = await failureOf(runner().run(await turn(fields)));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(decodeWireError(failure.message)).toMatchObject({ code, message: expect.stringContaining(words) });
    expect(complete).not.toHaveBeenCalled();
  });

  it("refuses what the provider cannot take as the caller's 400 before it takes a slot", async () => {
    prepare.mockImplementation(() => {
      throw new SwitchyardError('invalid_request', 'ollama returns at most 1 choice per call', { param: 'n' });
    });
    const failure = await failureOf(runner().run(await turn()));
    expect(decodeWireError(failure.message)).toMatchObject({ code: 'invalid_request', fault: 'caller', param: 'n' });
    expect(await limiter.load(deploymentId)).toMatchObject({ inFlight: 0, requestsInWindow: 0 });
  });

  it('fails a job whose deployment this worker cannot serve with what the resolver says', async () => {
    const gone = () => {
      throw new SwitchyardError('service_unavailable', 'deployment d of model "local" is not in this worker\'s config.yaml');
    };
    const failure = await failureOf(runner(gone).run(await turn()));
    expect(decodeWireError(failure.message)).toMatchObject({ code: 'service_unavailable' });
  });

  it('retries a retryable upstream failure while attempts remain, counting it', async () => {
    complete.mockRejectedValue(new SwitchyardError('upstream_error', 'hosted_vllm upstream: oops', { retryable: true }));
    expect(await failureOf(runner().run(await turn()))).toBeInstanceOf(RetryLaterError);
    expect(await outcomes()).toEqual([[queue.name, 'retried', 1]]);
  });

  it("pauses the deployment on the upstream's 429 and puts the job back to wait, spending no attempt", async () => {
    complete.mockRejectedValue(new SwitchyardError('rate_limit_exceeded', 'slow down', { retryable: true, retryAfterMs: 2_000 }));
    const t = await turn();
    expect(await failureOf(runner().run(t))).toBeInstanceOf(DelayedError);
    expect(await t.job.getState()).toBe('delayed');
    expect((await limiter.load(deploymentId)).pausedUntil).toBeGreaterThan(Date.now() + 1_000);
    expect(await outcomes()).toEqual([[queue.name, 'postponed', 1]]);
  });

  it('puts a job a stopping worker cut off back on the queue as it was', async () => {
    const t = await turn();
    complete.mockImplementation(async () => {
      t.cancel.abort(STOPPING);
      throw new SwitchyardError('timeout', 'hosted_vllm upstream did not answer', { retryable: true });
    });
    expect(await failureOf(runner().run(t))).toBeInstanceOf(WaitingError);
    expect(await t.job.getState()).toBe('waiting');
    expect(await outcomes()).toEqual([[queue.name, 'returned', 1]]);
  });
});
