import { type ChatCompletionRequest, type ChatJobPayload, type ChatJobResult, type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import { type GatewayConfig, ModelRegistry, parseModelConfig, routerSettingsFrom } from '@app/config';
import type { CallDispatcher, StreamHandle } from '@app/queue';
import type { GatewayMetrics } from '@app/observability';
import type { Admission } from '../limits/key-limits.service';
import type { ModelCatalog } from '../models/model-catalog.service';
import { Router } from '../routing/router.service';
import { CHAT_OPERATION } from '../chat/chat-operation';
import { AttemptLoop } from './attempt-loop.service';
import type { CallLedger } from './call-ledger.service';
import { type ModelCall, servedHeaders } from './model-call';

const CONFIG = `
model_list:
  - {model_name: m, litellm_params: {model: ollama/a, api_base: "http://a:11434"}, model_info: {id: a}}
  - {model_name: m, litellm_params: {model: ollama/b, api_base: "http://b:11434"}, model_info: {id: b}}
  - {model_name: backup, litellm_params: {model: ollama/c, api_base: "http://c:11434"}, model_info: {id: c}}
router_settings: {allowed_fails: 2, fallbacks: [{m: [backup]}]}
`;
const RESULT: ChatJobResult = { v: 2, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, upstreamLatencyMs: 1 };
const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});
const fail = (code: ConstructorParameters<typeof SwitchyardError>[0]) => new SwitchyardError(code, code);

/** What a deployment does with a call in this spec: answer, fail, or stream these events. */
type Script = ChatJobResult | SwitchyardError | ChatStreamEvent[];

function setup(scripts: Record<string, Script>) {
  const file = parseModelConfig(CONFIG, 'config.yaml', { env: {}, needsSecretsOf: [] });
  const models = new ModelRegistry(file.deployments);
  const config = { env: { REQUEST_TIMEOUT: 60 }, router: routerSettingsFrom(file.defaults.router), models, maxQueueDepth: () => 0 } as unknown as GatewayConfig;
  const catalog = { models, spec: () => undefined } as unknown as ModelCatalog;
  const router = new Router(config, catalog);
  const sent: string[] = [];
  const cancelled: string[] = [];
  const scriptOf = (payload: ChatJobPayload) => {
    sent.push(payload.deploymentId);
    return scripts[payload.deploymentId];
  };
  const dispatcher = {
    dispatch: async (_target: unknown, payload: ChatJobPayload) => {
      const script = scriptOf(payload);
      if (script instanceof SwitchyardError) throw script;
      return script as ChatJobResult;
    },
    stream: async (_target: unknown, payload: ChatJobPayload): Promise<StreamHandle> => {
      const script = scriptOf(payload);
      if (script instanceof SwitchyardError) throw script;
      const events = script as ChatStreamEvent[];
      return {
        events: (async function* () {
          yield* events;
        })(),
        result: Promise.resolve(RESULT),
        cancel: async () => void cancelled.push(payload.deploymentId),
      };
    },
  } as unknown as CallDispatcher;
  const ledger = {
    records: [] as Array<[string, string?, string?]>,
    succeeded(_c: unknown, _a: unknown, attempt: { deployment: { id: string } }) {
      this.records.push(['succeeded', attempt.deployment.id]);
      return 0.25;
    },
    failed(_c: unknown, _a: unknown, error: SwitchyardError, attempt?: { deployment: { id: string } }) {
      this.records.push(['failed', attempt?.deployment.id, error.code]);
    },
    settleStream(_c: unknown, _a: unknown, attempt: { deployment: { id: string } }) {
      this.records.push(['settleStream', attempt.deployment.id]);
    },
    firstChunk() {
      this.records.push(['firstChunk']);
    },
  };
  const metrics = {
    fallbacks: 0,
    fallback() {
      this.fallbacks++;
    },
  };
  const loop = new AttemptLoop(config, dispatcher, catalog, router, ledger as unknown as CallLedger, metrics as unknown as GatewayMetrics);
  const call = (stream = false): ModelCall<ChatCompletionRequest> => ({
    auth: { kind: 'master' },
    api: 'chat_completions',
    operation: CHAT_OPERATION,
    request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    requestId: 'r',
    callId: 'c',
    hints: { tags: [] },
    stream,
    priority: undefined,
    startedAt: Date.now(),
    facts: {},
    // a then b, then the fallback: the order the router would pick is not what this spec is about.
    attempts: [...models.group('m'), ...models.group('backup')].map((deployment) => ({ modelGroup: deployment.modelName, deployment })),
  });
  const admission: Admission = { headers: {}, release: async () => undefined };
  return { loop, call, admission, sent, cancelled, ledger, metrics, router };
}

describe('AttemptLoop', () => {
  it("falls back past a deployment's failure and says which deployment answered after how many attempts", async () => {
    const t = setup({ a: fail('upstream_error'), b: fail('queue_full'), c: RESULT });
    const { result, served } = await t.loop.answer(t.call(), t.admission);
    expect(result).toBe(RESULT);
    expect({ id: served.attempt.deployment.id, group: served.attempt.modelGroup, attempted: served.attempted }).toEqual({
      id: 'c',
      group: 'backup',
      attempted: 3,
    });
    expect(t.sent).toEqual(['a', 'b', 'c']);
    expect(t.metrics.fallbacks).toBe(2);
    expect(t.ledger.records).toEqual([['succeeded', 'c']]);
  });

  it("counts LiteLLM's retries (the serving group's earlier attempts and the worker's) and fallbacks, and the answer's cost, in its headers", async () => {
    const sameGroup = setup({ a: fail('upstream_error'), b: { ...RESULT, retries: 2 }, c: RESULT });
    const { served } = await sameGroup.loop.answer(sameGroup.call(), sameGroup.admission);
    expect(servedHeaders(served)).toMatchObject({
      'x-litellm-call-id': 'r',
      'x-litellm-model-id': 'b',
      'x-litellm-model-group': 'm',
      'x-litellm-attempted-retries': '3',
      'x-litellm-attempted-fallbacks': '0',
      'x-litellm-response-cost': '0.25',
    });

    const fellBack = setup({ a: fail('upstream_error'), b: fail('upstream_error'), c: RESULT });
    expect(servedHeaders((await fellBack.loop.answer(fellBack.call(), fellBack.admission)).served)).toMatchObject({
      'x-litellm-model-group': 'backup',
      'x-litellm-attempted-retries': '0',
      'x-litellm-attempted-fallbacks': '1',
    });

    const failed = setup({ a: fail('upstream_error'), b: fail('upstream_error'), c: fail('invalid_request') });
    await expect(failed.loop.answer(failed.call(), failed.admission)).rejects.toMatchObject({
      headers: { 'x-litellm-call-id': 'r', 'x-litellm-attempted-retries': '0', 'x-litellm-attempted-fallbacks': '1' },
    });
  });

  it('a stream says no cost in its headers: it is known only at its end', async () => {
    const t = setup({ a: [chunk('x'), { t: 'end', usage: null }], b: RESULT, c: RESULT });
    const { served } = await t.loop.stream(t.call(true), t.admission, new AbortController().signal);
    expect(servedHeaders(served)['x-litellm-response-cost']).toBeUndefined();
    expect(servedHeaders(served)['x-litellm-attempted-retries']).toBe('0');
  });

  it('stops at a failure the caller caused, or Switchyard itself: no other deployment is tried, the call is recorded once', async () => {
    for (const code of ['invalid_request', 'internal_error'] as const) {
      const t = setup({ a: fail(code), b: RESULT, c: RESULT });
      await expect(t.loop.answer(t.call(), t.admission)).rejects.toMatchObject({ code });
      expect(t.sent).toEqual(['a']);
      expect(t.ledger.records).toEqual([['failed', 'a', code]]);
    }
  });

  it('records the last failure when every attempt fails, and counts only deployment faults towards cooldown', async () => {
    const t = setup({ a: fail('upstream_error'), b: fail('tokens_over_limit'), c: fail('timeout') });
    for (let i = 0; i < 2; i++) await expect(t.loop.answer(t.call(), t.admission)).rejects.toMatchObject({ code: 'timeout' });
    expect(t.ledger.records).toEqual([
      ['failed', 'c', 'timeout'],
      ['failed', 'c', 'timeout'],
    ]);
    // a and c failed twice (allowed_fails: 2) and cool down; b's failures were about the call's size.
    expect(t.router.plan('m', () => true).map((x) => x.deployment.id)).toEqual(['b']);
    expect(['a', 'b', 'c'].map((id) => t.router.busy(id))).toEqual([0, 0, 0]);
  });

  it('falls back when a stream fails before its first chunk, then hands on every event of the one that answers', async () => {
    const t = setup({ a: [{ t: 'error', error: fail('upstream_unavailable').toWire() }], b: [chunk('x'), chunk('y'), { t: 'end', usage: null }], c: RESULT });
    const { events, served } = await t.loop.stream(t.call(true), t.admission, new AbortController().signal);
    const seen: ChatStreamEvent[] = [];
    for await (const event of events) seen.push(event);
    expect(seen).toEqual([chunk('x'), chunk('y'), { t: 'end', usage: null }]);
    expect(served.attempt.deployment.id).toBe('b');
    expect(t.ledger.records).toEqual([['settleStream', 'b'], ['firstChunk']]);
  });

  it('cancels the call when the client hangs up, before or after the first chunk, and records it as the stream ends', async () => {
    const before = setup({ a: [chunk('x'), { t: 'end', usage: null }], b: RESULT, c: RESULT });
    const gone = new AbortController();
    gone.abort();
    await expect(before.loop.stream(before.call(true), before.admission, gone.signal)).rejects.toMatchObject({ code: 'client_closed' });
    expect(before.cancelled).toEqual(['a']);
    expect(before.sent).toEqual(['a']);
    expect(before.ledger.records).toEqual([['settleStream', 'a']]);

    const after = setup({ a: [chunk('x'), chunk('y'), { t: 'end', usage: null }], b: RESULT, c: RESULT });
    const leaving = new AbortController();
    const { events } = await after.loop.stream(after.call(true), after.admission, leaving.signal);
    for await (const _event of events) {
      leaving.abort();
      break;
    }
    expect(after.cancelled).toEqual(['a']);
  });
});
