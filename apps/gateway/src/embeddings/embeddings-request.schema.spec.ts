import { SwitchyardError } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { embeddingsRequestSchema } from './embeddings-request.schema';

const refusal = (body: object) => {
  try {
    parseBody(embeddingsRequestSchema, { model: 'm', ...body });
  } catch (error) {
    if (error instanceof SwitchyardError) return { param: error.param, message: error.message };
    throw error;
  }
  return undefined;
};

describe('embeddingsRequestSchema', () => {
  it.each<[string, object]>([
    ['a string', { input: 'hello' }],
    ['strings', { input: ['a', 'b'] }],
    ['token ids', { input: [1, 2, 3] }],
    ['arrays of token ids', { input: [[1, 2], [3]] }],
    ['every field OpenAI defines', { input: 'a', encoding_format: 'base64', dimensions: 256, user: 'u-1' }],
    ["LiteLLM's metadata and Switchyard's priority", { input: 'a', metadata: { tag: 'x' }, priority: 2 }],
    ['fields it does not know, for the upstream', { input: 'a', vendor_extra: { a: 1 } }],
  ])('takes %s', (_case, body) => {
    expect(refusal(body)).toBeUndefined();
  });

  it.each<[string, object, string | null, string]>([
    ['no input', {}, 'input', "'input' is required"],
    ['an empty string', { input: '' }, 'input', 'must not be empty'],
    ['an empty array', { input: [] }, 'input', 'must not be empty'],
    ['an empty string among strings', { input: ['a', ''] }, 'input[1]', 'must not be empty'],
    ['a mix of strings and token ids', { input: ['a', 1] }, 'input[1]', 'must be a string'],
    [
      'neither text nor token ids',
      { input: { text: 'a' } },
      'input',
      'must be a string, an array of strings, an array of token ids or an array of arrays of token ids',
    ],
    ['a negative token id', { input: [1, -2] }, 'input[1]', 'token ids are not negative'],
    ['an empty token array', { input: [[1], []] }, 'input[1]', 'must not be empty'],
    ['more than 2048 inputs', { input: Array.from({ length: 2049 }, () => 'a') }, 'input', 'at most 2048 inputs'],
    ['an unknown encoding', { input: 'a', encoding_format: 'int8' }, 'encoding_format', 'must be one of float, base64'],
    ['zero dimensions', { input: 'a', dimensions: 0 }, 'dimensions', 'must be at least 1'],
    ['fractional dimensions', { input: 'a', dimensions: 1.5 }, 'dimensions', 'must be an integer'],
  ])('refuses %s, naming the field', (_case, body, param, words) => {
    const error = refusal(body);
    expect(error?.param).toBe(param);
    expect(error?.message).toContain(words);
  });
});
