import { type ChatStreamEvent, SwitchyardError, type TextCompletion } from '@app/contracts';
import { completionFrames } from './completions-frames';

const chunk = (id: string, created: number, text: string, finish: string | null = null): ChatStreamEvent<TextCompletion> => ({
  t: 'chunk',
  chunk: { id, object: 'text_completion', created, model: 'upstream-name', choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] },
});
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

async function frames(events: ChatStreamEvent<TextCompletion>[], includeUsage: boolean) {
  const out: string[] = [];
  const source = (async function* () {
    yield* events;
  })();
  for await (const frame of completionFrames(source, { model: 'ollama/codellama', includeUsage, requestId: 'req-7' })) out.push(frame.data);
  return out;
}

describe('completionFrames', () => {
  it("gives every chunk the first one's id and created and the client's model, then [DONE]; no usage unless asked", async () => {
    const out = await frames([chunk('a', 1, 'He'), chunk('b', 2, 'llo', 'stop'), { t: 'end', usage: USAGE }], false);
    expect(out.at(-1)).toBe('[DONE]');
    const parsed = out.slice(0, -1).map((d) => JSON.parse(d));
    expect(parsed).toEqual([
      { id: 'a', object: 'text_completion', created: 1, model: 'ollama/codellama', choices: [{ text: 'He', index: 0, logprobs: null, finish_reason: null }] },
      {
        id: 'a',
        object: 'text_completion',
        created: 1,
        model: 'ollama/codellama',
        choices: [{ text: 'llo', index: 0, logprobs: null, finish_reason: 'stop' }],
      },
    ]);
  });

  it('with include_usage: usage null on every chunk, then a text_completion usage chunk without choices', async () => {
    const out = await frames([chunk('a', 1, 'Hi', 'stop'), { t: 'end', usage: USAGE }], true);
    const parsed = out.slice(0, -1).map((d) => JSON.parse(d));
    expect(parsed[0].usage).toBeNull();
    expect(parsed[1]).toEqual({ id: 'a', object: 'text_completion', created: 1, model: 'ollama/codellama', choices: [], usage: USAGE });
  });

  it('ends with an error object and no [DONE] when the call fails mid-stream', async () => {
    const error = new SwitchyardError('upstream_error', 'the GPU fell over').toWire();
    const out = await frames([chunk('a', 1, 'Hi'), { t: 'error', error }], false);
    expect(out).toHaveLength(2);
    expect(JSON.parse(out[1]).error).toMatchObject({ code: 'upstream_error', message: expect.stringContaining('the GPU fell over') });
  });
});
