import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CALL_SECONDS, WAIT_SECONDS } from './metrics-registry';

export interface HttpRequestSample {
  method: string;
  /** The route's pattern (`/key/:key/regenerate`), never the raw path. */
  route: string;
  /** A configured model name, or '' (any other value would let clients create series at will). */
  model: string;
  status: number;
  seconds: number;
}

export interface ChatCallSample {
  model: string;
  /** '' when no deployment was tried. */
  provider: string;
  outcome: 'success' | 'failure' | 'cancelled';
  promptTokens: number;
  completionTokens: number;
  /** USD. */
  cost: number;
}

/** The gateway's metrics, on its own registry. Everything is counted in memory; nothing here touches Redis or Postgres per call. */
export class GatewayMetrics {
  private readonly requests: Counter<'method' | 'route' | 'model' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'model'>;
  readonly inFlight: Gauge;
  private readonly calls: Counter<'model' | 'provider' | 'outcome'>;
  private readonly firstToken: Histogram<'model'>;
  private readonly tokens: Counter<'model' | 'provider' | 'type'>;
  private readonly spend: Counter<'model' | 'provider'>;
  private readonly fallbacks: Counter<'model'>;
  private readonly keyLookups: Counter<'result'>;
  private readonly keyQueries: Counter;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'switchyard_http_requests_total',
      help: 'HTTP requests answered, by route pattern, model (chat routes) and status',
      labelNames: ['method', 'route', 'model', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Time from receiving a request to the last byte of its answer (a stream: its end)',
      labelNames: ['method', 'route', 'model'],
      buckets: CALL_SECONDS,
      registers,
    });
    this.inFlight = new Gauge({ name: 'switchyard_http_requests_in_flight', help: 'HTTP requests being answered now', registers });
    this.calls = new Counter({
      name: 'switchyard_chat_calls_total',
      help: 'Chat calls that ended, by model, provider that served (or failed) last, and outcome (a stream that broke off is a failure)',
      labelNames: ['model', 'provider', 'outcome'],
      registers,
    });
    this.firstToken = new Histogram({
      name: 'switchyard_chat_time_to_first_token_seconds',
      help: 'Streams: time from receiving the request to sending its first chunk (queue wait and upstream included)',
      labelNames: ['model'],
      buckets: WAIT_SECONDS,
      registers,
    });
    this.tokens = new Counter({
      name: 'switchyard_chat_tokens_total',
      help: 'Tokens the upstreams reported, by type: prompt (in) or completion (out)',
      labelNames: ['model', 'provider', 'type'],
      registers,
    });
    this.spend = new Counter({
      name: 'switchyard_chat_spend_usd_total',
      help: 'Cost of chat calls in USD, as recorded in the spend log',
      labelNames: ['model', 'provider'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'switchyard_chat_fallbacks_total',
      help: 'Times a chat call moved on to another deployment after one failed',
      labelNames: ['model'],
      registers,
    });
    this.keyLookups = new Counter({
      name: 'switchyard_key_cache_lookups_total',
      help: 'Virtual key lookups: hit (a key, from memory), unknown (no such key, from memory) or miss (Postgres asked)',
      labelNames: ['result'],
      registers,
    });
    this.keyQueries = new Counter({
      name: 'switchyard_key_cache_queries_total',
      help: 'Postgres queries made for key lookups; one query serves every lookup that missed while the previous ones ran',
      registers,
    });
  }

  httpRequest(sample: HttpRequestSample): void {
    const { method, route, model } = sample;
    this.requests.inc({ method, route, model, status: String(sample.status) });
    this.duration.observe({ method, route, model }, sample.seconds);
  }

  chatCall(sample: ChatCallSample): void {
    const { model, provider } = sample;
    this.calls.inc({ model, provider, outcome: sample.outcome });
    if (sample.promptTokens > 0) this.tokens.inc({ model, provider, type: 'prompt' }, sample.promptTokens);
    if (sample.completionTokens > 0) this.tokens.inc({ model, provider, type: 'completion' }, sample.completionTokens);
    if (sample.cost > 0) this.spend.inc({ model, provider }, sample.cost);
  }

  firstChunk(model: string, seconds: number): void {
    this.firstToken.observe({ model }, seconds);
  }

  fallback(model: string): void {
    this.fallbacks.inc({ model });
  }

  keyLookup(result: 'hit' | 'unknown' | 'miss'): void {
    this.keyLookups.inc({ result });
  }

  keyQuery(): void {
    this.keyQueries.inc();
  }
}
