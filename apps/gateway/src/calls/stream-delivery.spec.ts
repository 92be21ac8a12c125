import type { ChatCompletionRequest, ChatStreamEvent } from '@app/contracts';
import { estimatedUsage } from '@app/queue';
import { StreamDelivery } from './stream-delivery';

const chat: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }] };
/** How the chat path estimates a stream cut short: the prompt and the characters delivered, / 4. */
const request = (chars: number) => estimatedUsage(chat, chars);
const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});

async function* events(...list: ChatStreamEvent[]): AsyncGenerator<ChatStreamEvent> {
  yield* list;
}

/** Reads `read` events of a stream through a delivery, then stops, as the relay does. */
async function relay(delivery: StreamDelivery, list: ChatStreamEvent[], read = list.length): Promise<void> {
  const rest = events(...list.slice(1));
  const stream = delivery.relay({ done: false, value: list[0] }, rest);
  for (let i = 0; i < read; i++) await stream.next();
  await stream.return(undefined);
}

describe('StreamDelivery', () => {
  it('estimates what a cut-off stream delivered: prompt estimate plus delivered characters / 4', async () => {
    const delivery = new StreamDelivery();
    await relay(delivery, [chunk('12345678'), chunk('1234'), { t: 'error', error: { code: 'timeout', status: 504, message: 'late' } }]);
    await delivery.stopped(1000);
    expect(delivery.usage(request)).toEqual({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, estimated: true });
  });

  it('counts only what the relay read before it stopped', async () => {
    const delivery = new StreamDelivery();
    await relay(delivery, [chunk('12345678'), chunk('1234'), chunk('1234')], 1);
    expect(delivery.usage(request)).toMatchObject({ completion_tokens: 2 });
  });

  it('prefers the usage the last event carried', async () => {
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    const ended = new StreamDelivery();
    await relay(ended, [chunk('hello'), { t: 'end', usage }]);
    expect(ended.usage(request)).toEqual(usage);
    const broken = new StreamDelivery();
    await relay(broken, [chunk('hello'), { t: 'error', error: { code: 'upstream_error', status: 502, message: 'gone', usage } }]);
    expect(broken.usage(request)).toEqual(usage);
  });

  it('bills nothing when nothing went out, and stops waiting for a relay that never reads', async () => {
    const delivery = new StreamDelivery();
    expect(delivery.usage(request)).toBeNull();
    const started = Date.now();
    await delivery.stopped(50);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
