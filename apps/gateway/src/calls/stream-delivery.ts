import type { ChatStreamEvent, CompletionUsage } from '@app/contracts';
import { chunkChars } from '@app/queue';

/**
 * What a stream handed on to its client, counted as the relay reads its events: the chunks and
 * their characters, and the usage its `end` or mid-stream `error` event carried. A call whose job
 * outcome brings no usage (cut off at the gateway's deadline, its worker gone, …) is billed by this.
 */
export class StreamDelivery {
  private chunks = 0;
  private chars = 0;
  private reported: CompletionUsage | null = null;
  private markStopped!: () => void;
  private readonly stoppedReading = new Promise<void>((resolve) => (this.markStopped = resolve));

  /** `onFirstChunk` runs as the first chunk is handed on to the client. */
  constructor(private readonly onFirstChunk: () => void = () => undefined) {}

  /** The call's events, `first` already read, counted on their way to the relay. */
  async *relay(first: IteratorResult<ChatStreamEvent>, rest: AsyncIterator<ChatStreamEvent>): AsyncGenerator<ChatStreamEvent> {
    try {
      if (first.done) return;
      this.count(first.value);
      yield first.value;
      for (let next = await rest.next(); !next.done; next = await rest.next()) {
        this.count(next.value);
        yield next.value;
      }
    } finally {
      this.markStopped();
      await rest.return?.();
    }
  }

  /** Resolves once the relay stopped reading, however it stopped, or after `maxWaitMs`. */
  stopped(maxWaitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs).unref()));
    return Promise.race([this.stoppedReading, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Usage to bill when the job reported none: what the stream's last event carried, else the
   * prompt estimate and the characters delivered / 4 (marked `estimated`); null when nothing went out.
   */
  usage(estimate: (deliveredChars: number) => CompletionUsage): CompletionUsage | null {
    if (this.reported) return this.reported;
    return this.chunks > 0 ? estimate(this.chars) : null;
  }

  private count(event: ChatStreamEvent): void {
    if (event.t === 'chunk') {
      if (this.chunks === 0) this.onFirstChunk();
      this.chunks++;
      this.chars += chunkChars(event.chunk);
    } else {
      this.reported = (event.t === 'end' ? event.usage : event.error.usage) ?? null;
    }
  }
}
