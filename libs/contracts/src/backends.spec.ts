import { BACKEND_NAME, queueName } from './backends';

describe('queueName', () => {
  it('keeps the queue names workers and autoscalers already watch, and names every other backend the same way', () => {
    expect(queueName('openai')).toBe('chat-openai');
    expect(queueName('ollama')).toBe('chat-ollama');
    expect(queueName('hosted_vllm')).toBe('chat-hosted_vllm');
  });
});

describe('BACKEND_NAME', () => {
  it.each(['openai', 'hosted_vllm', 'gpu-a', '0box'])('takes %s', (name) => expect(BACKEND_NAME.test(name)).toBe(true));
  // Part of Redis keys and of `<queue>:<callId>` cancel notices: no separators, no hash tags, no spaces.
  it.each(['', 'GPU', 'a:b', '{a}', 'a b', '-a', 'x'.repeat(64)])('refuses %p', (name) => expect(BACKEND_NAME.test(name)).toBe(false));
});
