import { type ChatJobResult, SwitchyardError } from '@app/contracts';
import { ResultWaiters } from './result-waiters';

const RESULT: ChatJobResult = { v: 2, usage: null, upstreamLatencyMs: 1 };

function waiterFor(waiters: ResultWaiters, queue: string, jobId: string, deadline = Date.now() + 60_000) {
  const seen: { result?: ChatJobResult; error?: SwitchyardError; deadline?: boolean } = {};
  const forget = waiters.wait(queue, jobId, deadline, { resolve: (r) => (seen.result = r), reject: (e) => (seen.error = e) }, () => (seen.deadline = true));
  return { seen, forget };
}

describe('ResultWaiters', () => {
  it('hands an outcome only to the waiters of that queue and job, once', () => {
    const waiters = new ResultWaiters();
    const a = waiterFor(waiters, 'chat-openai', 'job-1');
    const other = waiterFor(waiters, 'chat-ollama', 'job-1');
    expect(waiters.settle('chat-openai', 'job-1', (w) => w.resolve(RESULT))).toBe(true);
    expect(a.seen.result).toBe(RESULT);
    expect(other.seen.result).toBeUndefined();
    // Settled waiters are forgotten: a second completion of the same id finds nobody.
    expect(waiters.settle('chat-openai', 'job-1', (w) => w.resolve(RESULT))).toBe(false);
    other.forget();
    expect(waiters.size).toBe(0);
  });

  it('tells a waiter its deadline passed, and forgets it', async () => {
    const waiters = new ResultWaiters();
    const w = waiterFor(waiters, 'q', 'late', Date.now() + 20);
    await new Promise((r) => setTimeout(r, 40));
    expect(w.seen.deadline).toBe(true);
    expect(waiters.settle('q', 'late', (x) => x.resolve(RESULT))).toBe(false);
    expect(w.seen.result).toBeUndefined();
  });

  it('disarms the deadline of a waiter that settled or was forgotten', async () => {
    const waiters = new ResultWaiters();
    const settled = waiterFor(waiters, 'q', 'a', Date.now() + 20);
    const forgotten = waiterFor(waiters, 'q', 'b', Date.now() + 20);
    waiters.settle('q', 'a', (w) => w.reject(new SwitchyardError('upstream_error', 'x')));
    forgotten.forget();
    await new Promise((r) => setTimeout(r, 40));
    expect(settled.seen).toEqual({ error: expect.any(SwitchyardError) });
    expect(forgotten.seen).toEqual({});
  });

  it('fails every waiter when the gateway stops', () => {
    const waiters = new ResultWaiters();
    const a = waiterFor(waiters, 'q', 'a');
    const b = waiterFor(waiters, 'r', 'b');
    waiters.rejectAll(new SwitchyardError('service_unavailable', 'stopping'));
    expect([a.seen.error?.code, b.seen.error?.code]).toEqual(['service_unavailable', 'service_unavailable']);
    expect(waiters.size).toBe(0);
  });
});
