import { RunningJobs, STOPPING, stoppedByWorker } from './running-jobs';

describe('RunningJobs', () => {
  it('aborts the call a cancel notice names, on that queue only', () => {
    const running = new RunningJobs();
    const a = running.begin('chat-openai', 'call-1');
    const b = running.begin('chat-hosted_vllm', 'call-1');
    running.cancel('chat-openai:call-1');
    expect(a.signal.aborted).toBe(true);
    expect(stoppedByWorker(a.signal)).toBe(false);
    expect(b.signal.aborted).toBe(false);
    running.cancel('chat-openai:call-unknown');
  });

  it('cuts off what still runs when the worker stops, saying so, and forgets ended jobs', () => {
    const running = new RunningJobs();
    const a = running.begin('chat-openai', 'call-1');
    const ended = running.begin('chat-openai', 'call-2');
    running.end('chat-openai', 'call-2');
    expect(running.size).toBe(1);
    running.stopAll();
    expect(stoppedByWorker(a.signal)).toBe(true);
    expect(a.signal.reason).toBe(STOPPING);
    expect(ended.signal.aborted).toBe(false);
  });
});
