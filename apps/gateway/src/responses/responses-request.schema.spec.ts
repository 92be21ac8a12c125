import { SwitchyardError } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { responsesRequestSchema } from './responses-request.schema';

const base = { model: 'm', input: 'hi' };
const fn = (name: string, extra: object = {}) => ({ type: 'function', name, parameters: { type: 'object' }, ...extra });
const refusal = (body: object) => {
  try {
    parseBody(responsesRequestSchema, { ...base, ...body });
  } catch (error) {
    if (error instanceof SwitchyardError) return { param: error.param, message: error.message };
    throw error;
  }
  return undefined;
};

describe('responsesRequestSchema', () => {
  it.each<[string, object, string, string]>([
    ['no model', { model: undefined }, 'model', "'model' is required"],
    ['neither input nor previous_response_id', { input: undefined }, 'input', "'input' is required"],
    ['input of the wrong type', { input: 42 }, 'input', 'must be a string or an array of input items'],
    ['a hosted tool', { tools: [fn('f'), { type: 'web_search' }] }, 'tools[1].type', '"web_search" tools are not supported'],
    ['file_search', { tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 'tools[0].type', '"file_search" tools are not supported'],
    ['computer use', { tools: [{ type: 'computer_use_preview' }] }, 'tools[0].type', '"computer_use_preview" tools are not supported'],
    ['a function name with a space', { tools: [fn('a b')] }, 'tools[0].name', 'letters, digits, underscores or dashes'],
    ['a tool_choice naming a hosted tool', { tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type', 'only function tools are'],
    ['an unknown tool_choice', { tool_choice: 'sometimes' }, 'tool_choice', 'must be none, auto, required or an object naming a function'],
    ['a named tool_choice without its name', { tool_choice: { type: 'function' } }, 'tool_choice.name', "'tool_choice.name' is required"],
    [
      'a json_schema format without a schema',
      { text: { format: { type: 'json_schema', name: 'x' } } },
      'text.format.schema',
      "'text.format.schema' is required",
    ],
    ['an unknown text format', { text: { format: { type: 'yaml' } } }, 'text.format.type', 'not "yaml"'],
    ['an item of a hosted tool', { input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type', 'items of type "web_search_call" are not supported'],
    ['an item reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type', 'item references are not supported'],
    ['a message of an unknown role', { input: [{ role: 'bot', content: 'x' }] }, 'input[0].role', 'must be one of user, system, developer, assistant'],
    [
      'a part of an unknown type',
      { input: [{ role: 'user', content: [{ type: 'input_audio' }] }] },
      'input[0].content[0].type',
      '"input_audio" are not supported',
    ],
    [
      'output_text in a user message',
      { input: [{ role: 'user', content: [{ type: 'output_text', text: 'x' }] }] },
      'input[0].content[0].type',
      'a user message takes input_text, input_image, input_file parts',
    ],
    [
      'an image in a developer message',
      { input: [{ role: 'developer', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] },
      'input[0].content[0].type',
      'a developer message takes input_text parts',
    ],
    [
      'an image by file id',
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1', detail: 'auto' }] }] },
      'input[0].content[0].image_url',
      'Switchyard has no Files API',
    ],
    [
      'function_call arguments that are not a string',
      { input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }] },
      'input[0].arguments',
      'must be a string',
    ],
    ['a function output without call_id', { input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', "'input[0].call_id' is required"],
    [
      'an image as a function output',
      { input: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'https://x' }] }] },
      'input[0].output[0].type',
      'takes only text as a function',
    ],
    ['background', { background: true }, 'background', 'background responses are not supported'],
    ['a conversation', { conversation: 'conv_1' }, 'conversation', 'continue with previous_response_id'],
    ['a prompt template', { prompt: { id: 'pmpt_1' } }, 'prompt', 'stored prompt templates are not supported'],
    ['metadata that is not strings', { metadata: { n: 1 } }, 'metadata.n', 'values must be strings'],
    ['17 metadata pairs', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', 'at most 16 pairs'],
    ['max_output_tokens of 0', { max_output_tokens: 0 }, 'max_output_tokens', 'at least 1'],
    ['temperature over 2', { temperature: 3 }, 'temperature', 'between 0 and 2'],
    ['a previous_response_id with a NUL', { previous_response_id: 'resp_\u0000' }, 'previous_response_id', 'NUL'],
  ])('refuses %s, naming the field', (_case, body, param, message) => {
    const refused = refusal(body);
    expect(refused?.param).toBe(param);
    expect(refused?.message).toContain(message);
  });

  it.each<[string, object]>([
    ['a string input', {}],
    ['only a previous_response_id', { input: undefined, previous_response_id: 'resp_1' }],
    [
      'what Codex sends: developer and user messages, function calls and outputs, reasoning, options it does not need',
      {
        instructions: 'You are a coding agent.',
        input: [
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'sandbox: read-only' }] },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
          { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAA' },
          { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'README.md' },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'One file.', annotations: [] }] },
        ],
        tools: [fn('shell', { strict: false, description: 'Runs a command' })],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        reasoning: { effort: 'medium', summary: 'auto' },
        store: false,
        stream: true,
        include: ['reasoning.encrypted_content'],
        prompt_cache_key: 'session-1',
        text: { verbosity: 'low' },
      },
    ],
    [
      'an image by URL and a file as data',
      {
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
              { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,AAAA' },
            ],
          },
        ],
      },
    ],
    ['a JSON schema format', { text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } } }],
    ['allowed tools', { tools: [fn('f')], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'f' }] } }],
    ['nulls where OpenAI takes null', { instructions: null, tools: null, temperature: null, metadata: null, text: null, reasoning: null, store: null }],
    [
      'fields Switchyard does not know, at every level',
      { vendor: 1, input: [{ role: 'user', content: [{ type: 'input_text', text: 'x', cache: true }], extra: 2 }] },
    ],
  ])('takes %s', (_case, body) => {
    expect(refusal(body)).toBeUndefined();
  });
});
