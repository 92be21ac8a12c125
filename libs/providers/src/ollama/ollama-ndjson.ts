import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamLines } from '../http/upstream-http.client';

/** Turns the parsed lines of an Ollama stream into the chunks an operation hands on. */
export interface NdjsonChunkMapper<TChunk> {
  push(part: unknown): TChunk[];
  /** The body ended; throws when it ended before the final (`done: true`) line. */
  end(): TChunk[];
  /** The final line has been read. */
  readonly done: boolean;
}

/**
 * An Ollama NDJSON stream (`/api/chat`, `/api/generate`) as chunks: each line parsed (a line that
 * is not JSON is a malformed answer, `what` naming it) and mapped. After the final line the rest of
 * the body is still read, so the connection can be reused; the stream is closed however it ends.
 */
export async function* readNdjson<TChunk>(
  lines: UpstreamLines,
  chunks: NdjsonChunkMapper<TChunk>,
  provider: string,
  what: string,
): AsyncGenerator<TChunk, void, undefined> {
  try {
    for await (const line of lines) {
      if (line.trim() === '' || chunks.done) continue;
      let part: unknown;
      try {
        part = JSON.parse(line);
      } catch {
        throw malformedAnswerError(provider, what);
      }
      yield* chunks.push(part);
    }
    yield* chunks.end();
  } finally {
    lines.close();
  }
}
