/**
 * What LiteLLM's `GET /model_group/info` answers: `{data: [ModelGroupInfo]}`, the fields of
 * LiteLLM's `ModelGroupInfo` model (litellm/types/router.py): `model_group` and `providers`
 * required, token bounds, prices and limits numbers or null, `mode` a string (default `chat`),
 * the `supports_*` flags booleans, `supported_openai_params` a list of names.
 */
const numberOrNull = { type: ['number', 'null'] };

export const MODEL_GROUP_INFO_SHAPE = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'model_group',
          'providers',
          'mode',
          'max_input_tokens',
          'max_output_tokens',
          'input_cost_per_token',
          'output_cost_per_token',
          'tpm',
          'rpm',
          'supports_function_calling',
          'supports_vision',
          'supports_parallel_function_calling',
          'supported_openai_params',
        ],
        properties: {
          model_group: { type: 'string' },
          providers: { type: 'array', items: { type: 'string' } },
          mode: { type: 'string' },
          max_input_tokens: numberOrNull,
          max_output_tokens: numberOrNull,
          input_cost_per_token: numberOrNull,
          output_cost_per_token: numberOrNull,
          tpm: { type: ['integer', 'null'] },
          rpm: { type: ['integer', 'null'] },
          supports_function_calling: { type: 'boolean' },
          supports_vision: { type: 'boolean' },
          supports_parallel_function_calling: { type: 'boolean' },
          supported_openai_params: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};
