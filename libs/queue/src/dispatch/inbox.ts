import { Logger } from '@nestjs/common';
import type IORedis from 'ioredis';
import { type ChatJobResult, type ChatStreamEvent, type InboxEntry, SwitchyardError, decodeWireError, internalFailure } from '@app/contracts';
import type { ResultWaiters } from './result-waiters';

// Bounded, so closing waits at most this long for the pending read.
const BLOCK_MS = 1_000;
const BATCH = 1_000;

/**
 * This gateway process's inbox (`<prefix>:inbox:<gatewayId>`): ONE Redis Stream that workers
 * append its calls' stream events and outcomes to, read by ONE blocking `XREAD` loop. Each entry
 * goes to whoever waits for its call: stream events to the call's subscriber, the outcome to its
 * waiter. What was read is deleted from the inbox by the next read: its `XDEL` goes in the same
 * write as that `XREAD`, right after the batch was handed on.
 */
export class Inbox {
  private readonly logger = new Logger(Inbox.name);
  private readonly subscribers = new Map<string, (events: ChatStreamEvent[]) => void>();
  private lastId = '0';
  private readerClientId?: number;
  private running = true;
  private loop?: Promise<void>;
  /** Ids of entries handed on and not deleted yet. */
  private read: string[] = [];

  constructor(
    readonly key: string,
    private readonly blocking: IORedis,
    private readonly control: IORedis,
    private readonly waiters: ResultWaiters,
  ) {}

  start(): void {
    this.blocking.on('reconnecting', () => (this.readerClientId = undefined));
    this.loop = this.run();
  }

  /** Hands each batch of the call's stream events, in order, to `deliver` until {@link unsubscribe}. */
  subscribe(queue: string, callId: string, deliver: (events: ChatStreamEvent[]) => void): void {
    this.subscribers.set(`${queue}:${callId}`, deliver);
  }

  unsubscribe(queue: string, callId: string): void {
    this.subscribers.delete(`${queue}:${callId}`);
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.readerClientId !== undefined) await this.control.client('UNBLOCK', this.readerClientId).catch(() => undefined);
    await this.loop;
    if (this.read.length) await this.control.xdel(this.key, ...this.read).catch(() => undefined);
  }

  /** Hands a batch of entries, in order, to their calls; entries of calls nobody here waits for are dropped. */
  deliver(entries: InboxEntry[]): void {
    let events: ChatStreamEvent[] = [];
    let eventsOf: string | undefined;
    const flushEvents = () => {
      if (eventsOf && events.length) this.subscribers.get(eventsOf)?.(events);
      events = [];
    };
    for (const entry of entries) {
      try {
        const call = `${entry.queue}:${entry.callId}`;
        if (entry.kind === 'e') {
          if (call !== eventsOf) flushEvents();
          eventsOf = call;
          if (this.subscribers.has(call)) events.push(JSON.parse(entry.data) as ChatStreamEvent);
          continue;
        }
        flushEvents();
        eventsOf = undefined;
        if (entry.kind === 'r') {
          const result = JSON.parse(entry.data) as ChatJobResult;
          this.waiters.settle(entry.queue, entry.callId, (w) => w.resolve(result));
        } else {
          const error = failureToError(entry.data);
          this.waiters.settle(entry.queue, entry.callId, (w) => w.reject(error));
        }
      } catch (err) {
        // Not what a worker writes: that call ends at its deadline; the others are unaffected.
        this.logger.warn(`inbox entry of ${entry.callId} could not be read: ${(err as Error).message}`);
      }
    }
    flushEvents();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        // Sent together with the first read (no extra round trip), and again after a failure: a reconnect gives the connection a new id.
        const clientId =
          this.readerClientId === undefined
            ? this.blocking.client('ID').then((id) => {
                this.readerClientId = id;
              })
            : undefined;
        const [, reply] = await Promise.all([clientId, this.nextBatch()]);
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        this.lastId = entries[entries.length - 1][0];
        this.read = entries.map(([id]) => id);
        this.deliver(entries.map(([, fields]) => parseEntry(fields)).filter((e): e is InboxEntry => e !== undefined));
      } catch (err) {
        if (!this.running) break;
        this.readerClientId = undefined;
        // Redis unreachable: the calls waiting here fail by their own deadlines; retry calmly.
        this.logger.warn(`inbox read failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** The next entries after `lastId`; the `XDEL` of those already handed on goes in the same write (its failure is of no matter). */
  private async nextBatch(): Promise<XReadReply> {
    const read = ['COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.key, this.lastId] as const;
    if (this.read.length === 0) return this.blocking.xread(...read);
    const results = await this.blocking
      .pipeline()
      .xdel(this.key, ...this.read)
      .xread(...read)
      .exec();
    this.read = [];
    const [err, reply] = results?.[1] ?? [new Error('no reply to XREAD'), null];
    if (err) throw err;
    return reply as XReadReply;
  }
}

type XReadReply = [string, [string, string[]][]][] | null;

function parseEntry(fields: string[]): InboxEntry | undefined {
  const entry: Partial<Record<string, string>> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
  const { q, c, t, d } = entry;
  if (q === undefined || c === undefined || d === undefined || (t !== 'e' && t !== 'r' && t !== 'f')) return undefined;
  return { queue: q, callId: c, kind: t, data: d };
}

/** A job's failure as its worker encoded it, else (not a worker-encoded error) a plain 502. */
export function failureToError(reason: string | undefined): SwitchyardError {
  const wire = decodeWireError(reason);
  if (wire) return SwitchyardError.fromWire(wire);
  return internalFailure('upstream_error', 'the worker could not complete the call', reason ?? 'unknown reason');
}
