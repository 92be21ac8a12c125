import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ChatJobResult, SwitchyardError, asSwitchyardError } from '@app/contracts';
import { GatewayMetrics } from '@app/observability';
import { GatewayDrain } from '../lifecycle/gateway-drain.service';
import type { Admission } from '../limits/key-limits.service';
import { refusedBeforeUpstream } from '../routing/failure-policy';
import type { Attempt } from '../routing/router.service';
import { type CallOutcome, SpendService } from '../spend/spend.service';
import type { ModelCall } from './model-call';
import type { StreamDelivery } from './stream-delivery';

/** For a call refused before the key's limits were consulted. */
export const NOT_ADMITTED: Admission = { headers: {}, release: async () => undefined };

/** How long a stream's settlement waits, once its job has ended, for the relay to finish counting what it delivered. */
const DELIVERY_WAIT_MS = 10_000;

type Outcome = Pick<CallOutcome, 'usage' | 'status' | 'httpStatus' | 'errorCode'> & { servedBy?: Attempt };

/**
 * Where every call ends: its spend log row, its metrics, the request log's facts, and its key's
 * slot given back with what it used. Never throws.
 */
@Injectable()
export class CallLedger {
  private readonly logger = new Logger(CallLedger.name);

  constructor(
    private readonly spend: SpendService,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    private readonly drain: GatewayDrain,
  ) {}

  /** An answered call; returns its cost (USD), for the answer's `x-litellm-response-cost`. */
  succeeded(call: ModelCall<{ model: string }>, admission: Admission, servedBy: Attempt, usage: CallOutcome['usage']): number {
    return this.finish(call, admission, { servedBy, usage, status: 'success', httpStatus: 200 });
  }

  /** A call that ended in `error` before any answer: a refused one gives its key's request back. */
  failed(call: ModelCall<{ model: string }>, admission: Admission, error: SwitchyardError, servedBy?: Attempt): void {
    this.finish(call, admission, { servedBy, usage: null, status: 'failure', httpStatus: error.status, errorCode: error.code }, refusedBeforeUpstream(error));
  }

  /** A stream's first chunk is on its way to the client. */
  firstChunk(call: ModelCall<{ model: string }>): void {
    this.metrics.firstChunk(call.request.model, (Date.now() - call.startedAt) / 1000);
  }

  /**
   * Records a stream once its job has ended, with the usage it reported (a cancelled or
   * broken-off one: what it generated); without that (cut off at this gateway's deadline, its
   * worker gone) with what the client was sent, estimated. A stopping gateway waits for it.
   */
  settleStream<TRequest extends { model: string }>(
    call: ModelCall<TRequest>,
    admission: Admission,
    attempt: Attempt,
    result: Promise<ChatJobResult | SwitchyardError>,
    done: (e?: SwitchyardError) => void,
    delivery?: StreamDelivery,
  ): void {
    const settled = this.drain.hold();
    void (async () => {
      const outcome = await result.catch((err: unknown) => asSwitchyardError(err));
      let usage = outcome.usage ?? null;
      if (!usage && delivery) {
        await delivery.stopped(DELIVERY_WAIT_MS);
        usage = delivery.usage((chars) => call.operation.estimatedUsage(call.request, chars));
      }
      if (outcome instanceof SwitchyardError) {
        // Failed mid-answer or cut off at its deadline: logged with its own status (e.g. 502, 504).
        done(outcome);
        this.finish(call, admission, { servedBy: attempt, usage, status: 'failure', httpStatus: outcome.status, errorCode: outcome.code });
        return;
      }
      done();
      this.finish(call, admission, { servedBy: attempt, usage, status: outcome.cancelled ? 'cancelled' : 'success', httpStatus: 200 });
    })().finally(settled);
  }

  private finish(call: ModelCall<{ model: string }>, admission: Admission, outcome: Outcome, refund = false): number {
    try {
      const used = this.spend.record({
        ...outcome,
        requestId: call.requestId,
        api: call.api,
        auth: call.auth,
        modelGroup: call.request.model,
        stream: call.stream,
        startedAt: call.startedAt,
        tags: call.hints.tags,
      });
      void admission.release({ ...used, refund });
      const provider = outcome.servedBy?.deployment.provider ?? '';
      const promptTokens = outcome.usage?.prompt_tokens ?? 0;
      const completionTokens = outcome.usage?.completion_tokens ?? 0;
      this.metrics.chatCall({ model: call.request.model, provider, outcome: outcome.status, promptTokens, completionTokens, cost: used.cost });
      Object.assign(call.facts, {
        provider: provider || undefined,
        deployment: outcome.servedBy?.deployment.id,
        ...(outcome.usage ? { promptTokens, completionTokens } : {}),
      });
      return used.cost;
    } catch (err) {
      this.logger.error(`could not record the spend of request ${call.requestId}: ${(err as Error).message}`);
      return 0;
    }
  }
}
