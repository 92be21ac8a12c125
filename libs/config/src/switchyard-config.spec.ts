import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box';
import { GatewayConfig, WorkerConfig } from './switchyard-config';

describe('GatewayConfig.maxQueueDepth', () => {
  const configFile = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sy-config-')), 'config.yaml');
    writeFileSync(file, text);
    return file;
  };
  const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', MASTER_KEY: 'sk-1234' };

  it('is provider_settings.<provider>.max_queue_depth where set, else MAX_QUEUE_DEPTH (default 1000)', () => {
    const CONFIG_FILE = configFile('model_list: []\nprovider_settings:\n  ollama: {max_queue_depth: 20}\n');
    const config = GatewayConfig.load({ ...base, CONFIG_FILE, MAX_QUEUE_DEPTH: '300' });
    expect(config.maxQueueDepth('ollama')).toBe(20);
    expect(config.maxQueueDepth('openai')).toBe(300);
    expect(GatewayConfig.load({ ...base, CONFIG_FILE }).maxQueueDepth('openai')).toBe(1000);
  });
});

describe('salt key shared by gateway and workers', () => {
  const configFile = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sy-config-')), 'config.yaml');
    writeFileSync(file, text);
    return file;
  };
  const box = new SecretBox('sk-from-config');
  const spec = {
    id: 'db-1',
    version: 'v1',
    model_name: 'team/llama',
    litellm_params: box.sealParams({ model: 'ollama/llama3.2', api_key: 'sk-upstream' }),
    model_info: {},
  };

  it('falls back to general_settings.master_key in the worker as it does in the gateway', () => {
    const CONFIG_FILE = configFile('model_list: []\ngeneral_settings:\n  master_key: sk-from-config\n');
    const gateway = GatewayConfig.load({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', CONFIG_FILE });
    const worker = WorkerConfig.load('ollama', { CONFIG_FILE }, { healthPort: 1, concurrency: 1 });
    expect(gateway.env.SALT_KEY).toBe('sk-from-config');
    expect(worker.env.SALT_KEY).toBe('sk-from-config');
    expect(worker.deployments.resolve('db-1', spec, 'team/llama').apiKey).toBe('sk-upstream');
  });

  it('prefers SALT_KEY, then LITELLM_SALT_KEY, over any master key', () => {
    const CONFIG_FILE = configFile('model_list: []\ngeneral_settings:\n  master_key: sk-from-config\n');
    expect(
      WorkerConfig.load('ollama', { CONFIG_FILE, LITELLM_SALT_KEY: 'sk-litellm-salt', LITELLM_MASTER_KEY: 'sk-m' }, { healthPort: 1, concurrency: 1 }).env
        .SALT_KEY,
    ).toBe('sk-litellm-salt');
    expect(
      WorkerConfig.load('ollama', { CONFIG_FILE, SALT_KEY: 'sk-salt', LITELLM_SALT_KEY: 'sk-litellm-salt' }, { healthPort: 1, concurrency: 1 }).env.SALT_KEY,
    ).toBe('sk-salt');
  });
});

describe('queues per backend', () => {
  const configFile = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sy-config-')), 'config.yaml');
    writeFileSync(file, text);
    return file;
  };
  const CONFIG_FILE = configFile(`model_list:
  - model_name: vllm
    litellm_params: {model: hosted_vllm/llama, api_base: "http://gpu:8000/v1"}
  - model_name: box
    litellm_params: {model: openai/llama, api_base: "http://box:8000/v1"}
    model_info: {queue: gpu-box}
queue_settings:
  hosted_vllm: {concurrency: 3, max_queue_depth: 40}
`);

  it('opens at the gateway the queues of every provider and of every backend config.yaml names, each with its depth', () => {
    const gateway = GatewayConfig.load({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', MASTER_KEY: 'sk-1234', CONFIG_FILE });
    expect(gateway.backends()).toEqual(expect.arrayContaining(['openai', 'hosted_vllm', 'lm_studio', 'ollama', 'gpu-box']));
    expect(gateway.maxQueueDepth('hosted_vllm')).toBe(40);
    expect(gateway.maxQueueDepth('openai')).toBe(1000);
  });

  it("gives a worker its wire's queues with their concurrency, or those WORKER_QUEUES lists", () => {
    const worker = WorkerConfig.load('openai', { CONFIG_FILE, WORKER_CONCURRENCY: '16' }, { healthPort: 1, concurrency: 32 });
    expect(worker.queues.map((q) => `${q.queue}:${q.concurrency}`)).toEqual(
      expect.arrayContaining(['chat-openai:16', 'chat-hosted_vllm:3', 'chat-lm_studio:16', 'chat-gpu-box:16']),
    );
    expect(worker.queues.map((q) => q.queue)).not.toContain('chat-ollama');
    const pool = WorkerConfig.load('openai', { CONFIG_FILE, WORKER_QUEUES: 'gpu-box:2' }, { healthPort: 1, concurrency: 32 });
    expect(pool.queues).toEqual([{ backend: 'gpu-box', queue: 'chat-gpu-box', concurrency: 2 }]);
    expect(WorkerConfig.load('ollama', { CONFIG_FILE }, { healthPort: 1, concurrency: 4 }).queues).toEqual([
      { backend: 'ollama', queue: 'chat-ollama', concurrency: 4 },
    ]);
  });
});
