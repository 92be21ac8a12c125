import { ollamaSettings, withOllamaSettings } from './ollama-settings';

describe("a deployment's Ollama settings", () => {
  it('takes keep_alive, the options object and option names written at the top of litellm_params, nothing else', () => {
    const settings = ollamaSettings({ extraParams: { keep_alive: '1h', num_ctx: 4096, options: { num_gpu: 2, mirostat: 1 }, warm_up: true, weight: 3 } });
    expect(settings).toEqual({ keep_alive: '1h', options: { num_gpu: 2, mirostat: 1, num_ctx: 4096 } });
    expect(ollamaSettings({})).toEqual({ keep_alive: undefined, options: {} });
  });

  it("lets the call's options win over the deployment's, except num_ctx", () => {
    const target = { extraParams: { keep_alive: -1, options: { temperature: 0.1, num_ctx: 8192, top_k: 5 } } };
    const body = withOllamaSettings({ model: 'm', options: { temperature: 0.9, num_ctx: 1024 } }, target);
    expect(body).toEqual({ model: 'm', keep_alive: -1, options: { temperature: 0.9, num_ctx: 8192, top_k: 5 } });
  });

  it('leaves a body alone when the deployment sets nothing', () => {
    expect(withOllamaSettings({ model: 'm' }, { extraParams: { weight: 1 } })).toEqual({ model: 'm' });
  });
});
