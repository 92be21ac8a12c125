import { Injectable } from '@nestjs/common';
import { type ChatJobResult, type CreateEmbeddingResponse, type EmbeddingRequest, SwitchyardError } from '@app/contracts';
import type { AuthContext } from '../auth/auth-context';
import { AttemptLoop } from '../calls/attempt-loop.service';
import { withMetadataTags } from '../calls/call-hints';
import { CallPlanner } from '../calls/call-planner.service';
import { type CallIds, servedHeaders } from '../calls/model-call';
import { parseBody } from '../http/parse-body';
import type { RequestFacts } from '../http/request-facts';
import { EMBEDDINGS_OPERATION } from './embeddings-operation';
import { embeddingsRequestSchema } from './embeddings-request.schema';

/** One embeddings call, from its body to its answer: validation, admission, the queue (with fallbacks), spend. */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly planner: CallPlanner,
    private readonly attempts: AttemptLoop,
  ) {}

  /** Throws the error the client should see. */
  async create(
    auth: AuthContext,
    body: unknown,
    ids: CallIds,
    facts: RequestFacts,
  ): Promise<{ headers: Record<string, string>; answer: CreateEmbeddingResponse }> {
    // `priority` and `metadata` are Switchyard's (and LiteLLM's), not the upstream's: they never leave the gateway.
    const { priority, metadata, ...request } = parseBody(embeddingsRequestSchema, body) as EmbeddingRequest & { priority?: number; metadata?: unknown };
    const tagged = { ...ids, hints: withMetadataTags(ids.hints, metadata) };
    const call = this.planner.open(auth, EMBEDDINGS_OPERATION, request, tagged, facts, { api: 'embeddings', stream: false, priority });
    const admission = await this.planner.admit(call);
    try {
      const { result, served } = await this.attempts.answer(call, admission);
      return { headers: { ...admission.headers, ...servedHeaders(served) }, answer: { ...embeddingsOf(result), model: request.model } };
    } catch (err) {
      // A failed call's answer still says where the key stands.
      throw err instanceof SwitchyardError ? err.withHeaders(admission.headers) : err;
    }
  }
}

/** The embeddings an embeddings job answered with. */
function embeddingsOf(result: ChatJobResult<unknown>): CreateEmbeddingResponse {
  const answer = result.completion as CreateEmbeddingResponse | undefined;
  if (answer?.object !== 'list' || !Array.isArray(answer.data)) throw new SwitchyardError('internal_error', 'the worker returned no embeddings');
  return answer;
}
