import type { CompletionRequest } from '@app/contracts';
import {
  fromOpenAICompletionChunk,
  fromOpenAICompletionResponse,
  toOpenAICompletionRequest,
  toOpenAICompletionStreamRequest,
} from './openai-completions.mapper';
import { createOpenAIStreamMapper } from './openai-stream.mapper';

const REQUEST: CompletionRequest = { model: 'openai/gpt-3.5-turbo-instruct', prompt: ['a', 'b'], suffix: 'z', n: 2, echo: true, logprobs: 1, max_tokens: 5 };

describe('toOpenAICompletionRequest / toOpenAICompletionStreamRequest', () => {
  it('sends every field as the client wrote it, with the upstream model name and streaming off', () => {
    expect(toOpenAICompletionRequest({ ...REQUEST, stream_options: { include_usage: true } }, 'gpt-3.5-turbo-instruct')).toEqual({
      ...REQUEST,
      model: 'gpt-3.5-turbo-instruct',
      stream: false,
    });
  });

  it('asks a streamed call for usage whatever the client asked, keeping its other stream options', () => {
    expect(toOpenAICompletionStreamRequest({ ...REQUEST, stream: true }, 'm')).toEqual({
      ...REQUEST,
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(toOpenAICompletionStreamRequest({ ...REQUEST, stream_options: { include_usage: false, x: 1 } as never }, 'm').stream_options).toEqual({
      include_usage: true,
      x: 1,
    });
  });
});

describe('fromOpenAICompletionResponse', () => {
  it('fills in what some OpenAI-compatible servers leave out: object, index, logprobs, finish_reason, usage', () => {
    expect(fromOpenAICompletionResponse({ id: 'cmpl-1', created: 1, model: 'm', choices: [{ text: 'hi' }] })).toEqual({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: 'm',
      choices: [{ text: 'hi', index: 0, logprobs: null, finish_reason: null }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  });

  it('keeps logprobs, usage and fields it does not know', () => {
    const logprobs = { tokens: ['hi'], token_logprobs: [-1], top_logprobs: [{ hi: -1 }], text_offset: [0] };
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    const answer = {
      id: 'c',
      object: 'text_completion',
      created: 1,
      model: 'm',
      system_fingerprint: 'fp',
      choices: [{ text: 'hi', index: 3, logprobs, finish_reason: 'length' }],
      usage,
    };
    expect(fromOpenAICompletionResponse(answer)).toEqual(answer);
  });

  it.each([
    ['no choices', { choices: [] }],
    ['a chat completion', { choices: [{ index: 0, message: { content: 'hi' } }] }],
    ['not an object', 'hi'],
  ])('reads %s as no text completion', (_case, body) => expect(fromOpenAICompletionResponse(body)).toBeUndefined());
});

describe('the OpenAI stream mapper over text completion chunks', () => {
  const chunk = (choices: object[], usage?: object) =>
    JSON.stringify({ id: 'c', object: 'text_completion', created: 1, model: 'm', choices, ...(usage ? { usage } : {}) });
  const mapper = () => createOpenAIStreamMapper({ parse: fromOpenAICompletionChunk, chunkName: 'a text completion chunk' });

  it('passes chunks on in order and holds usage back to the end, as a chunk of its own', () => {
    const m = mapper();
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    const out = [
      ...m.push(chunk([{ text: 'he', index: 0, finish_reason: null }])),
      ...m.push(chunk([{ text: 'y', index: 0, finish_reason: 'stop' }])),
      ...m.push(chunk([], usage)),
      ...m.push('[DONE]'),
    ];
    expect(out.map((c) => [c.choices.map((x) => x.text).join(''), c.usage ?? null])).toEqual([
      ['he', null],
      ['y', null],
      ['', usage],
    ]);
    expect(out[0].choices[0]).toEqual({ text: 'he', index: 0, logprobs: null, finish_reason: null });
  });

  it('names a chunk it cannot read, and an answer cut short', () => {
    expect(() => mapper().push('{"nope": 1}')).toThrow('a text completion chunk');
    const m = mapper();
    m.push(chunk([{ text: 'he', index: 0, finish_reason: null }]));
    expect(() => m.end()).toThrow();
  });
});
