import { type ChatCompletionRequest, type ChatMessage, SwitchyardError } from '@app/contracts';
import { fromOllamaChatResponse, isOllamaChatResponse, toOllamaChatRequest, toOllamaChatStreamRequest } from './ollama-chat.mapper';
import type { OllamaChatResponse } from './ollama-wire';

const user = (content: ChatMessage['content']): ChatMessage => ({ role: 'user', content });
const request = (fields: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'client-name', messages: [user('hi')], ...fields });
const PNG = 'iVBORw0KGgo=';

describe('toOllamaChatRequest', () => {
  it('names the upstream model and always asks for a single JSON answer', () => {
    expect(toOllamaChatRequest(request({ stream: true }), 'llama3.2')).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
    });
  });

  it('asks for NDJSON in the streamed variant, the body otherwise the same', () => {
    const fields: Partial<ChatCompletionRequest> = { stream: false, max_tokens: 5, tools: [{ type: 'function', function: { name: 'f' } }] };
    expect(toOllamaChatStreamRequest(request(fields), 'llama3.2')).toEqual({ ...toOllamaChatRequest(request(fields), 'llama3.2'), stream: true });
  });

  it.each<[string, Partial<ChatCompletionRequest>, Record<string, unknown>]>([
    ['max_completion_tokens → num_predict', { max_completion_tokens: 50, max_tokens: 10 }, { options: { num_predict: 50 } }],
    ['max_tokens → num_predict', { max_tokens: 10 }, { options: { num_predict: 10 } }],
    ['temperature', { temperature: 0.2 }, { options: { temperature: 0.2 } }],
    ['top_p', { top_p: 0.9 }, { options: { top_p: 0.9 } }],
    ['top_k', { top_k: 40 }, { options: { top_k: 40 } }],
    ['stop string → [string]', { stop: 'END' }, { options: { stop: ['END'] } }],
    ['stop array', { stop: ['a', 'b'] }, { options: { stop: ['a', 'b'] } }],
    ['seed', { seed: 7 }, { options: { seed: 7 } }],
    ['frequency_penalty', { frequency_penalty: 0.5 }, { options: { frequency_penalty: 0.5 } }],
    ['presence_penalty', { presence_penalty: -0.5 }, { options: { presence_penalty: -0.5 } }],
    ['null sampling fields are absent', { temperature: null, max_tokens: null, stop: null } as never, {}],
    ['response_format json_object → format "json"', { response_format: { type: 'json_object' } }, { format: 'json' }],
    [
      'response_format json_schema → format schema',
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } },
      { format: { type: 'object' } },
    ],
    ['response_format text → no format', { response_format: { type: 'text' } }, {}],
    ['n = 1 is fine', { n: 1 }, {}],
    ['developer role → system', { messages: [{ role: 'developer', content: 'be brief' }] }, { messages: [{ role: 'system', content: 'be brief' }] }],
    ['null content → empty string', { messages: [{ role: 'assistant', content: null }] }, { messages: [{ role: 'assistant', content: '' }] }],
    [
      'text parts joined with newlines',
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
      'data: image URLs → base64 images',
      {
        messages: [
          user([
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ]),
        ],
      },
      { messages: [{ role: 'user', content: 'what is this?', images: [PNG] }] },
    ],
    [
      'tools → Ollama tools',
      { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true } }] },
      { tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } } }] },
    ],
    ['tool_choice none → no tools', { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'none' }, {}],
    [
      'assistant tool_calls → argument objects; tool results → tool_name',
      {
        messages: [
          user('weather in Oslo?'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '3°C' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'weather in Oslo?' },
          { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] },
          { role: 'tool', content: '3°C', tool_name: 'get_weather' },
        ],
      },
    ],
  ])('%s', (_name, fields, expected) => {
    const body = toOllamaChatRequest(request(fields), 'llama3.2');
    expect(body).toEqual({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false, ...expected });
  });

  it.each<[string, Partial<ChatCompletionRequest>, string]>([
    ['n > 1', { n: 2 }, 'n'],
    [
      'an http image URL',
      { messages: [user('x'), user([{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }])] },
      'messages[1].content[0].image_url',
    ],
    [
      'a data: URL that is not base64',
      { messages: [user([{ type: 'image_url', image_url: { url: 'data:image/svg+xml,<svg/>' } }])] },
      'messages[0].content[0].image_url',
    ],
    ['an audio part', { messages: [user([{ type: 'input_audio', input_audio: {} }])] }, 'messages[0].content[0].type'],
    ['response_format json_schema without a schema', { response_format: { type: 'json_schema', json_schema: { name: 'x' } } }, 'response_format'],
    ['a tool that is not a function', { tools: [{ type: 'code_interpreter' }] }, 'tools[0]'],
    [
      'tool call arguments that are not a JSON object',
      { messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: 'nope' } }] }] },
      'messages[0].tool_calls[0].function.arguments',
    ],
    [
      'a custom tool call',
      { messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'f', input: 'x' } }] as never }] },
      'messages[0].tool_calls[0].type',
    ],
  ])('refuses %s as invalid_request naming the param', (_name, fields, param) => {
    let thrown: unknown;
    try {
      toOllamaChatRequest(request(fields), 'llama3.2');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SwitchyardError);
    expect(thrown).toMatchObject({ code: 'invalid_request', status: 400, param });
  });
});

describe('fromOllamaChatResponse', () => {
  const answer = (fields: Partial<OllamaChatResponse> = {}): OllamaChatResponse => ({
    model: 'llama3.2',
    created_at: '2025-03-01T12:00:00.123456789Z',
    message: { role: 'assistant', content: 'hello' },
    done: true,
    done_reason: 'stop',
    prompt_eval_count: 12,
    eval_count: 3,
    ...fields,
  });

  it('builds a chat.completion with the caller id, the upstream model and summed usage', () => {
    expect(fromOllamaChatResponse(answer(), { id: 'chatcmpl-1' })).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: Date.UTC(2025, 2, 1, 12) / 1000,
      model: 'llama3.2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hello', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
  });

  it.each<[string, Partial<OllamaChatResponse>, string]>([
    ['stop → stop', { done_reason: 'stop' }, 'stop'],
    ['length → length', { done_reason: 'length' }, 'length'],
    ['load → stop', { done_reason: 'load' }, 'stop'],
    ['missing → stop', { done_reason: undefined }, 'stop'],
  ])('finish_reason: %s', (_name, fields, finishReason) => {
    expect(fromOllamaChatResponse(answer(fields), { id: 'x' }).choices[0].finish_reason).toBe(finishReason);
  });

  it.each<[string, Partial<OllamaChatResponse>, number]>([
    ['created_at in seconds', {}, Date.UTC(2025, 2, 1, 12) / 1000],
    ['the fallback when created_at is missing', { created_at: undefined }, 1_700_000_000],
    ['the fallback when created_at is not a date', { created_at: 'soon' }, 1_700_000_000],
  ])('created: %s', (_name, fields, created) => {
    expect(fromOllamaChatResponse(answer(fields), { id: 'x', created: 1_700_000_000 }).created).toBe(created);
  });

  it('counts missing token counts as 0', () => {
    const usage = fromOllamaChatResponse(answer({ prompt_eval_count: undefined, eval_count: undefined }), { id: 'x' }).usage;
    expect(usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('turns tool calls into OpenAI tool_calls with JSON arguments and synthesized ids', () => {
    const toolCalls = [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }, { id: 'call_kept', function: { name: 'get_time', arguments: {} } }];
    const choice = fromOllamaChatResponse(answer({ message: { role: 'assistant', content: '', tool_calls: toolCalls } }), { id: 'x' }).choices[0];
    expect(choice).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: expect.stringMatching(/^call_[0-9a-f]{24}$/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { id: 'call_kept', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it.each<[unknown, boolean]>([
    [{ model: 'm', message: { role: 'assistant', content: '' } }, true],
    [{ model: 'm' }, false],
    [{ message: { content: 'x' } }, false],
    [{ error: 'boom' }, false],
    ['text', false],
  ])('isOllamaChatResponse(%j) is %s', (body, expected) => {
    expect(isOllamaChatResponse(body)).toBe(expected);
  });
});
