import { SwitchyardError } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { chatRequestSchema } from './chat-request.schema';

const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const history = (assistant: object, ...after: object[]) => [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'sure', ...assistant }, ...after];
const refusal = (body: object) => {
  try {
    parseBody(chatRequestSchema, { ...base, ...body });
  } catch (error) {
    if (error instanceof SwitchyardError) return { param: error.param, message: error.message };
    throw error;
  }
  return undefined;
};

describe('chatRequestSchema', () => {
  it.each<[string, object, string, string]>([
    ['tool_calls not an array', { messages: history({ tool_calls: 5 }) }, 'messages[1].tool_calls', 'must be an array of tool calls'],
    [
      'tool-call arguments not a string',
      { messages: history({ tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }) },
      'messages[1].tool_calls[0].function.arguments',
      'must be a string',
    ],
    [
      'a tool call of an unknown type',
      { messages: history({ tool_calls: [{ id: 'c', type: 'fn', function: { name: 'f', arguments: '{}' } }] }) },
      'messages[1].tool_calls[0].type',
      'must be one of function, custom',
    ],
    [
      'a tool message without tool_call_id',
      { messages: history({}, { role: 'tool', content: 'x' }) },
      'messages[2].tool_call_id',
      "'messages[2].tool_call_id' is required",
    ],
    ['a user message without content', { messages: [{ role: 'user' }] }, 'messages[0].content', "'messages[0].content' is required"],
    ['content of the wrong type', { messages: [{ role: 'user', content: 42 }] }, 'messages[0].content', 'must be a string or an array of content parts'],
    [
      'a part of an unknown type',
      { messages: [{ role: 'user', content: [{ type: 'video' }] }] },
      'messages[0].content[0].type',
      'must be one of text, image_url, input_audio, file',
    ],
    ['a part that is not an object', { messages: [{ role: 'user', content: [5] }] }, 'messages[0].content[0]', 'must be an object'],
    [
      'an image in a tool result',
      { messages: history({ tool_calls: [] }, { role: 'tool', tool_call_id: 'c', content: [{ type: 'image_url', image_url: { url: 'x' } }] }) },
      'messages[2].content[0].type',
      'must be one of text',
    ],
    [
      'an assistant turn with neither content nor tool calls',
      { messages: [{ role: 'assistant', content: null }] },
      'messages[0].content',
      'needs content unless it has tool_calls',
    ],
    ['an unknown role', { messages: [{ role: 'bot', content: 'x' }] }, 'messages[0].role', 'must be one of system, developer, user, assistant, tool'],
    [
      'a tool name with a space',
      { tools: [{ type: 'function', function: { name: 'a b' } }] },
      'tools[0].function.name',
      'letters, digits, underscores or dashes',
    ],
    ['an unknown tool_choice', { tool_choice: 'sometimes' }, 'tool_choice', 'must be none, auto, required or an object naming a tool'],
    [
      'a named tool_choice without its name',
      { tool_choice: { type: 'function', function: {} } },
      'tool_choice.function.name',
      "'tool_choice.function.name' is required",
    ],
    [
      'a response_format schema without a name',
      { response_format: { type: 'json_schema', json_schema: { schema: {} } } },
      'response_format.json_schema.name',
      'is required',
    ],
    ['a stop sequence that is not a string', { stop: ['a', 2] }, 'stop[1]', 'must be a string'],
    ['five stop sequences', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'at most 4 stop sequences'],
    ['a logit_bias key that is not a token id', { logit_bias: { hello: 1 } }, 'logit_bias.hello', 'keys must be token ids'],
    ['a logit_bias value over 100', { logit_bias: { 42: 101 } }, 'logit_bias.42', 'must be between -100 and 100'],
    ['top_logprobs without logprobs', { top_logprobs: 3 }, 'top_logprobs', 'only allowed when logprobs is true'],
    ['metadata that is not an object', { metadata: 'tags' }, 'metadata', 'must be an object'],
    ['n over 128', { n: 129 }, 'n', 'must be between 1 and 128'],
    ['stream_options without stream', { stream_options: { include_usage: true } }, 'stream_options', 'only allowed when stream is true'],
  ])('refuses %s, naming the field', (_case, body, param, message) => {
    const refused = refusal(body);
    expect(refused?.param).toBe(param);
    expect(refused?.message).toContain(message);
  });

  it.each<[string, object]>([
    [
      'an assistant turn that only calls tools, then its result',
      {
        messages: history(
          { content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c', content: 'ok' },
        ),
      },
    ],
    [
      'a custom tool and its call',
      {
        tools: [{ type: 'custom', custom: { name: 'grep' } }],
        messages: history({ tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'grep', input: 'x' } }] }),
      },
    ],
    [
      'deprecated functions and function_call',
      {
        functions: [{ name: 'f', parameters: {} }],
        function_call: { name: 'f' },
        messages: history({ content: null, function_call: { name: 'f', arguments: '{}' } }),
      },
    ],
    ['allowed_tools', { tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }] } } }],
    ['nulls where OpenAI takes null', { temperature: null, stop: null, logit_bias: null, metadata: null, prediction: null, stream: null, n: null }],
    [
      'fields Switchyard does not know, at every level',
      { vendor: { x: 1 }, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }], extra: true }] },
    ],
    ['newer values of evolving enums', { reasoning_effort: 'xhigh', service_tier: 'flex', verbosity: 'low' }],
  ])('takes %s', (_case, body) => {
    expect(refusal(body)).toBeUndefined();
  });
});
