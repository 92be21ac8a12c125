import { Injectable } from '@nestjs/common';
import { type ChatJobResult, type ChatStreamEvent, type CompletionRequest, SwitchyardError, type TextCompletion } from '@app/contracts';
import type { AuthContext } from '../auth/auth-context';
import { AttemptLoop } from '../calls/attempt-loop.service';
import { CallPlanner } from '../calls/call-planner.service';
import { type CallIds, servedHeaders } from '../calls/model-call';
import type { HangUp, SseFrame } from '../calls/sse-response';
import { parseBody } from '../http/parse-body';
import type { RequestFacts } from '../http/request-facts';
import { completionFrames } from './completions-frames';
import { COMPLETIONS_OPERATION } from './completions-operation';
import { completionRequestSchema } from './completions-request.schema';

/** A completions call's answer: a `text_completion`, or the frames of its stream, with the headers that go with either. */
export type CompletionsAnswer =
  { headers: Record<string, string>; completion: TextCompletion } | { headers: Record<string, string>; frames: AsyncIterable<SseFrame> };

/** One legacy completions call, from its body to its answer: validation, admission, the queue (with fallbacks), spend. */
@Injectable()
export class CompletionsService {
  constructor(
    private readonly planner: CallPlanner,
    private readonly attempts: AttemptLoop,
  ) {}

  /**
   * Throws the error the client should see (before a stream's first chunk: its status and JSON
   * body). `hungUp` is the client leaving: it cancels the call wherever it is.
   */
  async handle(auth: AuthContext, body: unknown, ids: CallIds, facts: RequestFacts, hungUp: HangUp): Promise<CompletionsAnswer> {
    // `priority` and `metadata` are Switchyard's (and LiteLLM's), not the upstream's: they never leave the gateway.
    const {
      priority,
      metadata: _metadata,
      ...request
    } = parseBody(completionRequestSchema, body) as CompletionRequest & { priority?: number; metadata?: unknown };
    const stream = request.stream === true;
    const call = this.planner.open(auth, COMPLETIONS_OPERATION, request, ids, facts, { api: 'completions', stream, priority });
    const admission = await this.planner.admit(call);
    try {
      if (!stream) {
        const { result, served } = await this.attempts.answer(call, admission);
        return { headers: { ...admission.headers, ...servedHeaders(served) }, completion: { ...textCompletionOf(result), model: request.model } };
      }
      const { events, served } = await this.attempts.stream(call, admission, hungUp());
      const includeUsage = request.stream_options?.include_usage === true;
      return {
        headers: { ...admission.headers, ...servedHeaders(served) },
        // A completions job streams text completion chunks.
        frames: completionFrames(events as AsyncIterable<ChatStreamEvent<unknown>> as AsyncIterable<ChatStreamEvent<TextCompletion>>, {
          model: request.model,
          includeUsage,
          requestId: ids.requestId,
        }),
      };
    } catch (err) {
      // A failed call's answer still says where the key stands.
      throw err instanceof SwitchyardError ? err.withHeaders(admission.headers) : err;
    }
  }
}

/** The text completion a completions job answered with. */
function textCompletionOf(result: ChatJobResult<unknown>): TextCompletion {
  const completion = result.completion as TextCompletion | undefined;
  if (completion?.object !== 'text_completion') throw new SwitchyardError('internal_error', 'the worker returned no text completion');
  return completion;
}
