import { estimatePromptTokens } from '../limits/token-estimate';
import { truncatedPrompt } from './prompt-truncation';

/** The worker's prompt estimate of a chat call whose one message has `chars` characters. */
const chat = (chars: number) => estimatePromptTokens({ model: 'm', messages: [{ role: 'user' as const, content: 'x'.repeat(chars) }] });
const usage = (prompt: number) => ({ prompt_tokens: prompt, completion_tokens: 1, total_tokens: prompt + 1 });

describe('truncatedPrompt', () => {
  it('flags a long prompt the upstream read less than half of', () => {
    expect(truncatedPrompt(chat(12_000), usage(800))).toEqual({ estimated: expect.any(Number), read: 800 });
  });
  it.each([
    ['a long prompt read whole', chat(12_000), usage(2900)],
    ['a short prompt, whose estimate is too rough', chat(400), usage(3)],
    ['no usage reported', chat(12_000), undefined],
    ['a zero count (an upstream that does not count)', chat(12_000), usage(0)],
  ])('leaves alone %s', (_case, request, reported) => {
    expect(truncatedPrompt(request, reported)).toBeUndefined();
  });
});
