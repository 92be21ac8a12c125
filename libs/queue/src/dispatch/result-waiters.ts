import type { ChatJobResult, SwitchyardError } from '@app/contracts';

/** Someone in this process waiting for one job's outcome. */
export interface Waiter {
  resolve(result: ChatJobResult): void;
  reject(error: SwitchyardError): void;
}

/**
 * The calls of this gateway waiting for their job's outcome, by queue and job id: one lookup
 * per completion event, no listener per call. Each waiter has its deadline, after which it is
 * forgotten and told so.
 */
export class ResultWaiters {
  private readonly waiting = new Map<string, Set<Waiter>>();

  /**
   * Registers `waiter` for the job until it settles or `deadline` passes (then `onDeadline` runs
   * instead). Returns a function that forgets the waiter and disarms the deadline.
   */
  wait(queue: string, jobId: string, deadline: number, waiter: Waiter, onDeadline: () => void): () => void {
    const key = `${queue}:${jobId}`;
    const forget = () => {
      clearTimeout(timer);
      const set = this.waiting.get(key);
      if (!set) return;
      set.delete(own);
      if (set.size === 0) this.waiting.delete(key);
    };
    const own: Waiter = {
      resolve: (r) => (forget(), waiter.resolve(r)),
      reject: (e) => (forget(), waiter.reject(e)),
    };
    const timer = setTimeout(() => (forget(), onDeadline()), Math.max(0, deadline - Date.now()));
    const set = this.waiting.get(key) ?? new Set<Waiter>();
    set.add(own);
    this.waiting.set(key, set);
    return forget;
  }

  /** Hands the outcome to whoever waits for the job; true when someone in this process did. */
  settle(queue: string, jobId: string, action: (w: Waiter) => void): boolean {
    const set = this.waiting.get(`${queue}:${jobId}`);
    if (!set) return false;
    for (const w of [...set]) action(w);
    return true;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Fails every waiter (the gateway is stopping). */
  rejectAll(error: SwitchyardError): void {
    for (const set of [...this.waiting.values()]) for (const w of [...set]) w.reject(error);
    this.waiting.clear();
  }
}
