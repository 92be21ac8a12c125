import type { ChatCompletionRequest } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { promptOf, toChatRequest } from './messages-request.mapper';
import { countTokensRequestSchema, messagesRequestSchema } from './messages-request.schema';

const base = { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] };
const chatOf = (body: object): ChatCompletionRequest => toChatRequest(parseBody(messagesRequestSchema, { ...base, ...body }));
const user = (content: unknown) => ({ role: 'user', content });
const assistant = (content: unknown) => ({ role: 'assistant', content });
const PNG = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };
const weather = { name: 'get_weather', description: 'Weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

describe('toChatRequest', () => {
  it.each<[string, object, Partial<ChatCompletionRequest>]>([
    ['the plain fields', {}, { model: 'claude-sonnet-4-5', max_completion_tokens: 256, messages: [{ role: 'user', content: 'hi' }] }],
    [
      'a system string',
      { system: 'Be brief.' },
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      },
    ],
    [
      'system text blocks, joined by a blank line (cache_control ignored)',
      {
        system: [
          { type: 'text', text: 'You are a CLI.' },
          { type: 'text', text: 'Use tools.', cache_control: { type: 'ephemeral' } },
        ],
      },
      {
        messages: [
          { role: 'system', content: 'You are a CLI.\n\nUse tools.' },
          { role: 'user', content: 'hi' },
        ],
      },
    ],
    [
      'sampling and stop sequences',
      { temperature: 0.3, top_p: 0.9, top_k: 40, stop_sequences: ['END'] },
      { temperature: 0.3, top_p: 0.9, top_k: 40, stop: ['END'] },
    ],
    ['metadata.user_id as user', { metadata: { user_id: 'u-42' } }, { user: 'u-42' }],
    [
      'a metadata.user_id longer than 64 characters as its SHA-256',
      { metadata: { user_id: `user_${'a'.repeat(64)}_account__session_1` } },
      { user: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ],
    ['stream', { stream: true }, { stream: true }],
    [
      'text blocks of a user turn as one string',
      {
        messages: [
          user([
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ]),
        ],
      },
      { messages: [{ role: 'user', content: 'a\nb' }] },
    ],
    [
      'images, base64 and by URL',
      {
        messages: [
          user([
            { type: 'text', text: 'what is this?' },
            { type: 'image', source: PNG },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ]),
        ],
      },
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      },
    ],
    [
      'a tool-use round trip: tool_use as tool_calls, tool_result as a tool message before the text',
      {
        tools: [weather],
        messages: [
          user('weather in Paris?'),
          assistant([
            { type: 'thinking', thinking: 'I should call the tool.', signature: 'sig' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ]),
          user([
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
            { type: 'text', text: 'and tomorrow?' },
          ]),
        ],
      },
      {
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: weather.input_schema } }],
        messages: [
          { role: 'user', content: 'weather in Paris?' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
          { role: 'user', content: 'and tomorrow?' },
        ],
      },
    ],
    [
      'an assistant turn of tool calls only, with null content',
      { messages: [user('x'), assistant([{ type: 'tool_use', id: 't1', name: 'f', input: {} }]), user([{ type: 'tool_result', tool_use_id: 't1' }])] },
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 't1', content: '' },
        ],
      },
    ],
    [
      'tool results with block content, an error, and an image moved to a user message',
      {
        messages: [
          user([
            {
              type: 'tool_result',
              tool_use_id: 'a',
              content: [
                { type: 'text', text: 'line 1' },
                { type: 'text', text: 'line 2' },
              ],
            },
            { type: 'tool_result', tool_use_id: 'b', content: 'file not found', is_error: true },
            { type: 'tool_result', tool_use_id: 'c', content: [{ type: 'image', source: PNG }] },
          ]),
        ],
      },
      {
        messages: [
          { role: 'tool', tool_call_id: 'a', content: 'line 1\nline 2' },
          { role: 'tool', tool_call_id: 'b', content: 'Error: file not found' },
          { role: 'tool', tool_call_id: 'c', content: '' },
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        ],
      },
    ],
    ['tool_choice auto', { tools: [weather], tool_choice: { type: 'auto' } }, { tool_choice: 'auto' }],
    ['tool_choice any', { tools: [weather], tool_choice: { type: 'any' } }, { tool_choice: 'required' }],
    [
      'tool_choice tool, without parallel calls',
      { tools: [weather], tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true } },
      { tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false },
    ],
    ['tool_choice none', { tools: [weather], tool_choice: { type: 'none' } }, { tool_choice: 'none' }],
  ])('maps %s', (_case, body, expected) => {
    expect(chatOf(body)).toMatchObject(expected);
  });

  it.each<[string, object, string[]]>([
    ['thinking (not sent on)', { thinking: { type: 'enabled', budget_tokens: 2048 } }, ['thinking', 'reasoning_effort']],
    ['tool_choice without tools', { tool_choice: { type: 'auto' } }, ['tool_choice', 'parallel_tool_calls', 'tools']],
    ['unset optional fields', {}, ['stop', 'temperature', 'top_p', 'top_k', 'user', 'stream', 'max_tokens', 'metadata', 'system']],
  ])('leaves out %s', (_case, body, absent) => {
    const chat = chatOf(body);
    for (const field of absent) expect(chat).not.toHaveProperty(field);
  });
});

describe('promptOf (count_tokens)', () => {
  it('takes the prompt without max_tokens', () => {
    const body = parseBody(countTokensRequestSchema, { model: 'm', system: 'S', messages: [{ role: 'user', content: 'hi' }], tools: [weather] });
    expect(promptOf(body)).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'hi' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: weather.input_schema } }],
    });
  });
});
