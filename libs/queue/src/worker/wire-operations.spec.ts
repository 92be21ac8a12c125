import {
  OllamaChatAdapter,
  OllamaEmbedAdapter,
  OllamaGenerateAdapter,
  OpenAIChatAdapter,
  OpenAICompletionsAdapter,
  OpenAIEmbeddingsAdapter,
} from '@app/providers';
import { WireOperations } from './wire-operations';

describe('WireOperations', () => {
  const openai = new WireOperations('openai');
  afterAll(() => openai.close());

  it('serves chat for every provider of its wire from the registry, built once each', () => {
    const chat = openai.of('chat', 'hosted_vllm');
    expect(chat).toBeInstanceOf(OpenAIChatAdapter);
    expect(openai.of('chat', 'hosted_vllm')).toBe(chat);
    expect(openai.of('chat', 'openai')).not.toBe(chat);
    expect(openai.of('chat', 'lm_studio')).toBeInstanceOf(OpenAIChatAdapter);
  });

  it("serves the operation a job names: completions over each wire's own adapter", () => {
    expect(openai.of('completions', 'lm_studio')).toBeInstanceOf(OpenAICompletionsAdapter);
    expect(openai.of('completions', 'lm_studio')).toBe(openai.of('completions', 'lm_studio'));
    const ollama = new WireOperations('ollama');
    expect(ollama.of('completions', 'ollama')).toBeInstanceOf(OllamaGenerateAdapter);
    expect(() => ollama.of('completions', 'openai')).toThrow('worker-ollama does not serve completions for provider openai');
    void ollama.close();
  });

  it('refuses a provider of another wire, or none, naming the worker', () => {
    expect(() => openai.of('chat', 'ollama')).toThrow('worker-openai does not serve chat for provider ollama');
    expect(() => openai.of('chat', 'anthropic')).toThrow('worker-openai does not serve chat for provider anthropic');
    const ollama = new WireOperations('ollama');
    expect(ollama.of('chat', 'ollama')).toBeInstanceOf(OllamaChatAdapter);
    void ollama.close();
  });
});

describe('WireOperations: embeddings', () => {
  it("serves embeddings with each wire's own adapter, built once per provider", () => {
    const openai = new WireOperations('openai');
    const ollama = new WireOperations('ollama');
    expect(openai.of('embeddings', 'hosted_vllm')).toBeInstanceOf(OpenAIEmbeddingsAdapter);
    expect(openai.of('embeddings', 'hosted_vllm')).toBe(openai.of('embeddings', 'hosted_vllm'));
    expect(ollama.of('embeddings', 'ollama')).toBeInstanceOf(OllamaEmbedAdapter);
    expect(() => ollama.of('embeddings', 'openai')).toThrow('worker-ollama does not serve embeddings for provider openai');
    void openai.close();
    void ollama.close();
  });
});
