import type { INestApplication } from '@nestjs/common';
import { createWorkerApp } from '@app/queue';
import { WORKER_OPENAI_DEFAULTS } from '../apps/worker-openai/src/main';
import { WorkerOpenAIModule } from '../apps/worker-openai/src/worker-openai.module';
import { FakeOpenAIServer, type Stack, UPSTREAM_OPENAI_KEY, call, eventually, sleep, startStack } from '@test/support';

/** Calls of one queue the worker runs at once, here: small, so a handful of slow calls fills them. */
const CONCURRENCY = 4;
const CLOUD = { model: 'cloud', messages: [{ role: 'user', content: 'hello there' }] };
const LOCAL = { model: 'local-vllm', messages: [{ role: 'user', content: 'slow one' }] };

/** Milliseconds one chat call takes, end to end through the gateway. */
async function timed(stack: Stack, body: object): Promise<number> {
  const started = Date.now();
  const res = await call(stack.url, '/v1/chat/completions', { body });
  if (res.status !== 200) throw new Error(`${res.status}: ${res.text}`);
  return Date.now() - started;
}

describe('backends never share worker slots', () => {
  const cloud = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  const vllm = new FakeOpenAIServer({ models: ['llama'] });
  let stack: Stack;

  beforeAll(async () => {
    await Promise.all([cloud.start(), vllm.start()]);
    const config = `model_list:
  - model_name: cloud
    litellm_params: {model: gpt-4o-mini, api_key: os.environ/OPENAI_API_KEY}
  - model_name: local-vllm
    litellm_params: {model: hosted_vllm/llama, api_base: "${vllm.url}"}
`;
    // One worker-openai process; every queue it consumes gets CONCURRENCY slots.
    stack = await startStack({
      config,
      env: { OPENAI_API_KEY: UPSTREAM_OPENAI_KEY, OPENAI_API_BASE: cloud.url, WORKER_CONCURRENCY: String(CONCURRENCY), STORE_MODEL_IN_DB: 'true' },
      workers: ['openai'],
    });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([cloud.stop(), vllm.stop()]);
  });

  it('keeps a cloud call as fast as when idle while a slow local vLLM has more calls than slots', async () => {
    // Idle: warm the connections, then the typical latency of a cloud call.
    await timed(stack, CLOUD);
    const idle = Math.max(...(await Promise.all([1, 2, 3].map(() => timed(stack, CLOUD)))));

    // The vLLM answers nothing until released: three times its slots' worth of calls pile up.
    const release = vllm.hold();
    const slow = Array.from({ length: 3 * CONCURRENCY }, () => call(stack.url, '/v1/chat/completions', { body: LOCAL }));
    try {
      await eventually(
        async () => vllm.inFlight,
        (n) => n >= CONCURRENCY,
      );
      await sleep(200);
      // Its own queue's slots are all taken, and no more than those.
      expect(vllm.inFlight).toBe(CONCURRENCY);

      const started = Date.now();
      const answered = await Promise.race([timed(stack, CLOUD).then(() => true), sleep(idle + 3_000).then(() => false)]);
      const busy = Date.now() - started;
      expect(answered).toBe(true);
      expect(busy).toBeLessThan(idle + 1_000);
    } finally {
      release();
    }
    // Once the vLLM answers, every slow call is served in turn.
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual(slow.map(() => 200));
    expect(vllm.maxInFlight).toBe(CONCURRENCY);
  });

  describe('a backend of its own (model_info.queue)', () => {
    let pool: INestApplication | undefined;
    afterAll(() => pool?.close());

    it('answers 503 naming how to start a worker for it, until a worker consumes it; then its calls are served', async () => {
      const added = await call(stack.url, '/model/new', {
        body: { model_name: 'gpu-box', litellm_params: { model: 'openai/llama', api_base: vllm.url }, model_info: { queue: 'gpu-box' } },
      });
      expect(added.status).toBe(200);

      const refused = await call(stack.url, '/v1/chat/completions', { body: { ...LOCAL, model: 'gpu-box' } });
      expect(refused.status).toBe(503);
      expect(refused.json.error.code).toBe('no_worker_available');
      expect(refused.json.error.message).toContain('chat-gpu-box');
      expect(refused.json.error.message).toContain('worker-openai');
      expect(refused.json.error.message).toContain('WORKER_QUEUES');

      // A dedicated pool: one more worker-openai that consumes that backend alone.
      ({ app: pool } = await createWorkerApp('openai', WORKER_OPENAI_DEFAULTS, { ...stack.env, WORKER_QUEUES: 'gpu-box:2' }, (c) =>
        WorkerOpenAIModule.forRoot(c),
      ));
      await pool.init();
      const served = await eventually(
        () => call(stack.url, '/v1/chat/completions', { body: { ...LOCAL, model: 'gpu-box' } }),
        (r) => r.status === 200,
      );
      expect(served.status).toBe(200);
      expect(served.json.model).toBe('gpu-box');
    });
  });
});
