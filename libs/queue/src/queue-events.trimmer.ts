import type IORedis from 'ioredis';
import { RETENTION } from './chat-job.options';

// Redis's clock decides what is old, as it made the stream ids: no skew with this process's clock.
const TRIM_OLDER_THAN = `
local now = redis.call('TIME')
local minId = (tonumber(now[1]) - tonumber(ARGV[1])) * 1000 + math.floor(tonumber(now[2]) / 1000)
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', minId))
`;

/**
 * Trims the event streams of some queues to their last `RETENTION.queueEventsSeconds`, every
 * `RETENTION.trimEveryMs`. BullMQ bounds them by length only, so on a quiet queue a completion
 * (an answer) would stay for good. Every app that opens a queue runs one: trimming twice is harmless.
 */
export class QueueEventsTrimmer {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: IORedis,
    private readonly eventStreams: string[],
  ) {}

  /** Trims this stream too from the next turn on (a queue opened after the start). */
  watch(eventStream: string): void {
    if (!this.eventStreams.includes(eventStream)) this.eventStreams.push(eventStream);
  }

  start(): void {
    this.timer = setInterval(() => void this.trim(), RETENTION.trimEveryMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Removes the events older than `seconds`; resolves with how many went. */
  async trim(seconds: number = RETENTION.queueEventsSeconds): Promise<number> {
    let removed = 0;
    // Redis away: the next turn trims (a command now would wait in the connection's queue).
    if (this.redis.status !== 'ready') return removed;
    for (const key of this.eventStreams) {
      removed += await this.redis.eval(TRIM_OLDER_THAN, 1, key, seconds).then(Number, () => 0);
    }
    return removed;
  }
}
