import { UnrecoverableError } from 'bullmq';
import type IORedis from 'ioredis';
import {
  CHAT_JOB_VERSION,
  type ChatJobPayload,
  type ChatStreamEvent,
  type ChatJobResult,
  type CompletionUsage,
  type OperationChunk,
  SwitchyardError,
  encodeWireError,
  internalFailure,
} from '@app/contracts';
import { chunkChars, estimatedUsage } from '../limits/token-estimate';
import { streamKeys } from '../stream/stream-keys';
import { InboxWriter } from '../stream/inbox-writer';
import { StreamWriter } from '../stream/stream-writer';
import { type FailureLog, logDetail } from './failure-policy';
import { stoppedByWorker } from './running-jobs';

/** One streamed call to publish: the job, its queue, the upstream's chunks, and what stops it. */
export interface StreamToPublish {
  /** `attemptsStarted`: 1 on the job's first run (BullMQ counts every start); unknown is taken for a later one. */
  job: { id?: string; attemptsStarted?: number; data: Pick<ChatJobPayload, 'callId' | 'request' | 'replyTo'> };
  queue: string;
  chunks: () => AsyncIterable<OperationChunk>;
  /** Aborted by the client's cancel, the deadline or a stopping worker. */
  cancelled: AbortSignal;
  /** Cancels the call as the client's cancel notice does (aborts `cancelled` and the upstream call). */
  abort(): void;
  /** Seconds from the start of the call to its first chunk. */
  onFirstChunk?: (seconds: number) => void;
}

/** Where a stream's events go: the gateway's inbox, or (gateways that name none) the call's own stream. */
type EventSink = Pick<InboxWriter, 'eventsWritten' | 'flush'> & {
  write(event: ChatStreamEvent<OperationChunk>): void | Promise<void>;
  discard(): void | Promise<void>;
};

/**
 * Writes a streamed call's chunks to its gateway's inbox (`replyTo`) as they arrive, without
 * waiting for each write, then `end` with usage; the job's outcome follows them there (see
 * `QueueConsumer`). A job without `replyTo` writes to its own Redis Stream
 * (`<prefix>:<queue>:events:<callId>`), one write at a time. A failure before the first chunk may be retried; after
 * it, the client already has part of the answer, so the failure is written to the stream and
 * the job ends for good, with what it used.
 *
 * On a job's first run nothing waits before the upstream call: whether the gateway cancelled the
 * call meanwhile (a cancel notice that came before the job ran here) is asked while the upstream
 * call starts, and known before anything is written; a cancelled call's upstream call is aborted.
 * A later run asks first, and also whether an earlier run had begun the stream.
 */
export class StreamPublisher {
  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
    private readonly log: FailureLog,
  ) {}

  async publish(call: StreamToPublish): Promise<ChatJobResult> {
    const { job, queue, cancelled } = call;
    const { callId, request, replyTo } = job.data;
    const started = streamKeys.started(this.prefix, queue, callId);
    const ownStream = streamKeys.events(this.prefix, queue, callId);
    const writer: EventSink = replyTo ? this.inboxWriter(replyTo, queue, callId, started) : new LegacyStreamSink(new StreamWriter(this.redis, ownStream));
    const startedAt = Date.now();
    const done = (usage: CompletionUsage | null, extra: Partial<ChatJobResult> = {}): ChatJobResult => ({
      v: CHAT_JOB_VERSION,
      usage,
      upstreamLatencyMs: Date.now() - startedAt,
      ...extra,
    });
    const cancelledKey = streamKeys.cancelled(this.prefix, queue, callId);
    let markedCancelled: Promise<boolean>;
    if (job.attemptsStarted === 1) {
      markedCancelled = this.redis.exists(cancelledKey).then((n) => n > 0);
      void markedCancelled.then(
        (yes) => {
          if (yes) call.abort();
        },
        () => undefined,
      );
    } else {
      const [[, wasCancelled], [, earlier]] = (await this.redis
        .multi()
        .exists(cancelledKey)
        .exists(replyTo ? started : ownStream)
        .exec()) as [[null, number], [null, number]];
      if (wasCancelled) return done(null, { cancelled: true });
      if (earlier > 0) {
        // A previous attempt died mid-stream; starting over would repeat what the client already has.
        const error = new SwitchyardError('upstream_error', 'the worker serving this stream stopped mid-answer; send the request again');
        await writer.write({ t: 'error', error: error.toWire() });
        await writer.flush();
        throw new UnrecoverableError(encodeWireError(error.toWire()));
      }
      markedCancelled = Promise.resolve(false);
    }

    let usage: CompletionUsage | null = null;
    let generatedChars = 0;
    try {
      for await (const chunk of call.chunks()) {
        if (chunk.choices.length === 0 && chunk.usage) {
          usage = chunk.usage;
          continue;
        }
        generatedChars += chunkChars(chunk);
        if (writer.eventsWritten === 0) {
          // Leaving the loop closes the upstream call.
          if (await markedCancelled) return done(null, { cancelled: true });
          call.onFirstChunk?.((Date.now() - startedAt) / 1000);
        }
        // The inbox takes the event without waiting; the legacy stream waits for each.
        const written = writer.write({ t: 'chunk', chunk });
        if (written) await written;
      }
      if (writer.eventsWritten === 0 && (await markedCancelled)) return done(null, { cancelled: true });
      await writer.write({ t: 'end', usage });
      await writer.flush();
      return done(usage);
    } catch (err) {
      // Cancelled before it began (the marker): nothing was generated for anyone.
      if (writer.eventsWritten === 0 && (await markedCancelled.catch(() => false))) return done(null, { cancelled: true });
      const stopping = stoppedByWorker(cancelled);
      // The upstream reports usage at the end: what a client that left did receive is estimated, so it is still billed.
      if (cancelled.aborted && !stopping) {
        await Promise.resolve()
          .then(() => writer.discard())
          .catch(() => undefined);
        return done(usage ?? estimatedUsage(request, generatedChars), { cancelled: true });
      }
      // Nothing sent yet: the call can start over elsewhere (a stopping worker puts it back).
      if (writer.eventsWritten === 0) throw err;
      const error = stopping
        ? new SwitchyardError('upstream_error', 'the worker serving this stream stopped mid-answer; send the request again')
        : err instanceof SwitchyardError
          ? err
          : internalFailure('internal_error', 'the worker failed while streaming the answer', err);
      logDetail(this.log, job, error);
      // Part of the answer went out before the deadline, a stopping worker or the upstream cut it: billed like a cancelled one.
      const wire = { ...error.toWire(), usage: usage ?? estimatedUsage(request, generatedChars) };
      try {
        await writer.write({ t: 'error', error: wire });
        await writer.flush();
      } catch {
        // Redis away: the gateway ends the call at its deadline.
      }
      throw new UnrecoverableError(encodeWireError(wire));
    }
  }

  /** A writer of the call's events to the inbox `replyTo`; `QueueConsumer` sends the outcome after them. */
  inboxWriter(replyTo: string, queue: string, callId: string, started?: string): InboxWriter {
    return new InboxWriter(this.redis, replyTo, queue, callId, started);
  }
}

/** The call's own stream, written one event at a time, for gateways that name no inbox. */
class LegacyStreamSink implements EventSink {
  constructor(private readonly writer: StreamWriter) {}
  get eventsWritten(): number {
    return this.writer.eventsWritten;
  }
  write(event: ChatStreamEvent<OperationChunk>): Promise<void> {
    return this.writer.write(event);
  }
  discard(): Promise<void> {
    return this.writer.discard();
  }
  async flush(): Promise<void> {}
}
