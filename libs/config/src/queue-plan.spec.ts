import { type Wire, queueName } from '@app/contracts';
import { defaultBackendsOfWire } from '@app/providers';
import { ConfigError } from './config-error';
import { parseModelConfig } from './model-config.loader';
import { maxQueueDepthOf, startWorkerHint, workerQueues } from './queue-plan';

const MODELS = `model_list:
  - model_name: cloud
    litellm_params: {model: gpt-4o-mini, api_key: k}
  - model_name: vllm
    litellm_params: {model: hosted_vllm/llama, api_base: "http://gpu:8000/v1"}
  - model_name: box
    litellm_params: {model: openai/llama, api_base: "http://box:8000/v1"}
    model_info: {queue: gpu-box}
  - model_name: local
    litellm_params: {model: ollama/llama3.2}
`;
const load = (extra = '') => parseModelConfig(MODELS + extra, 'config.yaml', { env: {}, needsSecretsOf: [] });
const queuesOf = (wire: Wire, extra = '', env: Partial<Parameters<typeof workerQueues>[3]> = {}) => {
  const { deployments, defaults } = load(extra);
  return workerQueues(wire, deployments, defaults, { WORKER_CONCURRENCY: 32, ...env });
};

describe('workerQueues', () => {
  it("consumes every backend of the worker's wire by default: each provider's, then those config.yaml names", () => {
    const defaults = defaultBackendsOfWire('openai');
    expect(defaults).toEqual(expect.arrayContaining(['openai', 'hosted_vllm', 'lm_studio']));
    expect(queuesOf('openai')).toEqual([...defaults, 'gpu-box'].map((backend) => ({ backend, queue: queueName(backend), concurrency: 32 })));
    expect(queuesOf('ollama', '', { WORKER_CONCURRENCY: 4 })).toEqual([{ backend: 'ollama', queue: 'chat-ollama', concurrency: 4 }]);
  });

  it('takes each queue its own concurrency: WORKER_QUEUES, then queue_settings, then WORKER_CONCURRENCY', () => {
    const settings = 'queue_settings:\n  hosted_vllm: {concurrency: 2}\n  gpu-box: {concurrency: 6}\n';
    const concurrency = Object.fromEntries(queuesOf('openai', settings).map((q) => [q.backend, q.concurrency]));
    expect(concurrency).toMatchObject({ openai: 32, hosted_vllm: 2, lm_studio: 32, 'gpu-box': 6 });
    const narrowed = queuesOf('openai', settings, {
      WORKER_QUEUES: [{ backend: 'gpu-box', concurrency: 1 }, { backend: 'hosted_vllm' }, { backend: 'stored-only' }],
    });
    expect(narrowed).toEqual([
      { backend: 'gpu-box', queue: 'chat-gpu-box', concurrency: 1 },
      { backend: 'hosted_vllm', queue: 'chat-hosted_vllm', concurrency: 2 },
      // A backend only models in the database name: the worker cannot know it otherwise.
      { backend: 'stored-only', queue: 'chat-stored-only', concurrency: 32 },
    ]);
  });

  it("refuses, naming WORKER_QUEUES, a backend whose calls another wire's worker serves", () => {
    const error = (() => {
      try {
        return queuesOf('ollama', '', { WORKER_QUEUES: [{ backend: 'hosted_vllm' }] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'WORKER_QUEUES: backend hosted_vllm carries openai calls; worker-ollama cannot serve them (start worker-openai for it)',
    ]);
  });
});

describe('maxQueueDepthOf', () => {
  it('is queue_settings.<backend>, then provider_settings of its provider, else of its wire, then the fallback', () => {
    const { deployments, defaults } = load(
      'queue_settings:\n  lm_studio: {max_queue_depth: 7}\nprovider_settings:\n  openai: {max_queue_depth: 300}\n  ollama: {max_queue_depth: 20}\n',
    );
    const depth = (backend: string) => maxQueueDepthOf(backend, deployments, defaults, 1000);
    expect(depth('lm_studio')).toBe(7);
    expect(depth('openai')).toBe(300);
    // hosted_vllm has no section of its own: its wire's applies, as it did when it shared chat-openai.
    expect(depth('hosted_vllm')).toBe(300);
    // A backend of its own takes its deployments' provider's.
    expect(depth('gpu-box')).toBe(300);
    expect(depth('ollama')).toBe(20);
    // Named only by a model in the database.
    expect(depth('stored-only')).toBe(1000);
  });

  it("lets a provider's own section win over its wire's", () => {
    const { deployments, defaults } = load('provider_settings:\n  openai: {max_queue_depth: 300}\n  hosted_vllm: {max_queue_depth: 9}\n');
    expect(maxQueueDepthOf('hosted_vllm', deployments, defaults, 1000)).toBe(9);
  });
});

describe('startWorkerHint', () => {
  it('names the worker app, and for a backend of its own how to make it consume it', () => {
    expect(startWorkerHint({ backend: 'hosted_vllm', wire: 'openai' })).toBe('start worker-openai');
    expect(startWorkerHint({ backend: 'gpu-box', wire: 'openai' })).toBe(
      'start worker-openai with backend gpu-box in its config.yaml (model_info.queue) or in WORKER_QUEUES',
    );
  });
});
