import type { Wire } from '@app/contracts';
import { ConfigError } from './config-error';
import { parseModelConfig } from './model-config.loader';
import { routerSettingsFrom } from './router-settings';

// The config.yaml of the LiteLLM tutorial our users follow, byte for byte.
const TUTORIAL_CONFIG = `model_list:
  - model_name: openai/gpt-4o-mini
    litellm_params:
      model: gpt-4o-mini
      api_key: os.environ/OPENAI_API_KEY
  - model_name: ollama/gpt-oss:20b
    litellm_params:
      model: ollama/gpt-oss:20b
      api_base: "http://host.docker.internal:11434"
`;

const load = (text: string, env: Record<string, string> = {}, needsSecretsOf: Wire[] = []) => parseModelConfig(text, 'config.yaml', { env, needsSecretsOf });

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseModelConfig', () => {
  it('loads the tutorial config unchanged', () => {
    const { deployments } = load(TUTORIAL_CONFIG, { OPENAI_API_KEY: 'sk-real' }, ['openai']);
    expect(deployments).toHaveLength(2);
    expect(deployments[0]).toMatchObject({
      modelName: 'openai/gpt-4o-mini',
      provider: 'openai',
      upstreamModel: 'gpt-4o-mini',
      apiBase: 'https://api.openai.com/v1',
      apiKey: 'sk-real',
    });
    expect(deployments[1]).toMatchObject({
      modelName: 'ollama/gpt-oss:20b',
      provider: 'ollama',
      upstreamModel: 'gpt-oss:20b',
      apiBase: 'http://host.docker.internal:11434',
      apiKey: undefined,
    });
  });

  it.each([
    ['gpt-4o-mini', 'openai', 'gpt-4o-mini'],
    ['openai/gpt-4o', 'openai', 'gpt-4o'],
    ['openai/meta-llama/Llama-3-8B', 'openai', 'meta-llama/Llama-3-8B'],
    ['ollama/llama3', 'ollama', 'llama3'],
    ['ollama_chat/qwen2.5:7b', 'ollama', 'qwen2.5:7b'],
  ])('takes the provider of %s from its prefix', (model, provider, upstreamModel) => {
    const [d] = load(`model_list:\n  - model_name: m\n    litellm_params:\n      model: ${model}\n      api_key: k\n`).deployments;
    expect(d).toMatchObject({ provider, upstreamModel });
  });

  it('gives each entry a stable id, the same in every process, unless model_info.id sets one', () => {
    const text = `${TUTORIAL_CONFIG}    model_info:\n      id: local-gpt-oss\n`;
    const first = load(text).deployments;
    const second = load(text, { OPENAI_API_KEY: 'different' }).deployments;
    expect(first[0].id).toMatch(/^[0-9a-f]{16}$/);
    expect(second[0].id).toBe(first[0].id);
    expect(first[1].id).toBe('local-gpt-oss');
  });

  it('defaults Ollama to localhost:11434 and OpenAI to OPENAI_API_BASE when set', () => {
    const text = `model_list:\n  - model_name: a\n    litellm_params: {model: ollama/llama3}\n  - model_name: b\n    litellm_params: {model: gpt-4o, api_key: k}\n`;
    const [ollama, openai] = load(text, { OPENAI_API_BASE: 'http://127.0.0.1:8000/v1/' }).deployments;
    expect(ollama.apiBase).toBe('http://localhost:11434');
    expect(openai.apiBase).toBe('http://127.0.0.1:8000/v1');
  });

  it('reads numeric limits and the timeout in seconds', () => {
    const text = `model_list:\n  - model_name: a\n    litellm_params: {model: ollama/llama3, rpm: 60, tpm: "1000", timeout: 2.5, num_retries: 0}\n`;
    expect(load(text).deployments[0]).toMatchObject({ rpm: 60, tpm: 1000, timeoutMs: 2500, numRetries: 0 });
  });

  it('stops a worker that needs a missing os.environ secret, naming the variable and the entry', () => {
    expect(problemsOf(() => load(TUTORIAL_CONFIG, {}, ['openai']))).toEqual([
      'config.yaml model_list[0].litellm_params.api_key: environment variable OPENAI_API_KEY is not set',
    ]);
  });

  it('lets processes that never call OpenAI start without its key', () => {
    expect(load(TUTORIAL_CONFIG, {}, ['ollama']).deployments).toHaveLength(2);
    expect(load(TUTORIAL_CONFIG, {}, []).deployments).toHaveLength(2);
  });

  it.each([
    [
      'an unknown provider prefix',
      'model_list:\n  - model_name: a\n    litellm_params: {model: anthropic/claude}\n',
      'model_list[0].litellm_params.model: provider "anthropic" is not supported',
    ],
    ['a missing model_name', 'model_list:\n  - litellm_params: {model: gpt-4o}\n', 'model_list[0].model_name'],
    ['a missing litellm_params.model', 'model_list:\n  - model_name: a\n    litellm_params: {api_key: k}\n', 'model_list[0].litellm_params.model'],
    ['a bad api_base', 'model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x, api_base: not-a-url}\n', 'model_list[0].litellm_params.api_base'],
    ['a negative rpm', 'model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x, rpm: -1}\n', 'model_list[0].litellm_params.rpm'],
    [
      'a vLLM model without api_base',
      'model_list:\n  - model_name: a\n    litellm_params: {model: hosted_vllm/llama}\n',
      'api_base: required for hosted_vllm/',
    ],
    [
      'a duplicate model_info.id',
      'model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x}\n    model_info: {id: same}\n  - model_name: b\n    litellm_params: {model: ollama/y}\n    model_info: {id: same}\n',
      '"same" is also used by',
    ],
    ['YAML that does not parse', 'model_list: [', 'not valid YAML'],
    ['a model_list that is not a list', 'model_list: 3\n', 'model_list'],
  ])('stops boot on %s with a message naming the field', (_case, text, expected) => {
    const problems = problemsOf(() => load(text));
    expect(problems.join('\n')).toContain(expected);
  });

  describe('os.environ/ and secrets', () => {
    const entry = `model_list:
  - model_name: team
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/TEAM_KEY
      api_base: os.environ/TEAM_BASE
      organization: os.environ/TEAM_ORG
      foo: os.environ/DATABASE_URL
      extra_headers: {X-Team: os.environ/TEAM_HEADER, X-Plain: plain-value, X-Count: 3}
      headers: {X-Old: old, X-Plain: loses}
    model_info: {note: os.environ/LITELLM_MASTER_KEY}
`;
    const env = {
      TEAM_KEY: 'sk-team-key',
      TEAM_BASE: 'http://proxy-user:proxy-pass@10.0.0.5:8000/v1/',
      TEAM_ORG: 'org-team',
      TEAM_HEADER: 'header-secret',
      DATABASE_URL: 'postgresql://u:dbpass@db/x',
      LITELLM_MASTER_KEY: 'sk-master-key',
    };

    it('reads them in the fields that take secrets, for the worker that calls the deployment', () => {
      const [d] = load(entry, env, ['openai']).deployments;
      expect(d).toMatchObject({ apiKey: 'sk-team-key', apiBase: 'http://proxy-user:proxy-pass@10.0.0.5:8000/v1' });
      expect(d.headers).toEqual({ 'openai-organization': 'org-team', 'x-old': 'old', 'x-plain': 'plain-value', 'x-team': 'header-secret', 'x-count': '3' });
    });

    it('leaves them as written everywhere else, so no other value of the environment is read', () => {
      const [d] = load(entry, env, ['openai']).deployments;
      expect(d.extraParams).toEqual({ foo: 'os.environ/DATABASE_URL' });
      expect(d.modelInfo).toEqual({ note: 'os.environ/LITELLM_MASTER_KEY' });
      const text = `${entry}router_settings:\n  redis_password: os.environ/NOPE\nlitellm_settings:\n  cache_params: {password: os.environ/NOPE}\n`;
      expect(load(text.replace('foo: os.environ/DATABASE_URL', 'foo: os.environ/NOPE'), env, ['openai']).deployments).toHaveLength(1);
    });

    it('gives a process that does not call the deployment none of its credentials', () => {
      const [d] = load(entry, env, ['ollama']).deployments;
      expect(d.apiKey).toBeUndefined();
      expect(d.headers).toEqual({});
      expect(load(entry, { TEAM_BASE: env.TEAM_BASE }, []).deployments).toHaveLength(1);
      expect(problemsOf(() => load(entry, { TEAM_BASE: env.TEAM_BASE }, ['openai']))).toEqual([
        'config.yaml model_list[0].litellm_params.api_key: environment variable TEAM_KEY is not set',
        'config.yaml model_list[0].litellm_params.organization: environment variable TEAM_ORG is not set',
        'config.yaml model_list[0].litellm_params.extra_headers.X-Team: environment variable TEAM_HEADER is not set',
      ]);
    });

    it('keeps what may be shown: references as written, literal secrets masked, never a resolved value', () => {
      const [d] = load(entry, env, ['openai']).deployments;
      expect(d.shownParams).toEqual({
        api_base: 'os.environ/TEAM_BASE',
        organization: 'os.environ/TEAM_ORG',
        extra_headers: { 'X-Team': 'os.environ/TEAM_HEADER', 'X-Plain': '****', 'X-Count': '****' },
        headers: { 'X-Old': '****', 'X-Plain': '****' },
      });
      const literal = load(`model_list:\n  - model_name: a\n    litellm_params: {model: ollama/a, api_base: "http://u:pw@h:11434?token=abc"}\n`).deployments[0];
      expect(literal.shownParams).toEqual({ api_base: 'http://****@h:11434?token=****' });
    });

    it.each([
      ['Host', 'extra_headers.Host: is set by the gateway'],
      ['content-type', 'extra_headers.content-type: is set by the gateway'],
      ['Transfer-Encoding', 'extra_headers.Transfer-Encoding: is set by the gateway'],
      ['"bad header"', 'extra_headers.bad header: is not a valid header name'],
    ])('refuses a header %s, naming it', (name, expected) => {
      const text = `model_list:\n  - model_name: a\n    litellm_params:\n      model: ollama/a\n      extra_headers: {${name}: x}\n`;
      expect(problemsOf(() => load(text)).join('\n')).toContain(`model_list[0].litellm_params.${expected}`);
    });

    it('refuses a header value with a line break', () => {
      const text = `model_list:\n  - model_name: a\n    litellm_params:\n      model: ollama/a\n      headers: {X-A: "one\\r\\nX-B: two"}\n`;
      expect(problemsOf(() => load(text)).join('\n')).toContain('litellm_params.headers.X-A: must not contain line breaks');
    });
  });

  describe('call defaults', () => {
    const entries = `model_list:
  - model_name: own
    litellm_params: {model: ollama/a, rpm: 10, timeout: 5, num_retries: 1, max_parallel_requests: 3}
  - model_name: ollama-defaults
    litellm_params: {model: ollama/b}
  - model_name: openai-defaults
    litellm_params: {model: gpt-4o, api_key: k}
`;
    const settings = `provider_settings:
  ollama: {rpm: 20, tpm: 5000, max_parallel_requests: 2, timeout: 30, stream_timeout: 90, max_queue_depth: 50}
router_settings:
  timeout: 40
  num_retries: 4
  default_max_parallel_requests: 8
  routing_strategy: simple-shuffle
  enable_pre_call_checks: true
litellm_settings:
  request_timeout: 50
  num_retries: 5
  drop_params: true
`;

    it('fill what a deployment leaves unset: its provider first, then router_settings, then litellm_settings', () => {
      const config = load(entries + settings);
      const [own, ollama, openai] = config.deployments;
      expect(own).toMatchObject({ rpm: 10, tpm: 5000, maxParallelRequests: 3, timeoutMs: 5000, streamTimeoutMs: 5000, numRetries: 1 });
      expect(ollama).toMatchObject({ rpm: 20, tpm: 5000, maxParallelRequests: 2, timeoutMs: 30_000, streamTimeoutMs: 90_000, numRetries: 4 });
      expect(openai).toMatchObject({ rpm: undefined, tpm: undefined, maxParallelRequests: 8, timeoutMs: 40_000, streamTimeoutMs: 40_000, numRetries: 4 });
      expect(config.defaults.providers.ollama?.max_queue_depth).toBe(50);
      expect(config.ignoredSections).toEqual(['router_settings (enable_pre_call_checks)']);
      // litellm_settings.drop_params is the default of every deployment that does not set its own.
      expect(config.deployments.every((d) => d.dropParams)).toBe(true);
    });

    it('take litellm_settings when nothing more specific is set, and leave the rest unset', () => {
      const [d] = load(
        `model_list:\n  - model_name: a\n    litellm_params: {model: ollama/a}\nlitellm_settings: {request_timeout: 50, num_retries: 5}\n`,
      ).deployments;
      expect(d).toMatchObject({ timeoutMs: 50_000, streamTimeoutMs: 50_000, numRetries: 5, rpm: undefined, maxParallelRequests: undefined });
    });

    it('use a deployment stream_timeout for streams only', () => {
      const [d] = load(`model_list:\n  - model_name: a\n    litellm_params: {model: ollama/a, timeout: 10, stream_timeout: 2.5}\n`).deployments;
      expect(d).toMatchObject({ timeoutMs: 10_000, streamTimeoutMs: 2500 });
    });

    it('read os.environ/ references', () => {
      const [d] = load(`model_list:\n  - model_name: a\n    litellm_params: {model: ollama/a}\nprovider_settings:\n  ollama: {rpm: os.environ/OLLAMA_RPM}\n`, {
        OLLAMA_RPM: '12',
      }).deployments;
      expect(d.rpm).toBe(12);
    });

    it.each([
      ['a negative rpm', 'provider_settings:\n  ollama: {rpm: -1}\n', 'config.yaml provider_settings.ollama.rpm:'],
      ['a fractional rpm', 'model_list:\n  - model_name: a\n    litellm_params: {model: ollama/x, rpm: 2.5}\n', 'model_list[0].litellm_params.rpm'],
      [
        'an unknown provider',
        'provider_settings:\n  anthropic: {rpm: 1}\n',
        'config.yaml provider_settings: unknown field anthropic (known: openai, hosted_vllm, lm_studio, ollama)',
      ],
      [
        'a misspelt setting',
        'provider_settings:\n  ollama: {max_paralel_requests: 2}\n',
        'config.yaml provider_settings.ollama: unknown field max_paralel_requests',
      ],
      ['a negative queue depth', 'provider_settings:\n  openai: {max_queue_depth: -5}\n', 'config.yaml provider_settings.openai.max_queue_depth:'],
      ['a zero stream_timeout', 'provider_settings:\n  openai: {stream_timeout: 0}\n', 'config.yaml provider_settings.openai.stream_timeout:'],
      ['negative router_settings.num_retries', 'router_settings:\n  num_retries: -1\n', 'config.yaml router_settings.num_retries:'],
      ['a non-numeric request_timeout', 'litellm_settings:\n  request_timeout: soon\n', 'config.yaml litellm_settings.request_timeout:'],
      [
        'a missing os.environ variable',
        'router_settings:\n  timeout: os.environ/NOPE\n',
        'config.yaml router_settings.timeout: environment variable NOPE is not set',
      ],
    ])('stop boot on %s, naming the field', (_case, text, expected) => {
      expect(problemsOf(() => load(text)).join('\n')).toContain(expected);
    });
  });

  describe('providers, wires and backends', () => {
    const entry = (model: string, info = '') => `model_list:\n  - model_name: m\n    litellm_params: {model: ${model}, api_base: "http://h:8000/v1"}\n${info}`;

    it.each([
      ['gpt-4o-mini', 'openai', 'openai', 'openai'],
      ['hosted_vllm/llama', 'hosted_vllm', 'openai', 'hosted_vllm'],
      ['lm_studio/qwen', 'lm_studio', 'openai', 'lm_studio'],
      ['ollama_chat/llama3', 'ollama', 'ollama', 'ollama'],
    ])("puts %s on its provider (%s), its wire (%s) and its provider's backend (%s)", (model, provider, wire, backend) => {
      expect(load(entry(model)).deployments[0]).toMatchObject({ provider, wire, backend });
    });

    it('puts a deployment on a backend of its own with model_info.queue', () => {
      expect(load(entry('openai/llama', '    model_info: {queue: gpu-a}\n')).deployments[0]).toMatchObject({
        provider: 'openai',
        wire: 'openai',
        backend: 'gpu-a',
      });
    });

    it.each([
      [
        'a queue name that cannot be a backend name',
        'openai/x',
        '    model_info: {queue: "GPU A"}\n',
        'model_list[0].model_info.queue: must be a backend name',
      ],
      [
        "the queue of another wire's provider",
        'ollama/x',
        '    model_info: {queue: hosted_vllm}\n',
        'model_list[0].model_info.queue: hosted_vllm is the queue of openai deployments; a ollama deployment is served by worker-ollama',
      ],
    ])('stops boot on %s', (_case, model, info, expected) => {
      expect(problemsOf(() => load(entry(model, info))).join('\n')).toContain(expected);
    });

    it('stops boot on a backend that deployments of two wires name', () => {
      const text = `${entry('openai/x', '    model_info: {queue: shared}\n')}  - model_name: n\n    litellm_params: {model: ollama/y}\n    model_info: {queue: shared}\n`;
      expect(problemsOf(() => load(text))).toEqual([
        'config.yaml model_info.queue: backend shared is named by deployments served by worker-openai and worker-ollama; a queue is served by one kind of worker',
      ]);
    });

    it("applies provider_settings of the wire to a provider without a section of its own (openai's to hosted_vllm)", () => {
      const text = `${entry('hosted_vllm/llama')}provider_settings:\n  openai: {rpm: 60}\n`;
      expect(load(text).deployments[0].rpm).toBe(60);
      expect(load(`${text}  hosted_vllm: {rpm: 5}\n`).deployments[0].rpm).toBe(5);
    });

    it('reads queue_settings per backend, os.environ/ references too', () => {
      const text = `${entry('openai/x', '    model_info: {queue: gpu-a}\n')}queue_settings:\n  gpu-a: {concurrency: 2, max_queue_depth: os.environ/DEPTH}\n  ollama: {concurrency: 1}\n`;
      const config = parseModelConfig(text, 'config.yaml', { env: { DEPTH: '30' }, needsSecretsOf: [] });
      expect(config.defaults.queues).toEqual({ 'gpu-a': { concurrency: 2, max_queue_depth: 30 }, ollama: { concurrency: 1 } });
      expect(config.ignoredSections).toEqual([]);
    });

    it.each([
      [
        'a backend nothing rides',
        'queue_settings:\n  gpu-b: {concurrency: 2}\n',
        'config.yaml queue_settings.gpu-b: no deployment rides backend "gpu-b" (known: openai, hosted_vllm, lm_studio, ollama',
      ],
      [
        'a misspelt setting',
        'queue_settings:\n  openai: {concurency: 2}\n',
        'config.yaml queue_settings.openai: unknown field concurency (known: concurrency, max_queue_depth)',
      ],
      ['a concurrency of zero', 'queue_settings:\n  openai: {concurrency: 0}\n', 'config.yaml queue_settings.openai.concurrency:'],
    ])('stops boot on queue_settings with %s, naming the field', (_case, text, expected) => {
      expect(problemsOf(() => load(entry('openai/x') + text)).join('\n')).toContain(expected);
    });
  });

  it('reports sections it does not act on, and reads general_settings.master_key', () => {
    const text = `${TUTORIAL_CONFIG}general_settings:\n  master_key: os.environ/MY_MASTER\nlitellm_settings:\n  set_verbose: true\n`;
    const config = load(text, { MY_MASTER: 'sk-from-env' });
    expect(config.masterKey).toBe('sk-from-env');
    expect(config.ignoredSections).toEqual(['litellm_settings (set_verbose)']);
  });

  it('reads router_settings: strategy, cooldowns and fallbacks', () => {
    const text = `${TUTORIAL_CONFIG}router_settings:\n  routing_strategy: least-busy\n  allowed_fails: 2\n  cooldown_time: 30\n  fallbacks: [{"openai/gpt-4o-mini": ["ollama/gpt-oss:20b"]}]\n`;
    expect(routerSettingsFrom(load(text).defaults.router)).toEqual({
      routingStrategy: 'least-busy',
      allowedFails: 2,
      cooldownTimeMs: 30_000,
      fallbacks: new Map([['openai/gpt-4o-mini', ['ollama/gpt-oss:20b']]]),
    });
    expect(routerSettingsFrom(load(TUTORIAL_CONFIG).defaults.router)).toMatchObject({
      routingStrategy: 'simple-shuffle',
      allowedFails: 3,
      cooldownTimeMs: 5000,
    });
  });

  it.each([
    ['routing_strategy: fastest', 'router_settings.routing_strategy: must be one of simple-shuffle, least-busy'],
    ['fallbacks: {"a": "b"}', 'router_settings.fallbacks'],
    ['fallbacks: [{"a": "b"}]', 'router_settings.fallbacks[0].a'],
    ['allowed_fails: -1', 'router_settings.allowed_fails'],
  ])('stops boot on router_settings %s, naming the field', (line, expected) => {
    expect(problemsOf(() => load(`${TUTORIAL_CONFIG}router_settings:\n  ${line}\n`)).join('\n')).toContain(expected);
  });
});
