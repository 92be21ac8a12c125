import { queueName } from '@app/contracts';
import { OllamaChatAdapter } from './ollama/ollama-chat.adapter';
import { OllamaGenerateAdapter } from './ollama/ollama-generate.adapter';
import { OpenAIChatAdapter } from './openai/openai-chat.adapter';
import { OpenAICompletionsAdapter } from './openai/openai-completions.adapter';
import type { ProviderDescriptor } from './provider-descriptor';
import { PROVIDERS, checkedRegistry, defaultBackendsOfWire, providerForModel, providerNamed, providersOfWire, wireOfDefaultBackend } from './registry';
import { UpstreamHttpClient } from './http/upstream-http.client';

describe('the provider registry', () => {
  it.each([
    ['gpt-4o-mini', 'openai', 'gpt-4o-mini', null],
    ['openai/meta-llama/Llama-3-8B', 'openai', 'meta-llama/Llama-3-8B', 'openai'],
    ['hosted_vllm/llama', 'hosted_vllm', 'llama', 'hosted_vllm'],
    ['lm_studio/qwen', 'lm_studio', 'qwen', 'lm_studio'],
    ['ollama/llama3', 'ollama', 'llama3', 'ollama'],
    ['ollama_chat/qwen2.5:7b', 'ollama', 'qwen2.5:7b', 'ollama_chat'],
  ])('reads %s as provider %s, model %s', (model, provider, upstreamModel, prefix) => {
    const found = providerForModel(model);
    expect('provider' in found && { provider: found.provider.name, upstreamModel: found.upstreamModel, prefix: found.prefix }).toEqual({
      provider,
      upstreamModel,
      prefix,
    });
  });

  it('names an unknown prefix', () => {
    expect(providerForModel('anthropic/claude')).toEqual({ unknownPrefix: 'anthropic' });
  });

  it('groups providers by wire, and gives each wire the default backends its worker consumes', () => {
    expect(providersOfWire('openai').map((p) => p.name)).toEqual(expect.arrayContaining(['openai', 'hosted_vllm', 'lm_studio']));
    expect(providersOfWire('openai').every((p) => p.wire === 'openai')).toBe(true);
    expect(defaultBackendsOfWire('openai').map(queueName)).toEqual(expect.arrayContaining(['chat-openai', 'chat-hosted_vllm', 'chat-lm_studio']));
    expect(defaultBackendsOfWire('openai')).not.toContain('ollama');
    expect(defaultBackendsOfWire('ollama').map(queueName)).toEqual(expect.arrayContaining(['chat-ollama']));
    expect(wireOfDefaultBackend('lm_studio')).toBe('openai');
    expect(wireOfDefaultBackend('gpu-a')).toBeUndefined();
  });

  it("builds each provider's chat and completions over the wire's own adapters, naming the provider in its messages", () => {
    const http = new UpstreamHttpClient();
    try {
      for (const provider of PROVIDERS) {
        const chat = provider.operations.chat!(http, provider);
        expect(chat).toBeInstanceOf(provider.wire === 'openai' ? OpenAIChatAdapter : OllamaChatAdapter);
        expect(provider.operations.completions!(http, provider)).toBeInstanceOf(provider.wire === 'openai' ? OpenAICompletionsAdapter : OllamaGenerateAdapter);
      }
    } finally {
      void http.close();
    }
  });

  it('knows list prices of OpenAI models only: local servers have none', () => {
    expect(providerNamed('openai')!.models.lookup('gpt-4o-mini-2024-07-18')?.price.input).toBeCloseTo(0.15e-6);
    for (const name of ['hosted_vllm', 'lm_studio', 'ollama']) expect(providerNamed(name)!.models.lookup('gpt-4o')).toBeUndefined();
  });

  it('gives the admin UI a label and an api_base hint for each', () => {
    for (const p of PROVIDERS) expect(p.ui.label && p.ui.apiBaseHint).toBeTruthy();
  });

  describe('checkedRegistry', () => {
    const openai = providerNamed('openai')!;
    const ollama = providerNamed('ollama')!;
    const problemOf = (providers: ProviderDescriptor[]) => {
      try {
        checkedRegistry(providers);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };

    it.each<[string, ProviderDescriptor[], string]>([
      ['a prefix claimed twice', [openai, { ...ollama, prefixes: ['openai'] }], 'prefix openai is claimed by openai and ollama'],
      ['two providers for bare names', [openai, { ...ollama, bareModelNames: true }], '2 providers take bare model names'],
      ['a backend of two wires', [openai, { ...ollama, backend: 'openai' }], 'backend openai is used by'],
      ['a backend name Redis keys cannot hold', [openai, { ...ollama, backend: 'Ollama Box' }], 'backend "Ollama Box" is not a valid backend name'],
      ['a provider without chat', [openai, { ...ollama, operations: {} }], 'ollama does not serve chat'],
      ['a required api_base with a default', [openai, { ...ollama, needsApiBase: true }], 'ollama: a default api_base exactly when none is needed'],
    ])('refuses %s at load', (_case, providers, expected) => {
      expect(problemOf(providers)).toContain(expected);
    });

    it('takes the registry as it is', () => {
      expect(problemOf([...PROVIDERS])).toBe('');
    });
  });
});
