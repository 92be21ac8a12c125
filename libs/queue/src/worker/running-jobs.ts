/** The abort reason of calls cut off because the worker is stopping (not the client's cancel, not the deadline). */
export class WorkerStopping extends Error {
  constructor() {
    super('the worker is stopping');
    this.name = 'WorkerStopping';
  }
}
export const STOPPING = new WorkerStopping();

/** Whether a call was cut off because its worker is stopping. */
export function stoppedByWorker(signal: AbortSignal): boolean {
  return signal.reason === STOPPING;
}

/**
 * The jobs this worker runs now, by queue and call id: how a gateway's cancel notice
 * (`<queue>:<callId>`) reaches the call it names, and how a stopping worker cuts off what is left.
 */
export class RunningJobs {
  private readonly running = new Map<string, AbortController>();

  get size(): number {
    return this.running.size;
  }

  /** A job begins: its abort controller, until {@link end}. */
  begin(queue: string, callId: string): AbortController {
    const cancel = new AbortController();
    this.running.set(`${queue}:${callId}`, cancel);
    return cancel;
  }

  end(queue: string, callId: string): void {
    this.running.delete(`${queue}:${callId}`);
  }

  /** A cancel notice, `<queue>:<callId>`: aborts that call if it runs here. */
  cancel(notice: string): void {
    this.running.get(notice)?.abort();
  }

  /** Cuts off every call still running, marking it as stopped by the worker. */
  stopAll(): void {
    for (const cancel of this.running.values()) cancel.abort(STOPPING);
  }
}
