import { deploymentMode, modeRefusal } from './deployment-mode';

const deployment = (upstreamModel: string, modelInfo: Record<string, unknown> = {}) => ({ modelName: 'group', upstreamModel, modelInfo });

describe('deploymentMode', () => {
  it.each([
    ['model_info.mode as written', deployment('gpt-4o-mini', { mode: 'embedding' }), 'embedding'],
    ['a written mode over the name', deployment('text-embedding-3-small', { mode: 'chat' }), 'chat'],
    ["OpenAI's embedding models by name", deployment('text-embedding-3-small'), 'embedding'],
    ["Ollama's embedding models by name", deployment('nomic-embed-text:latest'), 'embedding'],
    ['chat for any other model', deployment('llama3.2'), 'chat'],
    ['other LiteLLM modes as written', deployment('gpt-3.5-turbo-instruct', { mode: 'completion' }), 'completion'],
  ])('is %s', (_case, d, mode) => {
    expect(deploymentMode(d)).toBe(mode);
  });
});

describe('modeRefusal', () => {
  it('refuses chat on an embedding model, saying where to send it', () => {
    expect(modeRefusal(deployment('nomic-embed-text'), 'chat')).toMatchObject({
      code: 'invalid_request',
      status: 400,
      param: 'model',
      message: expect.stringMatching(
        /^model "group" is an embedding model \(no model_info.mode, and its name is an embedding model's\); send it to \/v1\/embeddings/,
      ),
    });
  });

  it('refuses embeddings on a chat model, saying how to declare one', () => {
    expect(modeRefusal(deployment('llama3.2'), 'embedding')).toMatchObject({
      code: 'invalid_request',
      param: 'model',
      message: expect.stringContaining(
        'does not serve embeddings (no model_info.mode: chat by default); use an embedding model, or set model_info.mode: embedding',
      ),
    });
    expect(modeRefusal(deployment('x', { mode: 'completion' }), 'embedding')?.message).toContain('(model_info.mode: completion)');
  });

  it('lets each mode through to its own calls, and any other mode to chat', () => {
    expect(modeRefusal(deployment('llama3.2'), 'chat')).toBeUndefined();
    expect(modeRefusal(deployment('bge-m3', { mode: 'embedding' }), 'embedding')).toBeUndefined();
    expect(modeRefusal(deployment('gpt-3.5-turbo-instruct', { mode: 'completion' }), 'chat')).toBeUndefined();
  });
});
