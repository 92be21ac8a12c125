import { createOllamaGenerateStreamMapper } from './ollama-generate-stream.mapper';

const line = (response: string, extra: object = {}) => ({ model: 'codellama', created_at: '2025-01-01T00:00:00Z', response, done: false, ...extra });
const FINAL = line('', { done: true, done_reason: 'stop', context: [1], prompt_eval_count: 3, eval_count: 2 });

describe('createOllamaGenerateStreamMapper', () => {
  const mapper = () => createOllamaGenerateStreamMapper({ id: 'cmpl-x', created: 5 });

  it('makes a text chunk per line with text, then the finish reason, then usage', () => {
    const m = mapper();
    const chunks = [line('  return'), line(''), line(' a + b'), FINAL].flatMap((part) => m.push(part));
    expect(chunks.map((c) => [c.choices.map((x) => [x.text, x.finish_reason]), c.usage ?? null])).toEqual([
      [[['  return', null]], null],
      [[[' a + b', null]], null],
      [[['', 'stop']], null],
      [[], { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }],
    ]);
    expect(chunks.every((c) => c.id === 'cmpl-x' && c.created === 5 && c.object === 'text_completion')).toBe(true);
    expect(chunks[0].choices[0]).toEqual({ text: '  return', index: 0, logprobs: null, finish_reason: null });
    expect(m.done).toBe(true);
    expect(m.push(line('after'))).toEqual([]);
    expect(m.end()).toEqual([]);
  });

  it("says length when num_predict ran out, and keeps the final line's own text", () => {
    const chunks = mapper().push(line('x', { done: true, done_reason: 'length' }));
    expect(chunks[0].choices[0]).toMatchObject({ text: 'x', finish_reason: 'length' });
  });

  it("throws Ollama's in-stream error, a line it cannot read, and a stream cut before its final line", () => {
    expect(() => mapper().push({ error: 'model crashed' })).toThrow('model crashed');
    expect(() => mapper().push({ model: 'm', message: { content: 'chat' } })).toThrow('an Ollama generate stream line');
    const m = mapper();
    m.push(line('half'));
    expect(() => m.end()).toThrow();
  });
});
