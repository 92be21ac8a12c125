import { OllamaChatAdapter, OllamaEmbedAdapter, OpenAIChatAdapter, OpenAIEmbeddingsAdapter } from '@app/providers';
import { WireOperations } from './wire-operations';

describe('WireOperations', () => {
  const openai = new WireOperations('openai');
  afterAll(() => openai.close());

  it('serves chat for every provider of its wire from the registry, built once each', () => {
    const chat = openai.chat('hosted_vllm');
    expect(chat).toBeInstanceOf(OpenAIChatAdapter);
    expect(openai.chat('hosted_vllm')).toBe(chat);
    expect(openai.chat('openai')).not.toBe(chat);
    expect(openai.chat('lm_studio')).toBeInstanceOf(OpenAIChatAdapter);
  });

  it('refuses a provider of another wire, or none, naming the worker', () => {
    expect(() => openai.chat('ollama')).toThrow('worker-openai does not serve chat for provider ollama');
    expect(() => openai.chat('anthropic')).toThrow('worker-openai does not serve chat for provider anthropic');
    const ollama = new WireOperations('ollama');
    expect(ollama.chat('ollama')).toBeInstanceOf(OllamaChatAdapter);
    void ollama.close();
  });
});

describe('WireOperations: embeddings', () => {
  it("serves embeddings with each wire's own adapter, built once per provider", () => {
    const openai = new WireOperations('openai');
    const ollama = new WireOperations('ollama');
    expect(openai.embeddings('hosted_vllm')).toBeInstanceOf(OpenAIEmbeddingsAdapter);
    expect(openai.embeddings('hosted_vllm')).toBe(openai.embeddings('hosted_vllm'));
    expect(ollama.embeddings('ollama')).toBeInstanceOf(OllamaEmbedAdapter);
    expect(() => ollama.embeddings('openai')).toThrow('worker-ollama does not serve embeddings for provider openai');
    void openai.close();
    void ollama.close();
  });
});
