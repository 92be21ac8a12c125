import { ConfigError } from './config-error';
import { modelAllowed, unknownModelEntries } from './model-access';
import { parseModelConfig } from './model-config.loader';
import { bySpecificity, fillModelPattern, matchModelPattern } from './model-pattern';
import { ModelRegistry } from './model-registry';
import { namesServed } from './wildcard-listing';

const CONFIG = `model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o}
    model_info: {access_groups: [beta]}
  - model_name: "openai/*"
    litellm_params: {model: "openai/*"}
  - model_name: "openai/gpt-4*"
    litellm_params: {model: "openai/gpt-4*", api_base: "http://vllm:8000/v1"}
  - model_name: "ollama/*"
    litellm_params: {model: "ollama/*", api_base: "http://ollama:11434"}
    model_info: {access_groups: [local, beta]}
  - model_name: "*"
    litellm_params: {model: "*"}
  - model_name: "fo::*:static::*"
    litellm_params: {model: "openai/fo::*:static::*"}
`;

const registry = () => new ModelRegistry(parseModelConfig(CONFIG, 'config.yaml', { env: {}, needsSecretsOf: [] }).deployments);

describe('model patterns', () => {
  it('captures what each * matched, at least one character, and fills them back in order', () => {
    expect(matchModelPattern('openai/*', 'openai/gpt-4o')).toEqual(['gpt-4o']);
    expect(matchModelPattern('openai/*', 'openai/')).toBeUndefined();
    expect(matchModelPattern('openai/*', 'ollama/llama3')).toBeUndefined();
    expect(matchModelPattern('fo::*:static::*', 'fo::hi:static::there')).toEqual(['hi', 'there']);
    expect(matchModelPattern('a.b/*', 'aXb/c')).toBeUndefined();
    expect(fillModelPattern('openai/fo::*:static::*', ['hi', 'there'])).toBe('openai/fo::hi:static::there');
  });

  it('orders the longer literal prefix first, then the more literal text', () => {
    expect(['*', 'openai/*', 'openai/gpt-4*', 'o*'].sort(bySpecificity)).toEqual(['openai/gpt-4*', 'openai/*', 'o*', '*']);
  });
});

describe('ModelRegistry.resolve', () => {
  it('serves an exact model_name before any pattern', () => {
    const resolved = registry().resolve('gpt-4o');
    expect(resolved?.group).toBe('gpt-4o');
    expect(resolved?.deployments[0]).toMatchObject({ upstreamModel: 'gpt-4o' });
  });

  it('sends a name a pattern matches upstream as what its * matched, on the pattern’s provider', () => {
    expect(registry().resolve('openai/o3-mini')).toMatchObject({
      group: 'openai/*',
      deployments: [{ provider: 'openai', upstreamModel: 'o3-mini', litellmModel: 'openai/o3-mini', modelName: 'openai/*' }],
    });
    expect(registry().resolve('ollama/llama3:8b')).toMatchObject({ group: 'ollama/*', deployments: [{ provider: 'ollama', upstreamModel: 'llama3:8b' }] });
    expect(registry().resolve('fo::hi:static::there')?.deployments[0]).toMatchObject({ upstreamModel: 'fo::hi:static::there' });
  });

  it('lets the longer literal prefix win, and * catch the rest as written', () => {
    expect(registry().resolve('openai/gpt-4.1')).toMatchObject({ group: 'openai/gpt-4*', deployments: [{ upstreamModel: 'gpt-4.1' }] });
    expect(registry().resolve('mistral-large')).toMatchObject({ group: '*', deployments: [{ provider: 'openai', upstreamModel: 'mistral-large' }] });
  });

  it('never serves a name with * (the pattern itself)', () => {
    expect(registry().resolve('openai/*')).toBeUndefined();
    expect(new ModelRegistry([]).resolve('gpt-4o')).toBeUndefined();
  });

  it('stops boot when litellm_params.model has more * than model_name', () => {
    const text = `model_list:\n  - model_name: fixed\n    litellm_params: {model: "openai/*"}\n`;
    expect(() => parseModelConfig(text, 'config.yaml', { env: {}, needsSecretsOf: [] })).toThrow(ConfigError);
  });
});

describe('modelAllowed', () => {
  const models = registry();

  it('allows everything for an empty list, and the exact names listed', () => {
    expect(modelAllowed([], 'openai/gpt-4o-mini', models)).toBe(true);
    expect(modelAllowed(['gpt-4o'], 'gpt-4o', models)).toBe(true);
  });

  it('does not stretch a plain name to what a wildcard routes', () => {
    expect(modelAllowed(['gpt-4o'], 'openai/gpt-4o-mini', models)).toBe(false);
    expect(modelAllowed(['gpt-4o'], 'openai/gpt-4o', models)).toBe(false);
  });

  it('allows the names a listed pattern matches, and those its wildcard model_name serves', () => {
    expect(modelAllowed(['openai/*'], 'openai/o3-mini', models)).toBe(true);
    // `openai/gpt-4.1` is served by `openai/gpt-4*`, and still matches the key's `openai/*`.
    expect(modelAllowed(['openai/*'], 'openai/gpt-4.1', models)).toBe(true);
    expect(modelAllowed(['openai/gpt-4*'], 'openai/o3-mini', models)).toBe(false);
    expect(modelAllowed(['openai/*'], 'ollama/llama3', models)).toBe(false);
    expect(modelAllowed(['*'], 'anything', models)).toBe(true);
  });

  it('allows every model of a listed access group, wildcard-served ones too, and nothing else', () => {
    expect(modelAllowed(['beta'], 'gpt-4o', models)).toBe(true);
    expect(modelAllowed(['beta'], 'ollama/llama3', models)).toBe(true);
    expect(modelAllowed(['local'], 'ollama/llama3', models)).toBe(true);
    expect(modelAllowed(['local'], 'gpt-4o', models)).toBe(false);
    expect(modelAllowed(['beta'], 'openai/o3-mini', models)).toBe(false);
    expect(modelAllowed(['beta'], 'ollama/*', models)).toBe(true);
  });

  it('accepts as key entries known names, names a wildcard serves, access groups and patterns', () => {
    expect(unknownModelEntries(['gpt-4o', 'openai/*', 'openai/o1', 'beta', 'anthropic/*'], models)).toEqual([]);
    expect(unknownModelEntries(['nope'], new ModelRegistry([]))).toEqual(['nope']);
  });
});

describe('namesServed', () => {
  it('fits upstream names into the model_name, and lists nothing for a fixed upstream model', () => {
    expect(namesServed({ modelName: 'ollama/*', upstreamModel: '*' }, ['llama3:8b', 'qwen3'])).toEqual(['ollama/llama3:8b', 'ollama/qwen3']);
    expect(namesServed({ modelName: 'openai/gpt-4*', upstreamModel: 'gpt-4*' }, ['gpt-4o', 'o3'])).toEqual(['openai/gpt-4o']);
    expect(namesServed({ modelName: 'cheap-*', upstreamModel: 'gpt-4o-mini' }, ['gpt-4o-mini'])).toEqual([]);
  });
});
