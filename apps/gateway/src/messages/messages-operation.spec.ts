import type { ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';
import { MESSAGES_OPERATION } from './messages-operation';

const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], top_k: 40, temperature: 0.5 };
const on = (provider: string, wire: Deployment['wire']) => MESSAGES_OPERATION.requestFor!({ provider, wire } as Deployment, request);

describe('MESSAGES_OPERATION.requestFor', () => {
  it.each<[string, Deployment['wire'], boolean]>([
    ['ollama', 'ollama', true],
    ['openai', 'openai', false],
    ['hosted_vllm', 'openai', false],
    ['lm_studio', 'openai', false],
  ])('%s gets top_k: %s', (provider, wire, kept) => {
    const sent = on(provider, wire);
    expect('top_k' in sent).toBe(kept);
    expect(sent).toMatchObject({ model: 'm', temperature: 0.5 });
  });

  it('leaves the request alone when it has no top_k', () => {
    const { top_k: _topK, ...plain } = request;
    expect(MESSAGES_OPERATION.requestFor!({ wire: 'openai' } as Deployment, plain)).toBe(plain);
  });
});
