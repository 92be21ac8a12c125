import { type ChatCompletionChunk, SwitchyardError } from '@app/contracts';
import { createOllamaStreamMapper } from './ollama-stream.mapper';

const ID = 'chatcmpl-abc';
const CREATED = 1_750_000_000;
const MODEL = 'llama3.2';

/** An Ollama NDJSON line (parsed). */
const line = (message: object, fields: object = {}) => ({
  model: MODEL,
  created_at: '2025-03-01T12:00:00Z',
  message: { role: 'assistant', ...message },
  done: false,
  ...fields,
});
const final = (fields: object = {}, message: object = { content: '' }) =>
  line(message, { done: true, done_reason: 'stop', prompt_eval_count: 12, eval_count: 3, ...fields });

const chunk = (delta: object, finishReason: string | null = null) => ({
  id: ID,
  object: 'chat.completion.chunk',
  created: CREATED,
  model: MODEL,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
});
const usage = (prompt: number, completion: number) => ({
  id: ID,
  object: 'chat.completion.chunk',
  created: CREATED,
  model: MODEL,
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

function run(lines: unknown[], apiKey?: string): ChatCompletionChunk[] {
  const mapper = createOllamaStreamMapper({ id: ID, created: CREATED, secrets: apiKey ? [apiKey] : [] });
  return [...lines.flatMap((part) => mapper.push(part)), ...mapper.end()];
}

describe('createOllamaStreamMapper', () => {
  it.each<[string, unknown[], unknown[]]>([
    [
      'text: role on the first chunk, one chunk per piece, a finish chunk, then usage',
      [line({ content: 'Hel' }), line({ content: 'lo' }), final()],
      [chunk({ role: 'assistant', content: 'Hel', refusal: null }), chunk({ content: 'lo' }), chunk({}, 'stop'), usage(12, 3)],
    ],
    [
      'an empty first piece still carries the role; later empty pieces make no chunk',
      [line({ content: '' }), line({ content: '' }), line({ content: 'x' }), final()],
      [chunk({ role: 'assistant', content: '', refusal: null }), chunk({ content: 'x' }), chunk({}, 'stop'), usage(12, 3)],
    ],
    ['a final line that is also the first', [final()], [chunk({ role: 'assistant', content: '', refusal: null }), chunk({}, 'stop'), usage(12, 3)]],
    [
      'content on the final line comes before the finish chunk',
      [line({ content: 'a' }), final({}, { content: 'b' })],
      [chunk({ role: 'assistant', content: 'a', refusal: null }), chunk({ content: 'b' }), chunk({}, 'stop'), usage(12, 3)],
    ],
    [
      'done_reason length → length',
      [line({ content: 'a' }), final({ done_reason: 'length' })],
      [chunk({ role: 'assistant', content: 'a', refusal: null }), chunk({}, 'length'), usage(12, 3)],
    ],
    ['done_reason load → stop', [final({ done_reason: 'load' })], [chunk({ role: 'assistant', content: '', refusal: null }), chunk({}, 'stop'), usage(12, 3)]],
    ['no done_reason → stop', [final({ done_reason: undefined })], [chunk({ role: 'assistant', content: '', refusal: null }), chunk({}, 'stop'), usage(12, 3)]],
    [
      'missing counts → 0',
      [final({ prompt_eval_count: undefined, eval_count: undefined })],
      [chunk({ role: 'assistant', content: '', refusal: null }), chunk({}, 'stop'), usage(0, 0)],
    ],
    [
      'a prompt served from cache counts only what was evaluated',
      [final({ prompt_eval_count: undefined, eval_count: 5 })],
      [chunk({ role: 'assistant', content: '', refusal: null }), chunk({}, 'stop'), usage(0, 5)],
    ],
    [
      'a tool call with an id: a header delta, then the arguments JSON, then finish_reason tool_calls',
      [line({ content: '', tool_calls: [{ id: 'call_kept', function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] }), final()],
      [
        chunk({ role: 'assistant', content: '', refusal: null }),
        chunk({ tool_calls: [{ index: 0, id: 'call_kept', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Oslo"}' } }] }),
        chunk({}, 'tool_calls'),
        usage(12, 3),
      ],
    ],
    [
      'tool calls over several lines, without ids: numbered in order, ids made up',
      [
        line({ content: '', tool_calls: [{ function: { name: 'a', arguments: {} } }] }),
        line({ content: '', tool_calls: [{ function: { index: 7, name: 'b', arguments: { n: 1 } } }] }),
        final({ done_reason: 'stop' }),
      ],
      [
        chunk({ role: 'assistant', content: '', refusal: null }),
        chunk({ tool_calls: [{ index: 0, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), type: 'function', function: { name: 'a', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), type: 'function', function: { name: 'b', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '{"n":1}' } }] }),
        chunk({}, 'tool_calls'),
        usage(12, 3),
      ],
    ],
    [
      'a tool call on the final line still ends with tool_calls',
      [line({ content: 'let me look' }), final({}, { content: '', tool_calls: [{ function: { name: 'f', arguments: { q: 'x' } } }] })],
      [
        chunk({ role: 'assistant', content: 'let me look', refusal: null }),
        chunk({ tool_calls: [{ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'f', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":"x"}' } }] }),
        chunk({}, 'tool_calls'),
        usage(12, 3),
      ],
    ],
    [
      'lines after the final one are ignored',
      [final(), line({ content: 'late' }), final()],
      [chunk({ role: 'assistant', content: '', refusal: null }), chunk({}, 'stop'), usage(12, 3)],
    ],
  ])('%s', (_name, lines, expected) => {
    expect(run(lines)).toEqual(expected);
  });

  it.each<[string, unknown[]]>([
    ['text', [line({ content: 'a' }), line({ content: 'b' }), final()]],
    ['tool calls', [line({ content: '', tool_calls: [{ function: { name: 'a', arguments: {} } }, { function: { name: 'b', arguments: {} } }] }), final()]],
    ['a final line only', [final()]],
  ])('exactly one chunk has a finish_reason, the one before usage: %s', (_name, lines) => {
    const chunks = run(lines);
    const finishing = chunks.filter((c) => c.choices.some((choice) => choice.finish_reason !== null));
    expect(finishing).toHaveLength(1);
    expect(chunks.at(-2)).toBe(finishing[0]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: expect.any(Object) });
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.slice(1).every((c) => c.choices.every((choice) => choice.delta.role === undefined))).toBe(true);
    expect(chunks.every((c) => c.id === ID && c.created === CREATED)).toBe(true);
  });

  it.each<[string, unknown[], object]>([
    [
      'an error line mid-stream, message kept',
      [line({ content: 'a' }), { error: 'llama runner process has terminated' }],
      { code: 'upstream_error', status: 502, retryable: false, message: 'ollama upstream: llama runner process has terminated' },
    ],
    [
      'an error line with a secret, redacted',
      [{ error: 'bad token proxy-key-123 for Bearer abc.def' }],
      { code: 'upstream_error', message: 'ollama upstream: bad token [redacted] for Bearer [redacted]' },
    ],
    ['an empty error', [{ error: '' }], { code: 'upstream_error', message: 'ollama upstream failed while streaming its answer' }],
    [
      'a line that is not a chat line',
      [{ models: [] }],
      { code: 'upstream_error', message: 'ollama upstream answered with something that is not an Ollama chat stream line' },
    ],
    [
      'a stream that ends before done',
      [line({ content: 'a' })],
      { code: 'upstream_error', retryable: true, message: 'ollama upstream ended its streamed answer before it was complete' },
    ],
    ['an empty stream', [], { code: 'upstream_error', retryable: true }],
  ])('throws for %s', (_name, lines, expected) => {
    let thrown: unknown;
    try {
      run(lines, 'proxy-key-123');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SwitchyardError);
    expect(thrown).toMatchObject(expected);
  });

  it('reports done once the final line was seen', () => {
    const mapper = createOllamaStreamMapper({ id: ID, created: CREATED });
    mapper.push(line({ content: 'a' }));
    expect(mapper.done).toBe(false);
    mapper.push(final());
    expect(mapper.done).toBe(true);
    expect(mapper.end()).toEqual([]);
  });
});
