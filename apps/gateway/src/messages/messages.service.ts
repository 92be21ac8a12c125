import { Injectable } from '@nestjs/common';
import { SwitchyardError } from '@app/contracts';
import { estimatePromptTokens } from '@app/queue';
import type { AuthContext } from '../auth/auth-context';
import { AttemptLoop } from '../calls/attempt-loop.service';
import { CallPlanner } from '../calls/call-planner.service';
import { type CallIds, servedHeaders } from '../calls/model-call';
import type { HangUp, SseFrame } from '../calls/sse-response';
import { parseBody } from '../http/parse-body';
import type { RequestFacts } from '../http/request-facts';
import { type AnthropicMessage, toAnthropicMessage } from './messages-answer.mapper';
import { MESSAGES_OPERATION } from './messages-operation';
import { promptOf, toChatRequest } from './messages-request.mapper';
import { countTokensRequestSchema, messagesRequestSchema } from './messages-request.schema';
import { messagesFrames } from './messages-stream';

/** A Messages call's answer: an Anthropic message, or the frames of its stream, with the headers that go with either. */
export type MessagesAnswer =
  { headers: Record<string, string>; message: AnthropicMessage } | { headers: Record<string, string>; frames: AsyncIterable<SseFrame> };

/**
 * Anthropic's Messages API as a front door to chat: the body is translated to a chat request,
 * which takes the same way as any chat call (admission, the backend's queue with fallbacks, spend
 * logged as `messages`), and the chat answer is translated back.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly planner: CallPlanner,
    private readonly attempts: AttemptLoop,
  ) {}

  /**
   * Throws the error the client should see (before a stream's first event: its status and JSON
   * body). `hungUp` is the client leaving: it cancels the call wherever it is.
   */
  async handle(auth: AuthContext, body: unknown, ids: CallIds, facts: RequestFacts, hungUp: HangUp): Promise<MessagesAnswer> {
    const request = parseBody(messagesRequestSchema, body);
    const chat = toChatRequest(request);
    const stream = request.stream === true;
    const call = this.planner.open(auth, MESSAGES_OPERATION, chat, ids, facts, { api: 'messages', stream });
    const admission = await this.planner.admit(call);
    const context = { model: request.model, stopSequences: request.stop_sequences ?? [] };
    try {
      if (!stream) {
        const { result, served } = await this.attempts.answer(call, admission);
        if (!result.completion) throw new SwitchyardError('internal_error', 'the worker returned no completion');
        return { headers: { ...admission.headers, ...servedHeaders(served) }, message: toAnthropicMessage(result.completion, context) };
      }
      const { events, served } = await this.attempts.stream(call, admission, hungUp());
      return {
        headers: { ...admission.headers, ...servedHeaders(served) },
        frames: messagesFrames(events, { ...context, requestId: ids.requestId, estimatedInputTokens: estimatePromptTokens(chat) }),
      };
    } catch (err) {
      // A failed call's answer still says where the key stands.
      throw err instanceof SwitchyardError ? err.withHeaders(admission.headers) : err;
    }
  }

  /**
   * `count_tokens`: the prompt's tokens as the shared estimator counts them (characters / 4), for
   * a model this key may use. Nothing is queued, limited or logged as spend.
   */
  countTokens(auth: AuthContext, body: unknown, ids: CallIds, facts: RequestFacts): { input_tokens: number } {
    const request = parseBody(countTokensRequestSchema, body);
    const prompt = promptOf(request);
    this.planner.open(auth, MESSAGES_OPERATION, prompt, ids, facts, { api: 'messages.count_tokens', stream: false });
    return { input_tokens: estimatePromptTokens(prompt) };
  }
}
