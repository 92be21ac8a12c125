import { SwitchyardError } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { countTokensRequestSchema, messagesRequestSchema } from './messages-request.schema';

const base = { model: 'm', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const refusal = (body: object, schema: typeof messagesRequestSchema | typeof countTokensRequestSchema = messagesRequestSchema) => {
  try {
    parseBody(schema, body);
  } catch (error) {
    if (error instanceof SwitchyardError) return { param: error.param, message: error.message };
    throw error;
  }
  return undefined;
};
const turn = (role: string, content: unknown) => ({ ...base, messages: [{ role, content }] });

describe('messagesRequestSchema', () => {
  it.each<[string, object, string, string]>([
    ['no max_tokens', { model: 'm', messages: base.messages }, 'max_tokens', "'max_tokens' is required"],
    ['max_tokens of 0', { ...base, max_tokens: 0 }, 'max_tokens', 'must be at least 1'],
    ['no model', { max_tokens: 1, messages: base.messages }, 'model', "'model' is required"],
    ['no messages', { model: 'm', max_tokens: 1 }, 'messages', "'messages' is required"],
    ['empty messages', { ...base, messages: [] }, 'messages', 'at least one message'],
    ['an unknown role', turn('tool', 'x'), 'messages[0].role', 'must be one of user, assistant, system'],
    ['content of the wrong type', turn('user', 7), 'messages[0].content', 'must be a string or an array of content blocks'],
    [
      'a tool_use block in a user turn',
      turn('user', [{ type: 'tool_use', id: 'a', name: 'f', input: {} }]),
      'messages[0].content[0].type',
      'must be one of text, image, tool_result',
    ],
    ['a document block', turn('user', [{ type: 'document', source: {} }]), 'messages[0].content[0].type', 'must be one of text, image, tool_result'],
    [
      'a tool_result in an assistant turn',
      turn('assistant', [{ type: 'tool_result', tool_use_id: 'a' }]),
      'messages[0].content[0].type',
      'must be one of text, tool_use',
    ],
    ['a text block without text', turn('user', [{ type: 'text' }]), 'messages[0].content[0].text', "'messages[0].content[0].text' is required"],
    [
      'an image of an unknown source',
      turn('user', [{ type: 'image', source: { type: 'file', file_id: 'f' } }]),
      'messages[0].content[0].source.type',
      'must be one of base64, url',
    ],
    ['a tool_result without tool_use_id', turn('user', [{ type: 'tool_result', content: 'x' }]), 'messages[0].content[0].tool_use_id', 'is required'],
    [
      'is_error not a boolean',
      turn('user', [{ type: 'tool_result', tool_use_id: 'a', is_error: 'yes' }]),
      'messages[0].content[0].is_error',
      'must be true or false',
    ],
    [
      'tool_use input not an object',
      turn('assistant', [{ type: 'tool_use', id: 'a', name: 'f', input: 'x' }]),
      'messages[0].content[0].input',
      'must be an object',
    ],
    ['system of numbers', { ...base, system: 5 }, 'system', 'must be a string or an array of text blocks'],
    ['a tool without input_schema', { ...base, tools: [{ name: 'f' }] }, 'tools[0].input_schema', 'needs an input_schema'],
    ['a server tool', { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools[0].type', "one of Anthropic's server tools"],
    ['a tool name with a space', { ...base, tools: [{ name: 'a b', input_schema: {} }] }, 'tools[0].name', 'letters, digits, underscores or dashes'],
    ['an unknown tool_choice', { ...base, tool_choice: { type: 'required' } }, 'tool_choice.type', 'must be one of auto, any, tool, none'],
    ['tool_choice tool without its name', { ...base, tool_choice: { type: 'tool' } }, 'tool_choice.name', 'is required'],
    ['temperature above 1', { ...base, temperature: 1.5 }, 'temperature', 'must be between 0 and 1'],
    ['top_k of -1', { ...base, top_k: -1 }, 'top_k', 'must be at least 0'],
    ['stop_sequences not strings', { ...base, stop_sequences: ['a', 1] }, 'stop_sequences[1]', 'must be a string'],
    ['metadata.user_id not a string', { ...base, metadata: { user_id: 5 } }, 'metadata.user_id', 'must be a string'],
    ['thinking without a type', { ...base, thinking: { budget_tokens: 1024 } }, 'thinking.type', 'is required'],
  ])('refuses %s, naming the field', (_case, body, param, message) => {
    const refused = refusal(body);
    expect(refused?.param).toBe(param);
    expect(refused?.message).toContain(message);
  });

  it.each<[string, object]>([
    [
      'a string system and text-block turns',
      { ...base, system: 'S', messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] },
    ],
    [
      "Claude Code's shape: system blocks, tools, thinking, metadata, extra fields",
      {
        ...base,
        system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
        tools: [{ name: 'Bash', description: 'Run a command', input_schema: { type: 'object' } }],
        thinking: { type: 'enabled', budget_tokens: 31999 },
        metadata: { user_id: 'user_abc' },
        context_management: { edits: [] },
        stream: true,
        temperature: 1,
      },
    ],
    ['a custom tool of type "custom"', { ...base, tools: [{ type: 'custom', name: 'f', input_schema: {} }] }],
    [
      'a full tool-use history, thinking included',
      {
        ...base,
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 't', signature: 's' },
              { type: 'redacted_thinking', data: 'r' },
              { type: 'tool_use', id: 'a', name: 'f', input: {} },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'text', text: 'ok' }], is_error: false }] },
        ],
      },
    ],
  ])('takes %s', (_case, body) => {
    expect(refusal(body)).toBeUndefined();
  });

  it('count_tokens needs no max_tokens', () => {
    expect(refusal({ model: 'm', messages: base.messages }, countTokensRequestSchema)).toBeUndefined();
    expect(refusal({ model: 'm' }, countTokensRequestSchema)?.param).toBe('messages');
  });
});
