import { Provider } from '@app/contracts';
import { parseModelEntry } from './model-config.loader';
import { listProviders } from './provider-list';

/** A model entry of `prefix`, without api_base, as the config loader takes it. */
const entryOf = (prefix: string) => parseModelEntry({ model_name: 'm', litellm_params: { model: `${prefix}/some-model` } }, 'test', { env: {}, needsSecretsOf: [] });

describe('listProviders', () => {
  it('lists every prefix the config loader accepts, once, under the provider it means', () => {
    const refused = entryOf('no_such_provider').problems.map((p) => p.message).join();
    const accepted = /use one of: ([\w, ]+), or no prefix/.exec(refused)?.[1].split(', ');
    expect(accepted).toBeDefined();
    const listed = listProviders().flatMap((p) => p.prefixes);
    expect([...listed].sort()).toEqual([...accepted!].sort());
    for (const p of listProviders()) expect(p.prefixes[0]).toBe(p.name);
  });

  it('offers the OpenAI-compatible servers by their own names, on the OpenAI wire, with api_base required', () => {
    const byName = new Map(listProviders().map((p) => [p.name, p]));
    expect([...byName.keys()]).toEqual(['openai', 'hosted_vllm', 'lm_studio', 'ollama']);
    expect(byName.get('hosted_vllm')).toMatchObject({ label: 'vLLM', wire: Provider.OpenAI, needsApiBase: true, defaultApiBase: null, operations: ['chat'] });
    expect(byName.get('lm_studio')).toMatchObject({ label: 'LM Studio', wire: Provider.OpenAI, needsApiBase: true, defaultApiBase: null });
    expect(byName.get('ollama')).toMatchObject({ wire: Provider.Ollama, needsApiBase: false, prefixes: ['ollama', 'ollama_chat'] });
    for (const p of listProviders()) expect(p.apiBaseHint).toMatch(/e\.g\. http:\/\//);
  });

  it("states the api_base the loader gives a model that sets none, and requires one where the loader does", () => {
    for (const p of listProviders()) {
      const { deployment, problems } = entryOf(p.name);
      if (p.needsApiBase) {
        expect(problems.map((x) => x.field)).toEqual(['litellm_params.api_base']);
      } else {
        expect(problems).toEqual([]);
        expect(deployment?.apiBase).toBe(p.defaultApiBase);
      }
    }
  });
});
