import type { CompletionRequest } from '@app/contracts';
import { fromOllamaGenerateResponse, isOllamaGenerateResponse, toOllamaGenerateRequest, toOllamaGenerateStreamRequest } from './ollama-generate.mapper';

const ask = (fields: Partial<CompletionRequest> = {}): CompletionRequest => ({ model: 'ollama/codellama', prompt: 'def add(a, b):', ...fields });

describe('toOllamaGenerateRequest', () => {
  it('sends the prompt raw when there is no suffix, sampling fields as options', () => {
    expect(toOllamaGenerateRequest(ask({ max_tokens: 16, temperature: 0.1, top_p: 0.5, stop: 'END', seed: 3, presence_penalty: 1 }), 'codellama')).toEqual({
      model: 'codellama',
      prompt: 'def add(a, b):',
      raw: true,
      stream: false,
      options: { num_predict: 16, temperature: 0.1, top_p: 0.5, stop: ['END'], seed: 3, presence_penalty: 1 },
    });
  });

  it("sends a suffix through the model's template (not raw), and a list of one prompt as that prompt", () => {
    expect(toOllamaGenerateRequest(ask({ prompt: ['def f():'], suffix: '\n  return x' }), 'codellama')).toEqual({
      model: 'codellama',
      prompt: 'def f():',
      suffix: '\n  return x',
      stream: false,
    });
    expect(toOllamaGenerateRequest(ask({ suffix: '' }), 'codellama').raw).toBe(true);
  });

  it('asks for NDJSON when streamed', () => {
    expect(toOllamaGenerateStreamRequest(ask(), 'codellama').stream).toBe(true);
  });

  it.each<[string, Partial<CompletionRequest>, string]>([
    ['n > 1', { n: 2 }, 'n'],
    ['echo', { echo: true }, 'echo'],
    ['logprobs', { logprobs: 0 }, 'logprobs'],
    ['best_of > 1', { best_of: 3 }, 'best_of'],
    ['several prompts', { prompt: ['a', 'b'] }, 'prompt'],
    ['token ids', { prompt: [1, 2] }, 'prompt'],
    ['lists of token ids', { prompt: [[1, 2]] }, 'prompt'],
  ])('refuses %s with 400 naming the field', (_case, fields, param) => {
    expect(() => toOllamaGenerateRequest(ask(fields), 'm')).toThrow(expect.objectContaining({ code: 'invalid_request', param }));
  });

  it('takes the harmless values of those fields', () => {
    expect(() => toOllamaGenerateRequest(ask({ n: 1, echo: false, logprobs: null, best_of: 1 }), 'm')).not.toThrow();
  });
});

describe('fromOllamaGenerateResponse', () => {
  const answer = {
    model: 'codellama',
    created_at: '2025-01-02T03:04:05Z',
    response: '  return a + b',
    done: true,
    done_reason: 'stop',
    context: [1, 2],
    prompt_eval_count: 7,
    eval_count: 5,
  };

  it('is a text_completion with one choice, its finish reason and usage', () => {
    expect(isOllamaGenerateResponse(answer)).toBe(true);
    expect(fromOllamaGenerateResponse(answer, { id: 'cmpl-1' })).toEqual({
      id: 'cmpl-1',
      object: 'text_completion',
      created: Date.parse('2025-01-02T03:04:05Z') / 1000,
      model: 'codellama',
      choices: [{ text: '  return a + b', index: 0, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    });
  });

  it('says length when num_predict ran out, and counts 0 where Ollama reported nothing', () => {
    const cut = fromOllamaGenerateResponse({ model: 'm', response: 'x', done_reason: 'length' }, { id: 'c', created: 9 });
    expect(cut).toMatchObject({ created: 9, choices: [{ finish_reason: 'length' }], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
  });

  it('does not read a chat answer as a generate answer', () => {
    expect(isOllamaGenerateResponse({ model: 'm', message: { content: 'x' } })).toBe(false);
  });
});
