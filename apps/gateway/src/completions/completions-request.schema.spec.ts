import { SwitchyardError } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { completionRequestSchema } from './completions-request.schema';

const parse = (body: object) => parseBody(completionRequestSchema, { model: 'm', prompt: 'hi', ...body });
const problem = (body: object) => {
  try {
    parse(body);
    return undefined;
  } catch (err) {
    const error = err as SwitchyardError;
    return { param: error.param, message: error.message };
  }
};

describe('completionRequestSchema', () => {
  it.each([
    ['a text', 'hi'],
    ['texts', ['a', 'b']],
    ['token ids', [1, 2]],
    ['lists of token ids', [[1], [2, 3]]],
  ])('takes %s as the prompt', (_case, prompt) => {
    expect(parse({ prompt }).prompt).toEqual(prompt);
  });

  it('passes fields it does not know through, as OpenAI-compatible servers may read them', () => {
    expect(parse({ top_k: 5, suffix: 'x', echo: true, logprobs: 2, best_of: 2, n: 2 })).toMatchObject({ top_k: 5, suffix: 'x' });
  });

  it.each<[object, string, string]>([
    [{ prompt: undefined }, 'prompt', "'prompt' is required"],
    [{ prompt: 3 }, 'prompt', 'must be a string, an array of strings'],
    [{ prompt: [] }, 'prompt', 'must not be empty'],
    [{ suffix: 3 }, 'suffix', 'must be a string'],
    [{ max_tokens: -1 }, 'max_tokens', 'at least 0'],
    [{ temperature: 3 }, 'temperature', 'between 0 and 2'],
    [{ n: 0 }, 'n', 'between 1 and 128'],
    [{ logprobs: 6 }, 'logprobs', 'between 0 and 5'],
    [{ echo: 'yes' }, 'echo', 'true or false'],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'at most 4'],
    [{ stream_options: { include_usage: true } }, 'stream_options', 'only allowed when stream is true'],
    [{ n: 3, best_of: 2 }, 'best_of', 'at least n'],
    [{ stream: true, best_of: 2 }, 'best_of', 'cannot be streamed'],
  ])('refuses %j, naming %s', (body, param, message) => {
    expect(problem(body)).toEqual({ param, message: expect.stringContaining(message) });
  });
});
