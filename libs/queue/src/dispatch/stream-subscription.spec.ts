import type { ChatStreamEvent } from '@app/contracts';
import { StreamSubscription } from './stream-subscription';

const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});
const END: ChatStreamEvent = { t: 'end', usage: null };

async function read(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const seen: ChatStreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe('StreamSubscription', () => {
  it('hands out events in order, across batches and waits, and ends at the terminal event', async () => {
    const closed = jest.fn();
    const subscription = new StreamSubscription(closed);
    const reading = read(subscription.events());
    subscription.push([chunk('a'), chunk('b')]);
    await new Promise((r) => setImmediate(r));
    subscription.push([chunk('c'), END, chunk('after the end')]);
    expect(await reading).toEqual([chunk('a'), chunk('b'), chunk('c'), END]);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('ends a reader that waits when it is closed, and takes nothing after', async () => {
    const subscription = new StreamSubscription(() => undefined);
    const reading = read(subscription.events());
    subscription.push([chunk('a')]);
    await new Promise((r) => setImmediate(r));
    subscription.close();
    subscription.push([chunk('late')]);
    expect(await reading).toEqual([chunk('a')]);
  });

  it('closes once when the reader leaves early', async () => {
    const closed = jest.fn();
    const subscription = new StreamSubscription(closed);
    subscription.push([chunk('a'), chunk('b')]);
    for await (const _event of subscription.events()) break;
    subscription.close();
    expect(closed).toHaveBeenCalledTimes(1);
    expect(subscription.isClosed).toBe(true);
  });
});
