import { OllamaChatAdapter, OpenAIChatAdapter } from '@app/providers';
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
