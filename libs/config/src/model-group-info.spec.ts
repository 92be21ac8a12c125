import { parseModelConfig } from './model-config.loader';
import { modelGroupInfo } from './model-group-info';

const load = (text: string) => parseModelConfig(text, 'config.yaml', { env: {}, needsSecretsOf: [] }).deployments;

describe('modelGroupInfo', () => {
  it('sums limits, takes the highest prices and bounds, and keeps what every deployment can do', () => {
    const deployments = load(`model_list:
  - model_name: mixed
    litellm_params: {model: openai/gpt-4o-mini, rpm: 10, tpm: 1000, api_key: sk-secret}
    model_info: {max_input_tokens: 128000, access_groups: [team]}
  - model_name: mixed
    litellm_params: {model: ollama/llama3.2, rpm: 5}
    model_info: {input_cost_per_token: 0.000001, mode: chat}
`);
    const info = modelGroupInfo('mixed', deployments);
    expect(info).toEqual({
      model_group: 'mixed',
      providers: ['openai', 'ollama'],
      mode: 'chat',
      max_input_tokens: 128_000,
      max_output_tokens: 16_384,
      input_cost_per_token: 0.000001,
      output_cost_per_token: 0.6e-6,
      tpm: 1000,
      rpm: 15,
      supports_function_calling: true,
      supports_vision: false,
      supports_parallel_function_calling: false,
      supported_openai_params: expect.arrayContaining(['temperature', 'tools', 'n']),
      access_groups: ['team'],
    });
    expect(info.supported_openai_params).not.toContain('logprobs');
    expect(JSON.stringify(info)).not.toContain('sk-secret');
  });

  it('leaves unknown bounds and prices null, and takes model_info.mode', () => {
    const info = modelGroupInfo(
      'e',
      load(`model_list:\n  - model_name: e\n    litellm_params: {model: ollama/nomic-embed-text}\n    model_info: {mode: embedding}\n`),
    );
    expect(info).toMatchObject({ mode: 'embedding', max_input_tokens: null, input_cost_per_token: null, output_cost_per_token: null, tpm: null, rpm: null });
  });
});
