/**
 * Where a call goes: a backend's queue, how deep it may get, and the worker app that consumes it
 * (for the message when none does). The gateway derives it from the deployment; the dispatcher
 * knows nothing of config.
 */
export interface QueueTarget {
  /** The BullMQ queue name (`chat-<backend>`). */
  queue: string;
  /** Calls the queue may hold (waiting, prioritized or delayed) before new ones are refused; 0: no limit. */
  maxDepth: number;
  /** What to start when no worker consumes the queue, e.g. `start worker-openai`. */
  startHint: string;
}
