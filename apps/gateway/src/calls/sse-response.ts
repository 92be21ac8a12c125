import type { Request, Response } from 'express';

/** One server-sent event: `event:` (omitted for OpenAI's streams) and `data:`. */
export interface SseFrame {
  event?: string;
  data: string;
}

/** The call's one hang-up signal, made when first asked for: only a streamed call needs one. */
export type HangUp = () => AbortSignal;

/**
 * Aborted when the client goes away before its answer has been written: the call's one
 * hang-up signal, which cancels the call wherever it is (queued, running, streaming). Made on
 * first use (a non-streamed call never makes one); if the client has gone by then, it is
 * aborted from the start.
 */
export function clientGone(res: Response): HangUp {
  let signal: AbortSignal | undefined;
  return () => (signal ??= hangUpSignal(res));
}

function hangUpSignal(res: Response): AbortSignal {
  const gone = new AbortController();
  const closed = () => {
    if (!res.writableFinished) gone.abort();
  };
  if (res.destroyed) closed();
  else res.on('close', closed);
  return gone.signal;
}

/** A frame as it goes on the wire: `event:` only where the frame names one. */
function sseText({ event, data }: SseFrame): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

/**
 * Writes a stream of events to the client as `text/event-stream`, each flushed as it comes
 * (`X-Accel-Buffering: no`, no delay); keep-alives hold the connection open through silences of
 * `keepAliveMs`: a `: ping` comment, or `keepAliveFrame` for an API that has its own (Anthropic's
 * `ping` event). Stops reading when the client is gone; ends the response however the frames end.
 */
export async function sendSse(req: Request, res: Response, frames: AsyncIterable<SseFrame>, keepAliveMs: number, keepAliveFrame?: SseFrame): Promise<void> {
  const iterator = frames[Symbol.asyncIterator]();
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('connection', 'keep-alive');
  res.setHeader('x-accel-buffering', 'no');
  req.socket.setNoDelay(true);
  // The headers wait until the end of this turn of the event loop, so the frames ready by then (the
  // first one is, as a rule) go out with them in one write; later frames are written as Node
  // writes a response: what is written in one turn, together.
  res.cork();
  res.flushHeaders();
  process.nextTick(() => res.uncork());

  let lastWrite = Date.now();
  const ping = setInterval(() => {
    if (Date.now() - lastWrite < keepAliveMs) return;
    res.write(keepAliveFrame ? sseText(keepAliveFrame) : ': ping\n\n');
    lastWrite = Date.now();
  }, keepAliveMs / 2);
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      if (res.destroyed) return;
      res.write(sseText(next.value));
      lastWrite = Date.now();
    }
  } finally {
    clearInterval(ping);
    await iterator.return?.(undefined);
    if (!res.writableEnded) res.end();
  }
}
