import { PROVIDERS } from '@app/providers';
import { completionDeploymentRefusal, deploymentRefusal, deploymentRequest, listProviders } from './provider-list';

describe('listProviders', () => {
  it('offers every provider of the registry with what the admin UI needs to write a model', () => {
    expect(listProviders().map((p) => p.name)).toEqual(PROVIDERS.map((p) => p.name));
    expect(listProviders()).toEqual(
      expect.arrayContaining([
        {
          name: 'openai',
          label: 'OpenAI or OpenAI-compatible',
          wire: 'openai',
          prefixes: ['openai'],
          needsApiBase: false,
          defaultApiBase: 'https://api.openai.com/v1',
          apiBaseHint: expect.stringContaining('https://api.openai.com/v1'),
          operations: ['chat', 'completions', 'embeddings'],
        },
        {
          name: 'hosted_vllm',
          label: 'vLLM',
          wire: 'openai',
          prefixes: ['hosted_vllm'],
          needsApiBase: true,
          defaultApiBase: null,
          apiBaseHint: expect.any(String),
          operations: ['chat', 'completions', 'embeddings'],
        },
        {
          name: 'lm_studio',
          label: 'LM Studio',
          wire: 'openai',
          prefixes: ['lm_studio'],
          needsApiBase: true,
          defaultApiBase: null,
          apiBaseHint: expect.any(String),
          operations: ['chat', 'completions', 'embeddings'],
        },
        {
          name: 'ollama',
          label: 'Ollama',
          wire: 'ollama',
          prefixes: ['ollama', 'ollama_chat'],
          needsApiBase: false,
          defaultApiBase: 'http://localhost:11434',
          apiBaseHint: expect.any(String),
          operations: ['chat', 'completions', 'embeddings'],
        },
      ]),
    );
  });

  it('shows the default api_base this process would use (OPENAI_API_BASE)', () => {
    expect(listProviders({ OPENAI_API_BASE: 'http://proxy:8080/v1' })[0].defaultApiBase).toBe('http://proxy:8080/v1');
  });
});

describe('completionDeploymentRefusal', () => {
  it("refuses what Ollama's /api/generate cannot take, naming the field; OpenAI-wire deployments take it all", () => {
    const request = { model: 'm', prompt: ['a', 'b'], n: 2, echo: true };
    expect(completionDeploymentRefusal({ provider: 'ollama' }, request)).toMatchObject({ code: 'invalid_request', param: 'n' });
    expect(completionDeploymentRefusal({ provider: 'ollama' }, { ...request, n: 1 })).toMatchObject({ param: 'prompt' });
    expect(completionDeploymentRefusal({ provider: 'ollama' }, { ...request, n: 1, prompt: 'a' })).toMatchObject({ param: 'echo' });
    expect(completionDeploymentRefusal({ provider: 'ollama' }, { model: 'm', prompt: ['a'] })).toBeUndefined();
    for (const provider of ['openai', 'hosted_vllm', 'lm_studio']) expect(completionDeploymentRefusal({ provider }, request)).toBeUndefined();
  });
});

describe('deploymentRefusal', () => {
  const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], n: 2 };

  it("refuses what the deployment's provider cannot do, naming the field, and nothing else", () => {
    expect(deploymentRefusal({ provider: 'ollama' }, request)).toMatchObject({
      code: 'invalid_request',
      param: 'n',
      message: expect.stringMatching(/^ollama returns at most 1 choice per call; n must be at most 1 \(or set drop_params: true.*to drop n\)$/),
    });
    expect(deploymentRefusal({ provider: 'ollama' }, { ...request, n: 1 })).toBeUndefined();
    expect(deploymentRefusal({ provider: 'openai' }, request)).toBeUndefined();
    expect(deploymentRefusal({ provider: 'hosted_vllm' }, request)).toBeUndefined();
  });

  it('drops what the provider cannot honour when drop_params is on, and additional_drop_params always', () => {
    const ollama = { provider: 'ollama', dropParams: true };
    expect(deploymentRefusal(ollama, request)).toBeUndefined();
    expect(deploymentRequest(ollama, request)).toEqual({ model: 'm', messages: request.messages });
    expect(deploymentRequest({ provider: 'ollama' }, request)).toBe(request);
    const extra = { provider: 'openai', additionalDropParams: ['user', 'n'] };
    expect(deploymentRequest(extra, { ...request, user: 'u' })).toEqual({ model: 'm', messages: request.messages });
    expect(deploymentRefusal({ provider: 'ollama', additionalDropParams: ['n'] }, request)).toBeUndefined();
  });
});
