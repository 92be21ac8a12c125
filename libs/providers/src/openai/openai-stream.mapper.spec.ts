import { type ChatCompletionChunk, SwitchyardError } from '@app/contracts';
import { createOpenAIStreamMapper, createSseDecoder, fromOpenAIChatChunk } from './openai-stream.mapper';

describe('createSseDecoder', () => {
  it.each<[string, string[], string[]]>([
    ['one data line and a blank line make an event', ['data: {"a":1}', ''], ['{"a":1}']],
    ['events in a row', ['data: 1', '', 'data: 2', ''], ['1', '2']],
    ['several data lines of one event join with \\n', ['data: {"a":', 'data: 1}', ''], ['{"a":\n1}']],
    ['only one space after the colon is dropped', ['data:  x', '', 'data:y', ''], [' x', 'y']],
    ['[DONE] is passed on as data', ['data: [DONE]', ''], ['[DONE]']],
    ['comments are ignored', [': OPENROUTER PROCESSING', '', 'data: 1', ''], ['1']],
    ['event:, id: and retry: fields are ignored', ['event: message', 'id: 7', 'retry: 100', 'data: 1', ''], ['1']],
    ['blank lines without data make no event', ['', '', 'data: 1', '', ''], ['1']],
    ['unknown fields and lines without a colon are ignored', ['foo: bar', 'garbage', 'data: 1', ''], ['1']],
    ['a data line without a colon adds an empty line', ['data', 'data: x', ''], ['\nx']],
    ['an event left open at the end is dispatched by end()', ['data: 1', '', 'data: 2'], ['1', '2']],
  ])('%s', (_name, lines, expected) => {
    const decoder = createSseDecoder();
    const events = [...lines.flatMap((line) => decoder.push(line)), ...decoder.end()];
    expect(events).toEqual(expected);
  });
});

describe('fromOpenAIChatChunk', () => {
  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };

  it.each<[string, unknown, unknown]>([
    [
      'keeps a complete chunk as it is',
      { ...head, system_fingerprint: 'fp', choices: [{ index: 0, delta: { content: 'hi' }, logprobs: null, finish_reason: null }] },
      { ...head, system_fingerprint: 'fp', choices: [{ index: 0, delta: { content: 'hi' }, logprobs: null, finish_reason: null }] },
    ],
    [
      'fills logprobs and finish_reason with null, a missing delta with {} and a missing index',
      { ...head, choices: [{ delta: { content: 'hi' } }, { index: 1 }] },
      {
        ...head,
        choices: [
          { index: 0, delta: { content: 'hi' }, logprobs: null, finish_reason: null },
          { index: 1, delta: {}, logprobs: null, finish_reason: null },
        ],
      },
    ],
    ['drops usage: null', { ...head, choices: [], usage: null }, { ...head, choices: [] }],
    [
      'keeps usage',
      { ...head, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
      { ...head, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ],
    [
      'names the object when a server leaves it out',
      { id: 'c', created: 1, model: 'm', choices: [] },
      { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [] },
    ],
    ['refuses a body without choices', { ...head }, undefined],
    ['refuses a choice that is not an object', { ...head, choices: ['x'] }, undefined],
    ['refuses a non-object', '[1]', undefined],
  ])('%s', (_name, body, expected) => {
    expect(fromOpenAIChatChunk(body)).toEqual(expected);
  });
});

describe('createOpenAIStreamMapper', () => {
  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };
  const usage = { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 };
  const choice = (delta: object, finishReason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });
  const chunk = (choices: object[], extra: object = {}) => ({ ...head, choices, ...extra });
  const data = (body: object) => JSON.stringify(body);

  /** Every event's output, then end()'s, in order. */
  function run(events: string[], apiKey?: string): ChatCompletionChunk[] {
    const mapper = createOpenAIStreamMapper({ secrets: apiKey ? [apiKey] : [] });
    return [...events.flatMap((event) => mapper.push(event)), ...mapper.end()];
  }
  function failureOf(events: string[], apiKey?: string): unknown {
    try {
      run(events, apiKey);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it.each<[string, string[], object[]]>([
    [
      'passes chunks on in order and the usage chunk last',
      [
        data(chunk([choice({ role: 'assistant', content: '' })], { usage: null })),
        data(chunk([choice({ content: 'hi' })], { usage: null })),
        data(chunk([choice({}, 'stop')], { usage: null })),
        data(chunk([], { usage })),
        '[DONE]',
      ],
      [chunk([choice({ role: 'assistant', content: '' })]), chunk([choice({ content: 'hi' })]), chunk([choice({}, 'stop')]), chunk([], { usage })],
    ],
    [
      'moves usage a server attached to a choice chunk into a usage chunk of its own, last',
      [data(chunk([choice({ content: 'hi' })])), data(chunk([choice({}, 'stop')], { usage })), '[DONE]'],
      [chunk([choice({ content: 'hi' })]), chunk([choice({}, 'stop')]), chunk([], { usage })],
    ],
    [
      'holds usage back until [DONE] even when chunks follow it',
      [data(chunk([], { usage })), data(chunk([choice({}, 'stop')])), '[DONE]'],
      [chunk([choice({}, 'stop')]), chunk([], { usage })],
    ],
    ['drops choice-less chunks without usage', [data(chunk([])), data(chunk([choice({}, 'stop')])), '[DONE]'], [chunk([choice({}, 'stop')])]],
    [
      'ignores everything after [DONE]',
      [data(chunk([choice({}, 'stop')])), '[DONE]', data(chunk([choice({ content: 'late' })])), '[DONE]'],
      [chunk([choice({}, 'stop')])],
    ],
    [
      'accepts a body that ends after a finish reason without [DONE]',
      [data(chunk([choice({}, 'length')])), data(chunk([], { usage }))],
      [chunk([choice({}, 'length')]), chunk([], { usage })],
    ],
    [
      'passes tool call deltas through untouched',
      [
        data(
          chunk([
            choice({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
          ]),
        ),
        data(chunk([choice({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] })])),
        data(chunk([choice({}, 'tool_calls')])),
        '[DONE]',
      ],
      [
        chunk([
          choice({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
        ]),
        chunk([choice({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] })]),
        chunk([choice({}, 'tool_calls')]),
      ],
    ],
    ['an empty stream that says [DONE] is no error', ['[DONE]'], []],
  ])('%s', (_name, events, expected) => {
    expect(run(events)).toEqual(expected);
  });

  it.each<[string, string[], object]>([
    [
      'an error object mid-stream, message kept',
      [data(chunk([choice({ content: 'hi' })])), data({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } })],
      { code: 'upstream_error', status: 502, retryable: false, message: 'openai upstream: The server had an error while processing your request.' },
    ],
    [
      'an error object without a message',
      [data({ error: { type: 'server_error' } })],
      { code: 'upstream_error', status: 502, message: 'openai upstream failed while streaming its answer' },
    ],
    [
      'an error object with a secret in it, redacted',
      [data({ error: { message: 'Incorrect API key provided: sk-abcdefghijklmnop and my-private-token-42' } })],
      { code: 'upstream_error', message: 'openai upstream: Incorrect API key provided: sk-[redacted] and [redacted]' },
    ],
    [
      'data that is not JSON',
      ['{"choices": ['],
      { code: 'upstream_error', message: 'openai upstream answered with something that is not a chat completion chunk' },
    ],
    [
      'JSON that is not a chunk',
      [data({ object: 'list' })],
      { code: 'upstream_error', message: 'openai upstream answered with something that is not a chat completion chunk' },
    ],
    [
      'a body that ends with neither [DONE] nor a finish reason',
      [data(chunk([choice({ content: 'hi' })]))],
      { code: 'upstream_error', retryable: true, message: 'openai upstream ended its streamed answer before it was complete' },
    ],
  ])('throws for %s', (_name, events, expected) => {
    const error = failureOf(events, 'my-private-token-42');
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject(expected);
  });

  it('reports done once [DONE] was seen', () => {
    const mapper = createOpenAIStreamMapper();
    mapper.push(data(chunk([choice({}, 'stop')])));
    expect(mapper.done).toBe(false);
    mapper.push('[DONE]');
    expect(mapper.done).toBe(true);
    expect(mapper.end()).toEqual([]);
  });
});
