import type { ChatCompletion, ChatCompletionChoice } from '@app/contracts';
import { RESPONSE_SHAPE, expectShape } from '@test/support';
import { parseBody } from '../http/parse-body';
import { type ResponseSeed, responseFromCompletion, responseUsage } from './responses-answer.mapper';
import { responsesRequestSchema } from './responses-request.schema';

const NOW = 1_760_000_000_000;

function seedOf(body: object = {}): ResponseSeed {
  return {
    id: 'resp_1',
    createdAt: 1_759_999_999,
    request: parseBody(responsesRequestSchema, { model: 'ollama/gpt-oss:20b', input: 'hi', ...body }),
    store: true,
  };
}

function completion(message: ChatCompletionChoice['message'], finish = 'stop', usage: object = {}): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream',
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, ...usage },
  };
}

function answer(message: ChatCompletionChoice['message'], finish?: string, body?: object, usage?: object) {
  let n = 0;
  const response = responseFromCompletion(completion(message, finish, usage), seedOf(body), (prefix) => `${prefix}_${++n}`, NOW);
  expectShape(RESPONSE_SHAPE, response);
  return response;
}

const text = (t: string) => ({ type: 'output_text', text: t, annotations: [], logprobs: [] });

describe('responseFromCompletion', () => {
  it.each<[string, ChatCompletionChoice['message'], string, object]>([
    [
      'text: one completed message, its text as output_text',
      { role: 'assistant', content: 'Hello.' },
      'stop',
      {
        status: 'completed',
        output: [{ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [text('Hello.')] }],
        output_text: 'Hello.',
        incomplete_details: null,
        completed_at: NOW / 1000,
      },
    ],
    [
      'tool calls: one function_call item each, no empty message',
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
          { id: 'call_b', type: 'function', function: { name: 'lookup', arguments: '{}' } },
        ],
      },
      'tool_calls',
      {
        status: 'completed',
        output: [
          { id: 'fc_1', type: 'function_call', status: 'completed', call_id: 'call_a', name: 'lookup', arguments: '{"q":"x"}' },
          { id: 'fc_2', type: 'function_call', status: 'completed', call_id: 'call_b', name: 'lookup', arguments: '{}' },
        ],
        output_text: '',
      },
    ],
    [
      'text and a tool call: the message, then the call',
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      'tool_calls',
      {
        output: [
          { type: 'message', content: [text('Let me look.')] },
          { type: 'function_call', call_id: 'call_a' },
        ],
      },
    ],
    [
      'cut off by the token limit: incomplete, for max_output_tokens',
      { role: 'assistant', content: 'Once upon' },
      'length',
      {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        completed_at: null,
        output: [{ status: 'incomplete', content: [text('Once upon')] }],
      },
    ],
    [
      'a content filter: incomplete, for content_filter',
      { role: 'assistant', content: '' },
      'content_filter',
      { status: 'incomplete', incomplete_details: { reason: 'content_filter' } },
    ],
    [
      'a refusal: a refusal part',
      { role: 'assistant', content: null, refusal: 'I cannot.' },
      'stop',
      { output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot.' }] }] },
    ],
    ['an empty answer: an empty message', { role: 'assistant', content: '' }, 'stop', { output: [{ type: 'message', content: [text('')] }], output_text: '' }],
  ])('maps %s', (_case, message, finish, expected) => {
    expect(answer(message, finish)).toMatchObject(expected);
  });

  it("echoes the request's settings, with OpenAI's defaults where the client set none, and the client's model name", () => {
    expect(answer({ role: 'assistant', content: 'x' })).toMatchObject({
      id: 'resp_1',
      object: 'response',
      created_at: 1_759_999_999,
      model: 'ollama/gpt-oss:20b',
      error: null,
      instructions: null,
      max_output_tokens: null,
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: null,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      metadata: {},
    });
    const fn = { type: 'function', name: 'lookup', parameters: { type: 'object' } };
    const body = {
      instructions: 'Be brief.',
      tools: [fn],
      tool_choice: 'required',
      parallel_tool_calls: false,
      temperature: 0.5,
      max_output_tokens: 9,
      metadata: { team: 'search' },
      previous_response_id: 'resp_0',
      user: 'u-1',
      text: { format: { type: 'json_schema', name: 'a', schema: { type: 'object' } }, verbosity: 'low' },
    };
    expect(answer({ role: 'assistant', content: '{}' }, 'stop', body)).toMatchObject({
      instructions: 'Be brief.',
      tools: [{ ...fn, description: null, strict: null }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      temperature: 0.5,
      max_output_tokens: 9,
      metadata: { team: 'search' },
      previous_response_id: 'resp_0',
      user: 'u-1',
      text: body.text,
    });
  });

  it("gives chat's usage in the Responses API's terms, its cached and reasoning tokens included", () => {
    const usage = { prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } };
    expect(answer({ role: 'assistant', content: 'x' }, 'stop', {}, usage).usage).toEqual({
      input_tokens: 7,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 10,
    });
    expect(responseUsage(null)).toBeNull();
  });
});
