import { fromOpenAIChatResponse, toOpenAIChatRequest, toOpenAIChatStreamRequest } from './openai-chat.mapper';

describe('toOpenAIChatRequest', () => {
  it('swaps in the upstream model, turns streaming off and passes everything else through', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    const request = {
      model: 'client-name',
      messages: [{ role: 'user' as const, content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      tools,
      response_format: { type: 'json_object' },
      vendor_extra: { a: 1 },
    };
    expect(toOpenAIChatRequest(request, 'gpt-4o-mini')).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
      tools,
      response_format: { type: 'json_object' },
      vendor_extra: { a: 1 },
    });
  });
});

describe('toOpenAIChatStreamRequest', () => {
  const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
  const base = { model: 'client-name', messages: [{ role: 'user' as const, content: 'hi' }] };

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['turns streaming on and asks for usage', {}, { stream: true, stream_options: { include_usage: true } }],
    [
      'asks for usage when the client said no',
      { stream: true, stream_options: { include_usage: false } },
      { stream: true, stream_options: { include_usage: true } },
    ],
    [
      'keeps other stream options',
      { stream_options: { include_obfuscation: false } },
      { stream: true, stream_options: { include_obfuscation: false, include_usage: true } },
    ],
    ['a null stream_options', { stream_options: null }, { stream: true, stream_options: { include_usage: true } }],
    [
      'passes tools, tool_choice, parallel_tool_calls, response_format and unknown fields through',
      { tools, tool_choice: 'auto', parallel_tool_calls: false, response_format: { type: 'json_object' }, vendor_extra: { a: 1 } },
      {
        tools,
        tool_choice: 'auto',
        parallel_tool_calls: false,
        response_format: { type: 'json_object' },
        vendor_extra: { a: 1 },
        stream: true,
        stream_options: { include_usage: true },
      },
    ],
  ])('%s', (_name, fields, expected) => {
    expect(toOpenAIChatStreamRequest({ ...base, ...fields }, 'gpt-4o-mini')).toEqual({ ...base, model: 'gpt-4o-mini', ...expected });
  });
});

describe('fromOpenAIChatResponse', () => {
  const choice = { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' };
  const completion = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [choice] };

  it.each<[string, unknown, unknown]>([
    [
      'fills logprobs and usage when absent',
      completion,
      { ...completion, choices: [{ ...choice, logprobs: null }], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } },
    ],
    [
      'keeps them when present',
      { ...completion, choices: [{ ...choice, logprobs: { content: [] } }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
      { ...completion, choices: [{ ...choice, logprobs: { content: [] } }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ],
    ['refuses a body without choices', { id: 'c' }, undefined],
    ['refuses empty choices', { ...completion, choices: [] }, undefined],
    ['refuses a choice without a message', { ...completion, choices: [{ index: 0, text: 'legacy' }] }, undefined],
    ['refuses a non-object', 'OK', undefined],
  ])('%s', (_name, body, expected) => {
    expect(fromOpenAIChatResponse(body)).toEqual(expected);
  });
});
