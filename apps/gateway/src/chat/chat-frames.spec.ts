import { type ChatCompletionChunk, type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import { chatFrames } from './chat-frames';

const chunk = (id: string, created: number, delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null = null): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id, object: 'chat.completion.chunk', created, model: 'upstream-name', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] },
});
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

async function frames(events: ChatStreamEvent[], includeUsage: boolean) {
  const out: string[] = [];
  const source = (async function* () {
    yield* events;
  })();
  for await (const frame of chatFrames(source, { model: 'ollama/gpt-oss:20b', includeUsage, requestId: 'req-7' })) out.push(frame.data);
  return out;
}

describe('chatFrames', () => {
  it("gives every chunk the first one's id and created and the client's model, a role on the first, then [DONE]", async () => {
    const out = await frames([chunk('a', 1, { content: 'He' }), chunk('b', 2, { content: 'llo' }, 'stop'), { t: 'end', usage: USAGE }], false);
    expect(out.at(-1)).toBe('[DONE]');
    const parsed = out.slice(0, -1).map((d) => JSON.parse(d));
    expect(parsed.map((c) => [c.id, c.created, c.model])).toEqual([
      ['a', 1, 'ollama/gpt-oss:20b'],
      ['a', 1, 'ollama/gpt-oss:20b'],
    ]);
    expect(parsed[0].choices[0].delta).toEqual({ role: 'assistant', content: 'He' });
    expect(parsed.every((c) => !('usage' in c))).toBe(true);
  });

  it('with include_usage: usage null on every chunk, then one usage chunk without choices before [DONE]', async () => {
    const out = await frames([chunk('a', 1, { role: 'assistant', content: 'x' }), { t: 'end', usage: USAGE }], true);
    expect(out).toHaveLength(3);
    expect(JSON.parse(out[0]).usage).toBeNull();
    expect(JSON.parse(out[1])).toMatchObject({ id: 'a', object: 'chat.completion.chunk', choices: [], usage: USAGE });
    expect(out[2]).toBe('[DONE]');
  });

  it('ends with an error frame and no [DONE] when the call fails after its first chunk', async () => {
    const error = new SwitchyardError('upstream_error', 'the upstream broke off');
    const out = await frames([chunk('a', 1, { content: 'x' }), { t: 'error', error: error.toWire() }, chunk('late', 3, { content: 'y' })], false);
    expect(out).toHaveLength(2);
    expect(JSON.parse(out[1])).toEqual({ error: expect.objectContaining({ code: 'upstream_error', type: 'api_error' }) });
    expect(JSON.parse(out[1]).error.message).toContain('req-7');
  });
});
