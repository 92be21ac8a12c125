import type { Request, Response } from 'express';
import { type ChatCompletionChunk, type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import type { ChatStreamHandle } from '@app/queue';
import { errorBody } from '../http/render-error';

export interface RelayOptions {
  /** The name the client asked for; every chunk carries it as `model`. */
  model: string;
  includeUsage: boolean;
  /** A `: ping` comment after this much silence keeps proxies from closing the connection. */
  keepAliveMs: number;
  /** Called once, as the first chunk goes out. */
  onFirstChunk?: () => void;
}

/**
 * Relays a streamed call to the client as OpenAI server-sent events: `data: {chunk}` lines,
 * then `data: [DONE]`. An error before the first chunk is thrown (the client gets a normal
 * JSON error with its status); an error after it is sent as `data: {"error": …}` and the
 * stream ends without `[DONE]`. A client that hangs up cancels the call.
 */
export async function relayChatStream(handle: ChatStreamHandle, req: Request, res: Response, options: RelayOptions): Promise<void> {
  res.on('close', () => {
    if (!res.writableFinished) void handle.cancel();
  });
  const events = handle.events[Symbol.asyncIterator]();
  try {
    await relay(events, req, res, options);
  } finally {
    // Ends the call's subscription to its Redis Stream and deletes the stream, however the relay ended.
    await events.return?.(undefined);
  }
}

async function relay(events: AsyncIterator<ChatStreamEvent>, req: Request, res: Response, options: RelayOptions): Promise<void> {
  const first = await events.next();
  if (first.done) throw new SwitchyardError('upstream_error', 'the answer stream ended before its first chunk');
  if (first.value.t === 'error') throw SwitchyardError.fromWire(first.value.error);

  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-transform');
  res.setHeader('connection', 'keep-alive');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  options.onFirstChunk?.();

  let lastWrite = Date.now();
  const ping = setInterval(() => {
    if (Date.now() - lastWrite < options.keepAliveMs) return;
    res.write(': ping\n\n');
    lastWrite = Date.now();
  }, options.keepAliveMs / 2);
  const send = (data: unknown) => {
    res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    lastWrite = Date.now();
  };

  const shape = chunkShaper(options);
  try {
    for (let event: ChatStreamEvent | undefined = first.value; event; event = await nextEvent(events)) {
      if (res.destroyed) return;
      if (event.t === 'chunk') {
        send(shape.chunk(event.chunk));
      } else if (event.t === 'end') {
        if (options.includeUsage) send(shape.usage(event.usage));
        send('[DONE]');
        return;
      } else {
        send({ error: errorBody(SwitchyardError.fromWire(event.error), req.requestId).error });
        return;
      }
    }
  } finally {
    clearInterval(ping);
    if (!res.writableEnded) res.end();
  }
}

async function nextEvent(events: AsyncIterator<ChatStreamEvent>): Promise<ChatStreamEvent | undefined> {
  const next = await events.next();
  return next.done ? undefined : next.value;
}

/** Gives every chunk the first chunk's id and created, the client's model name, and the usage field the client asked for. */
function chunkShaper(options: RelayOptions) {
  let head: { id: string; created: number } | undefined;
  return {
    chunk(chunk: ChatCompletionChunk): ChatCompletionChunk {
      const first = !head;
      head ??= { id: chunk.id, created: chunk.created };
      const { usage: _usage, ...rest } = chunk;
      const shaped: ChatCompletionChunk = { ...rest, id: head.id, created: head.created, model: options.model };
      if (options.includeUsage) shaped.usage = null;
      if (first && shaped.choices[0] && !shaped.choices[0].delta.role) {
        shaped.choices = [{ ...shaped.choices[0], delta: { role: 'assistant', ...shaped.choices[0].delta } }, ...shaped.choices.slice(1)];
      }
      return shaped;
    },
    usage(usage: ChatCompletionChunk['usage']): ChatCompletionChunk {
      return {
        id: head?.id ?? '',
        object: 'chat.completion.chunk',
        created: head?.created ?? Math.floor(Date.now() / 1000),
        model: options.model,
        choices: [],
        usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      };
    },
  };
}
