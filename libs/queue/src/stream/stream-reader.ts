import { Logger } from '@nestjs/common';
import type IORedis from 'ioredis';
import type { ChatStreamEvent } from '@app/contracts';

interface Subscription {
  lastId: string;
  deliver(events: ChatStreamEvent[]): void;
}

// Bounded, so a subscription whose unblock raced the read waits at most this long.
const BLOCK_MS = 1_000;
const BATCH = 500;

/**
 * Reads every active call's stream for this gateway process over ONE blocking connection:
 * a single `XREAD BLOCK` over all subscribed keys. A new subscription interrupts the
 * pending read (`CLIENT UNBLOCK`) so its key is included at once.
 */
export class StreamReader {
  private readonly logger = new Logger(StreamReader.name);
  private readonly subscriptions = new Map<string, Subscription>();
  private readerClientId?: number;
  private wake?: () => void;
  private running = true;
  private loop?: Promise<void>;

  constructor(
    private readonly blocking: IORedis,
    private readonly control: IORedis,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Calls `deliver` with each batch of new events of `key`, in order, until `unsubscribe`. */
  subscribe(key: string, deliver: (events: ChatStreamEvent[]) => void): void {
    this.subscriptions.set(key, { lastId: '0', deliver });
    if (this.wake) {
      this.wake();
    } else if (this.readerClientId !== undefined) {
      this.control.client('UNBLOCK', this.readerClientId).catch(() => undefined);
    }
  }

  unsubscribe(key: string): void {
    this.subscriptions.delete(key);
  }

  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    if (this.readerClientId !== undefined) await this.control.client('UNBLOCK', this.readerClientId).catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.subscriptions.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const keys = [...this.subscriptions.keys()];
      const ids = keys.map((k) => this.subscriptions.get(k)!.lastId);
      try {
        // Sent together with the read (no extra round trip); a reconnect gives the connection a new id.
        const clientId = this.blocking.client('ID').then((id) => {
          this.readerClientId = id;
        });
        const read = this.blocking.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids);
        const [, reply] = (await Promise.all([clientId, read])) as [void, [string, [string, string[]][]][] | null];
        for (const [key, entries] of reply ?? []) {
          const subscription = this.subscriptions.get(key);
          if (!subscription || entries.length === 0) continue;
          subscription.lastId = entries[entries.length - 1][0];
          subscription.deliver(entries.map(([, fields]) => JSON.parse(fields[1]) as ChatStreamEvent));
        }
      } catch (err) {
        if (!this.running) break;
        // Redis unreachable: the calls waiting here fail by their own deadlines; retry calmly.
        this.logger.warn(`stream read failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}
