import type { ChatStreamEvent } from '@app/contracts';

/**
 * One streamed call's events as this gateway receives them, in order, handed out as an async
 * iterator that ends after the first terminal event (`end` or `error`) or when the subscription
 * is closed. Events arrive in batches from the stream reader, or as a final `error` from the
 * dispatcher (the job failed, the deadline passed).
 */
export class StreamSubscription {
  private readonly buffer: ChatStreamEvent[] = [];
  private notify?: () => void;
  private closed = false;

  constructor(private readonly onClose: () => void) {}

  push(events: ChatStreamEvent[]): void {
    if (this.closed) return;
    this.buffer.push(...events);
    this.notify?.();
  }

  /** Stops delivering; the iterator ends after what it already has. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.notify?.();
    this.onClose();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The events; leaving the loop early closes the subscription. */
  async *events(): AsyncGenerator<ChatStreamEvent> {
    try {
      for (;;) {
        while (this.buffer.length) {
          const event = this.buffer.shift()!;
          yield event;
          if (event.t !== 'chunk') return;
        }
        if (this.closed) return;
        await new Promise<void>((r) => (this.notify = r));
        this.notify = undefined;
      }
    } finally {
      this.close();
    }
  }
}
