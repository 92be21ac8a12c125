import { Injectable } from '@nestjs/common';
import { type ChatCompletion, type ChatCompletionRequest, SwitchyardError } from '@app/contracts';
import type { AuthContext } from '../auth/auth-context';
import { AttemptLoop } from '../calls/attempt-loop.service';
import { withMetadataTags } from '../calls/call-hints';
import { CallPlanner } from '../calls/call-planner.service';
import { type CallIds, servedHeaders } from '../calls/model-call';
import type { HangUp, SseFrame } from '../calls/sse-response';
import { parseBody } from '../http/parse-body';
import type { RequestFacts } from '../http/request-facts';
import { chatFrames } from './chat-frames';
import { CHAT_OPERATION } from './chat-operation';
import { chatRequestSchema } from './chat-request.schema';

/** A chat call's answer: a `chat.completion`, or the frames of its stream, with the headers that go with either. */
export type ChatAnswer = { headers: Record<string, string>; completion: ChatCompletion } | { headers: Record<string, string>; frames: AsyncIterable<SseFrame> };

/** One chat call, from its body to its answer: validation, admission, the queue (with fallbacks), spend. */
@Injectable()
export class ChatService {
  constructor(
    private readonly planner: CallPlanner,
    private readonly attempts: AttemptLoop,
  ) {}

  /**
   * Throws the error the client should see (before a stream's first chunk: its status and JSON
   * body). `hungUp` is the client leaving: it cancels the call wherever it is.
   */
  async handle(auth: AuthContext, body: unknown, ids: CallIds, facts: RequestFacts, hungUp: HangUp): Promise<ChatAnswer> {
    // `priority` and `metadata` are Switchyard's (and LiteLLM's), not the upstream's: they never leave the gateway.
    const { priority, metadata, ...request } = parseBody(chatRequestSchema, body) as ChatCompletionRequest & { priority?: number; metadata?: unknown };
    const stream = request.stream === true;
    const tagged = { ...ids, hints: withMetadataTags(ids.hints, metadata) };
    const call = this.planner.open(auth, CHAT_OPERATION, request, tagged, facts, { api: 'chat_completions', stream, priority });
    const admission = await this.planner.admit(call);
    try {
      if (!stream) {
        const { result, served } = await this.attempts.answer(call, admission);
        if (!result.completion) throw new SwitchyardError('internal_error', 'the worker returned no completion');
        return { headers: { ...admission.headers, ...servedHeaders(served) }, completion: { ...result.completion, model: request.model } };
      }
      const { events, served } = await this.attempts.stream(call, admission, hungUp());
      const includeUsage = request.stream_options?.include_usage === true;
      return {
        headers: { ...admission.headers, ...servedHeaders(served) },
        frames: chatFrames(events, { model: request.model, includeUsage, requestId: ids.requestId }),
      };
    } catch (err) {
      // A failed call's answer still says where the key stands.
      throw err instanceof SwitchyardError ? err.withHeaders(admission.headers) : err;
    }
  }
}
