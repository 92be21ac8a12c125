import { Injectable, Logger } from '@nestjs/common';
import { SwitchyardError } from '@app/contracts';
import type { AuthContext } from '../auth/auth-context';
import { AttemptLoop } from '../calls/attempt-loop.service';
import { CallPlanner } from '../calls/call-planner.service';
import { type CallIds, servedHeaders } from '../calls/model-call';
import type { HangUp, SseFrame } from '../calls/sse-response';
import { CHAT_OPERATION } from '../chat/chat-operation';
import { parseBody } from '../http/parse-body';
import type { RequestFacts } from '../http/request-facts';
import { type ConversationItem, conversationItems } from './response-items';
import { type ResponseObject, newId } from './response-object';
import { ResponseStore } from './response-store.service';
import { ResponseStreamBuilder } from './response-stream-builder';
import { type ResponseSeed, responseFromCompletion } from './responses-answer.mapper';
import { inResponsesTerms } from './responses-errors';
import { responseFrames } from './responses-frames';
import { toChatRequest } from './responses-request.mapper';
import { responsesRequestSchema } from './responses-request.schema';

/** A Responses API call's answer: a Response, or the frames of its stream, with the headers that go with either. */
export type ResponsesAnswer =
  { headers: Record<string, string>; response: ResponseObject } | { headers: Record<string, string>; frames: AsyncIterable<SseFrame> };

/**
 * The Responses API as a front door to chat: each call is a chat job on its backend's queue,
 * through the call path every operation shares (limits, fallbacks, spend as `responses`), its
 * conversation read from and its answer kept in the stored responses.
 */
@Injectable()
export class ResponsesService {
  private readonly logger = new Logger(ResponsesService.name);

  constructor(
    private readonly planner: CallPlanner,
    private readonly attempts: AttemptLoop,
    private readonly store: ResponseStore,
  ) {}

  /**
   * Throws the error the client should see (before a stream's first event: its status and JSON
   * body). `hungUp` is the client leaving: it cancels the call wherever it is.
   */
  async create(auth: AuthContext, body: unknown, ids: CallIds, facts: RequestFacts, hungUp: HangUp): Promise<ResponsesAnswer> {
    const request = parseBody(responsesRequestSchema, body);
    const stream = request.stream === true;
    const seed: ResponseSeed = { id: newId('resp'), createdAt: Math.floor(Date.now() / 1000), request, store: request.store !== false };
    const input = conversationItems(request.input, newId);
    const history = request.previous_response_id ? await this.store.conversation(auth, request.previous_response_id) : [];
    try {
      const chat = toChatRequest(request, [...history, ...input], stream);
      const call = this.planner.open(auth, CHAT_OPERATION, chat, ids, facts, { api: 'responses', stream });
      const admission = await this.planner.admit(call);
      try {
        const keep = (response: ResponseObject) => this.keep(auth, seed, input, response);
        if (!stream) {
          const { result, served } = await this.attempts.answer(call, admission);
          if (!result.completion) throw new SwitchyardError('internal_error', 'the worker returned no completion');
          return { headers: { ...admission.headers, ...servedHeaders(served) }, response: await keep(responseFromCompletion(result.completion, seed, newId)) };
        }
        const { events, served } = await this.attempts.stream(call, admission, hungUp());
        const builder = new ResponseStreamBuilder(seed, newId);
        return { headers: { ...admission.headers, ...servedHeaders(served) }, frames: responseFrames(events, builder, { requestId: ids.requestId, keep }) };
      } catch (err) {
        // A failed call's answer still says where the key stands.
        throw err instanceof SwitchyardError ? err.withHeaders(admission.headers) : err;
      }
    } catch (err) {
      throw inResponsesTerms(err);
    }
  }

  /** A stored Response, as it was answered; 404 when it is not this key's, has expired or never existed. */
  async retrieve(auth: AuthContext, id: string): Promise<ResponseObject> {
    const stored = await this.store.find(auth, id);
    if (!stored) throw notFound(id);
    return stored.response as ResponseObject;
  }

  async delete(auth: AuthContext, id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    if (!(await this.store.delete(auth, id))) throw notFound(id);
    return { id, object: 'response', deleted: true };
  }

  /** The input items a stored Response was given (not those of the responses before it). */
  async inputItems(auth: AuthContext, id: string): Promise<ConversationItem[]> {
    const stored = await this.store.find(auth, id);
    if (!stored) throw notFound(id);
    return stored.input as ConversationItem[];
  }

  /**
   * Keeps a Response that ended, when the client asked for it. An answer that was generated is
   * worth more than its copy: if it cannot be kept (Postgres away), the client still gets it,
   * marked `store: false`.
   */
  private async keep(auth: AuthContext, seed: ResponseSeed, input: ConversationItem[], response: ResponseObject): Promise<ResponseObject> {
    if (!seed.store) return response;
    try {
      await this.store.save(auth, seed.request.previous_response_id ?? null, input, response);
      return response;
    } catch (err) {
      this.logger.warn(`response ${response.id} was answered but could not be stored: ${(err as Error).message}`);
      return { ...response, store: false };
    }
  }
}

function notFound(id: string): SwitchyardError {
  return new SwitchyardError('not_found', `response "${id}" not found`, { param: 'response_id' });
}
