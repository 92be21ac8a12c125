import { Injectable } from '@nestjs/common';
import type { CompletionUsage } from '@app/contracts';
import { type Deployment, costOf, priceOf } from '@app/config';
import type { AuthContext } from '../auth/auth-context';
import { SpendLogWriter } from './spend-log.writer';

export interface CallOutcome {
  requestId: string;
  auth: AuthContext;
  /** The `model` the client asked for. */
  modelGroup: string;
  /** What served it (or failed last); absent when no deployment was tried. */
  servedBy?: { modelGroup: string; deployment: Deployment };
  usage: CompletionUsage | null | undefined;
  status: 'success' | 'failure' | 'cancelled';
  httpStatus: number;
  errorCode?: string;
  stream: boolean;
  startedAt: number;
  /** The API the client called: `chat_completions`, `responses`, `messages`, … */
  api?: string;
  /** The call's own tags (`x-litellm-tags`); the key's are added. */
  tags?: readonly string[];
}

/** Prices calls and hands them to the spend log. */
@Injectable()
export class SpendService {
  constructor(private readonly writer: SpendLogWriter) {}

  /** Logs the call (batched) and returns its cost and tokens. */
  record(outcome: CallOutcome): { cost: number; tokens: number } {
    const { servedBy, usage } = outcome;
    const cost = servedBy ? costOf(priceOf(servedBy.deployment), usage) : 0;
    const tokens = usage ? (usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0)) : 0;
    const now = Date.now();
    this.writer.push({
      requestId: outcome.requestId,
      keyToken: outcome.auth.kind === 'virtual' ? outcome.auth.key.token : null,
      keyId: outcome.auth.kind === 'virtual' ? outcome.auth.key.id : null,
      keyAlias: outcome.auth.kind === 'virtual' ? outcome.auth.key.keyAlias : null,
      modelGroup: outcome.modelGroup,
      servedModelGroup: servedBy?.modelGroup ?? null,
      deploymentId: servedBy?.deployment.id ?? null,
      provider: servedBy?.deployment.provider ?? null,
      upstreamModel: servedBy?.deployment.upstreamModel ?? null,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
      totalTokens: tokens,
      spend: cost,
      latencyMs: now - outcome.startedAt,
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      errorCode: outcome.errorCode ?? null,
      stream: outcome.stream,
      api: outcome.api ?? null,
      tags: [...new Set([...(outcome.auth.kind === 'virtual' ? outcome.auth.key.tags : []), ...(outcome.tags ?? [])])],
      startTime: new Date(outcome.startedAt),
      endTime: new Date(now),
    });
    return { cost, tokens };
  }
}
