import { CHAT_BACKOFF_TYPE, PRIORITY, RETRY_BACKOFF, RetryLaterError, chatBackoffStrategy, chatJobOptions, retryDelayMs } from './chat-job.options';

describe('chat job options', () => {
  it('give num_retries + 1 attempts, the worker-computed backoff, and a BullMQ priority only to prioritized calls', () => {
    expect(chatJobOptions('req-1')).toEqual({ jobId: 'req-1', attempts: 3, backoff: { type: CHAT_BACKOFF_TYPE }, removeOnComplete: true, removeOnFail: true });
    expect(chatJobOptions('req-2', { numRetries: 0, priority: 0 })).toMatchObject({ attempts: 1, priority: 1 });
    expect(chatJobOptions('req-3', { priority: PRIORITY.max })).toMatchObject({ priority: PRIORITY.max + 1 });
  });

  it.each([
    [1, 0, RETRY_BACKOFF.baseMs / 2],
    [1, 1, RETRY_BACKOFF.baseMs],
    [2, 0, RETRY_BACKOFF.baseMs],
    [3, 1, RETRY_BACKOFF.baseMs * 4],
    [10, 1, RETRY_BACKOFF.maxMs],
  ])('waits between half and all of the exponential step before retry %i (random %d → %i ms)', (attempt, random, expected) => {
    expect(retryDelayMs(attempt, 0, () => random)).toBe(expected);
  });

  it("never retries sooner than the upstream's Retry-After", () => {
    expect(retryDelayMs(1, 3_000, () => 1)).toBe(3_000);
  });

  it('hands BullMQ the delay the worker chose', async () => {
    expect(await chatBackoffStrategy(1, CHAT_BACKOFF_TYPE, new RetryLaterError('x', 1234))).toBe(1234);
  });
});
