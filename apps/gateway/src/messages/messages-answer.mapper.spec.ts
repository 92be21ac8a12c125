import type { ChatCompletion, ChatCompletionChoice } from '@app/contracts';
import { stopOf, toAnthropicMessage, toAnthropicUsage } from './messages-answer.mapper';

const USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };
const completion = (message: Partial<ChatCompletionChoice['message']>, finish: string, extra: object = {}): ChatCompletion => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finish, logprobs: null, ...extra }],
  usage: USAGE,
});
const call = (id: string, name: string, args: string) => ({ id, type: 'function' as const, function: { name, arguments: args } });
const CONTEXT = { model: 'claude-sonnet-4-5', stopSequences: ['END'] };

describe('toAnthropicMessage', () => {
  it.each<[string, ChatCompletion, object]>([
    ['a text answer', completion({ content: 'Hello.' }, 'stop'), { content: [{ type: 'text', text: 'Hello.' }], stop_reason: 'end_turn', stop_sequence: null }],
    ['an answer cut at max_tokens', completion({ content: 'Hel' }, 'length'), { content: [{ type: 'text', text: 'Hel' }], stop_reason: 'max_tokens' }],
    [
      'tool calls, their arguments parsed',
      completion({ tool_calls: [call('call_1', 'get_weather', '{"city":"Paris"}'), call('call_2', 'now', '')] }, 'tool_calls'),
      {
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'now', input: {} },
        ],
        stop_reason: 'tool_use',
      },
    ],
    [
      'text before a tool call',
      completion({ content: 'Let me check.', tool_calls: [call('c', 'f', '{}')] }, 'tool_calls'),
      {
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'c', name: 'f', input: {} },
        ],
      },
    ],
    [
      'arguments that are not a JSON object',
      completion({ tool_calls: [call('c', 'f', '[1,')] }, 'tool_calls'),
      { content: [{ type: 'tool_use', id: 'c', name: 'f', input: {} }] },
    ],
    ['an empty answer', completion({ content: '' }, 'stop'), { content: [], stop_reason: 'end_turn' }],
    [
      'a stop sequence a vLLM backend names',
      completion({ content: 'x' }, 'stop', { stop_reason: 'END' }),
      { stop_reason: 'stop_sequence', stop_sequence: 'END' },
    ],
  ])('maps %s', (_case, chat, expected) => {
    const message = toAnthropicMessage(chat, CONTEXT);
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', ...expected });
    expect(message.id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
    expect(message.usage).toEqual({ input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});

describe('stopOf', () => {
  it.each<[string, object, boolean, object]>([
    ['stop', { finish_reason: 'stop' }, false, { reason: 'end_turn', sequence: null }],
    ['length', { finish_reason: 'length' }, false, { reason: 'max_tokens', sequence: null }],
    ['tool_calls', { finish_reason: 'tool_calls' }, false, { reason: 'tool_use', sequence: null }],
    ['stop after tool calls (a backend that says so)', { finish_reason: 'stop' }, true, { reason: 'tool_use', sequence: null }],
    ['content_filter', { finish_reason: 'content_filter' }, false, { reason: 'refusal', sequence: null }],
    ["vLLM's matched stop string", { finish_reason: 'stop', stop_reason: 'END' }, false, { reason: 'stop_sequence', sequence: 'END' }],
    ["SGLang's matched stop string", { finish_reason: 'stop', matched_stop: 'END' }, false, { reason: 'stop_sequence', sequence: 'END' }],
    ["vLLM's end-of-sequence token id", { finish_reason: 'stop', stop_reason: 128009 }, false, { reason: 'end_turn', sequence: null }],
    ['a matched string the request did not ask for', { finish_reason: 'stop', stop_reason: '</s>' }, false, { reason: 'end_turn', sequence: null }],
    ['no finish reason (a stream cut short)', {}, false, { reason: 'end_turn', sequence: null }],
  ])('%s', (_case, choice, calledTools, expected) => {
    expect(stopOf(choice, ['END'], calledTools)).toEqual(expected);
  });
});

describe('toAnthropicUsage', () => {
  it.each<[string, Parameters<typeof toAnthropicUsage>[0], object]>([
    ['chat usage', USAGE, { input_tokens: 12, output_tokens: 5, cache_read_input_tokens: 0 }],
    ['cached prompt tokens counted apart', { ...USAGE, prompt_tokens_details: { cached_tokens: 8 } }, { input_tokens: 4, cache_read_input_tokens: 8 }],
    ['none reported', null, { input_tokens: 0, output_tokens: 0 }],
  ])('%s', (_case, usage, expected) => {
    expect(toAnthropicUsage(usage)).toMatchObject(expected);
  });
});
