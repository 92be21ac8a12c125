import { type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import type { SseFrame } from '../calls/sse-response';
import { errorBody } from '../http/render-error';
import type { ResponseError, ResponseObject } from './response-object';
import type { ResponseEvent, ResponseStreamBuilder } from './response-stream-builder';

export interface ResponseFramesOptions {
  requestId: string;
  /** Keeps a Response that ended (`store`) and gives it back as it is to be sent: `store: false` when it could not be kept. */
  keep(response: ResponseObject): Promise<ResponseObject>;
}

/**
 * A chat stream as the Responses API streams it: `event:` and `data:` frames, each event with
 * its `sequence_number` from 0, ending with `response.completed` (or `response.incomplete`) once
 * the Response is kept, or `response.failed` when the call breaks off after its first chunk.
 * There is no `[DONE]`.
 */
export async function* responseFrames(
  events: AsyncIterable<ChatStreamEvent>,
  builder: ResponseStreamBuilder,
  options: ResponseFramesOptions,
): AsyncGenerator<SseFrame> {
  let sequence = 0;
  const frame = (event: ResponseEvent): SseFrame => ({ event: event.type, data: JSON.stringify({ ...event, sequence_number: sequence++ }) });
  yield* builder.start().map(frame);
  for await (const event of events) {
    if (event.t === 'chunk') {
      yield* builder.chunk(event.chunk).map(frame);
    } else if (event.t === 'end') {
      const { events: closing, response } = builder.end(event.usage);
      yield* closing.map(frame);
      const kept = await options.keep(response);
      yield frame({ type: kept.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response: kept });
      return;
    } else {
      const error = SwitchyardError.fromWire(event.error);
      yield frame({ type: 'response.failed', response: builder.fail(responseError(error, options.requestId), event.error.usage) });
      return;
    }
  }
  const cut = new SwitchyardError('upstream_error', 'the answer stream ended before the answer did');
  yield frame({ type: 'response.failed', response: builder.fail(responseError(cut, options.requestId), null) });
}

/** A failure as a Response's `error`: OpenAI's codes know a rate limit and a server error. */
export function responseError(error: SwitchyardError, requestId: string): ResponseError {
  return { code: error.status === 429 ? 'rate_limit_exceeded' : 'server_error', message: errorBody(error, requestId).error.message };
}
