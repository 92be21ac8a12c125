/**
 * Streamed answers read as a client reads them: server-sent events with `eventsource-parser` (the
 * parser the EventSource polyfills use), Ollama's NDJSON line by line.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type SseEvent = EventSourceMessage;

/** A whole SSE body: its events, its comments (`: ping`), and the lines SSE does not know or forbids. */
export interface SseBody {
  events: SseEvent[];
  comments: string[];
  /** `retry:` values and the lines the parser refused (unknown fields, bad retry values). */
  problems: string[];
}

/** The events of a complete SSE body, in order. */
export function parseSse(text: string): SseBody {
  const body: SseBody = { events: [], comments: [], problems: [] };
  const parser = createParser({
    onEvent: (event) => body.events.push(event),
    onComment: (comment) => body.comments.push(comment),
    onRetry: (retry) => body.problems.push(`retry: ${retry}`),
    onError: (error) => body.problems.push(error.line ?? error.message),
  });
  parser.feed(text);
  return body;
}

/** The events of a streamed SSE body (a fetch or undici body) as they arrive; an event cut off by the end of the body is dropped. */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const arrived: SseEvent[] = [];
  const parser = createParser({ onEvent: (event) => arrived.push(event) });
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    yield* arrived.splice(0);
  }
  parser.feed(decoder.decode());
  yield* arrived.splice(0);
}

/** The JSON objects of an OpenAI stream's data events, without the final `[DONE]`. */
export function openaiChunks(events: SseEvent[]): any[] {
  return events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
}

/** The lines of a streamed body as they arrive (`\n` or `\r\n`), the last one even without its newline. */
export async function* ndjsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const bytes of body) {
    const lines = (rest + decoder.decode(bytes, { stream: true })).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  rest += decoder.decode();
  if (rest) yield rest;
}
