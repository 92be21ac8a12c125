import { SwitchyardError } from '@app/contracts';
import { parseBody } from '../http/parse-body';
import { conversationItems } from './response-items';
import { toChatRequest } from './responses-request.mapper';
import { responsesRequestSchema } from './responses-request.schema';

let counter = 0;
const ids = (prefix: string) => `${prefix}_${++counter}`;

/** The chat request for a Responses body (validated as the service does), with `history` before its input. */
function chatOf(body: object, history: object[] = [], stream = false) {
  const request = parseBody(responsesRequestSchema, { model: 'm', ...body });
  const earlier = history.length ? parseBody(responsesRequestSchema, { model: 'm', input: history }).input : undefined;
  const items = [...conversationItems(earlier, ids), ...conversationItems(request.input, ids)];
  return toChatRequest(request, items, stream);
}

const fn = { type: 'function', name: 'lookup', description: 'Looks up', parameters: { type: 'object' }, strict: true };
const call = { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' };
const chatCall = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } };

describe('toChatRequest', () => {
  it.each<[string, object, object]>([
    ['a string input: one user message', { input: 'hi' }, { model: 'm', messages: [{ role: 'user', content: 'hi' }] }],
    [
      'instructions first, as a system message; developer messages as system ones',
      {
        instructions: 'Be brief.',
        input: [
          { role: 'developer', content: 'No jokes.' },
          { role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
        ],
      },
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'system', content: 'No jokes.' },
          { role: 'user', content: 'hi' },
        ],
      },
    ],
    [
      'text parts joined into one string; an image and a file as chat parts',
      {
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'what is ' },
              { type: 'input_image', image_url: 'https://x/cat.png', detail: 'low' },
              { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,AA' },
            ],
          },
        ],
      },
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is ' },
              { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'low' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,AA', filename: 'a.pdf' } },
            ],
          },
        ],
      },
    ],
    [
      'a function round trip: the call joins the assistant turn before it, its output is a tool message',
      {
        tools: [fn],
        input: [
          { role: 'user', content: 'find x' },
          { role: 'assistant', content: [{ type: 'output_text', text: 'Looking.', annotations: [] }] },
          call,
          { type: 'function_call', call_id: 'call_2', name: 'lookup', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'found' },
          {
            type: 'function_call_output',
            call_id: 'call_2',
            output: [
              { type: 'input_text', text: 'not ' },
              { type: 'input_text', text: 'found' },
            ],
          },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'find x' },
          { role: 'assistant', content: 'Looking.', tool_calls: [chatCall, { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'found' },
          { role: 'tool', tool_call_id: 'call_2', content: 'not found' },
        ],
        tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object' }, strict: true } }],
      },
    ],
    [
      'a function call with no assistant text before it: an assistant turn of its own; reasoning items left out',
      { input: [{ role: 'user', content: 'x' }, { type: 'reasoning', id: 'rs_1', summary: [] }, call] },
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [chatCall] },
        ],
      },
    ],
    [
      'the options chat has; tool_choice and parallel_tool_calls only with tools',
      {
        input: 'hi',
        max_output_tokens: 50,
        temperature: 0.2,
        top_p: 0.9,
        tool_choice: 'required',
        parallel_tool_calls: false,
        reasoning: { effort: 'low', summary: 'auto' },
        text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
        user: 'u-1',
        prompt_cache_key: 'k',
        metadata: { team: 'search' },
        store: true,
        include: ['reasoning.encrypted_content'],
      },
      {
        max_completion_tokens: 50,
        temperature: 0.2,
        top_p: 0.9,
        reasoning_effort: 'low',
        verbosity: 'low',
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
        user: 'u-1',
        prompt_cache_key: 'k',
      },
    ],
    [
      'a named function and allowed tools as chat writes them',
      { input: 'hi', tools: [fn], tool_choice: { type: 'function', name: 'lookup' }, parallel_tool_calls: true },
      { tool_choice: { type: 'function', function: { name: 'lookup' } }, parallel_tool_calls: true },
    ],
    [
      'allowed tools',
      { input: 'hi', tools: [fn], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'lookup' }] } },
      { tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'lookup' } }] } } },
    ],
    ['json_object', { input: 'hi', text: { format: { type: 'json_object' } } }, { response_format: { type: 'json_object' } }],
  ])('maps %s', (_case, body, expected) => {
    expect(chatOf(body)).toMatchObject(expected);
  });

  it('sends nothing the client left out, nor what is Switchyard’s own (metadata, store, include), nor tool options without tools', () => {
    const chat = chatOf({ input: 'hi', metadata: { a: 'b' }, store: false, include: ['x'], tool_choice: 'none', parallel_tool_calls: false });
    expect(chat).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('puts the earlier conversation before the input, and asks for a stream when streaming', () => {
    const history = [
      { role: 'user', content: 'first' },
      { type: 'message', role: 'assistant', id: 'msg_0', status: 'completed', content: [{ type: 'output_text', text: 'one', annotations: [], logprobs: [] }] },
    ];
    const chat = chatOf({ input: 'second', instructions: 'Count.' }, history, true);
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Count.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: 'second' },
    ]);
    expect(chat.stream).toBe(true);
  });

  it('refuses an input with no message at all, naming input', () => {
    const refused = (() => {
      try {
        return chatOf({ input: [{ type: 'reasoning', id: 'rs_1' }] });
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(SwitchyardError);
    expect(refused).toMatchObject({ code: 'invalid_request', param: 'input' });
  });
});
