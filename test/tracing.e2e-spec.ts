import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AppProcess,
  MASTER_KEY,
  type Stack,
  UPSTREAM_OPENAI_KEY,
  call,
  eventually,
  fakeEnv,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

/** One span as an OTLP/HTTP JSON export carries it, with the service that sent it. */
interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, unknown>;
  status?: { code?: number };
}

const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, CONSUMER: 5 };
const PROMPT = 'tell me a secret about the moon';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
function valueOf(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}
const attributesOf = (list: Array<{ key: string; value: OtlpValue }> = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** A local OTLP/HTTP receiver (JSON encoding), as a collector would listen on port 4318. */
class OtlpReceiver {
  readonly spans: ExportedSpan[] = [];
  readonly contentTypes = new Set<string>();
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.contentTypes.add(req.headers['content-type'] ?? '');
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: OtlpValue }> };
              scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service' | 'attributes'> & { attributes?: Array<{ key: string; value: OtlpValue }> }> }>;
            }>;
          };
          for (const rs of body.resourceSpans) {
            const service = String(attributesOf(rs.resource.attributes)['service.name']);
            for (const ss of rs.scopeSpans) for (const span of ss.spans) this.spans.push({ ...span, service, attributes: attributesOf(span.attributes) });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  of(traceId: string): ExportedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server?.close(r));
  }
}

/**
 * Traces across the queue: the gateway and both workers as processes of their own, exporting
 * over OTLP/HTTP JSON to a local receiver. One call makes one trace: the gateway's server span
 * (continuing the client's `traceparent`), the time the job waited in its queue, the worker's
 * processing and the upstream HTTP call, linked parent to child, with GenAI attributes and no
 * prompt or secret in them.
 */
describe('traces across the queue', () => {
  const receiver = new OtlpReceiver();
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  const apps: AppProcess[] = [];
  let gateway: AppProcess;

  beforeAll(async () => {
    await receiver.start();
    fakes = await startFakes();
    // The in-process stack gives a database with its migrations and a Redis prefix; it runs no workers.
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai), workers: [] });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
    // One after another: three ts-node processes starting at once on a small machine take long.
    for (const [app, extra] of [
      ['gateway', { DISABLE_SCHEMA_UPDATE: 'true' }],
      ['worker-openai', {}],
      ['worker-ollama', {}],
    ] as const)
      apps.push(await startAppProcess(app, { ...stack.env, ...otel, ...extra }));
    gateway = apps[0];
  }, 200_000);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await stack?.close();
    await fakes?.stop();
    await receiver.stop();
  });

  /** Waits for the trace's spans to be exported: the gateway's server span ends last. */
  const traceOf = (traceId: string, count: number) =>
    eventually(
      async () => receiver.of(traceId),
      (spans) => spans.length >= count,
      10_000,
      100,
    );

  it('continues a client traceparent through the gateway, the queue, the worker and the upstream call', async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    fakes.openai.reset();
    const res = await call(gateway.url, '/v1/chat/completions', {
      body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], max_tokens: 50, temperature: 0.2 },
      headers: { traceparent: `00-${traceId}-${clientSpan}-01` },
    });
    expect(res.status).toBe(200);
    const usage = (res.json as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;

    const spans = await traceOf(traceId, 4);
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    const wait = spans.find((s) => s.name.startsWith('wait '))!;
    const processing = spans.find((s) => s.kind === SPAN_KIND.CONSUMER)!;
    const upstream = spans.find((s) => s.kind === SPAN_KIND.CLIENT)!;
    expect({ server: server?.name, wait: wait?.name, processing: processing?.name, upstream: upstream?.name }).toEqual({
      server: 'POST /v1/chat/completions',
      wait: 'wait chat-openai',
      processing: 'process chat-openai',
      upstream: 'POST',
    });
    // Parent to child: client → gateway → (queue wait, worker) → upstream call.
    expect(server.parentSpanId).toBe(clientSpan);
    expect(wait.parentSpanId).toBe(server.spanId);
    expect(processing.parentSpanId).toBe(server.spanId);
    expect(upstream.parentSpanId).toBe(processing.spanId);
    expect([server.service, processing.service, upstream.service]).toEqual(['switchyard-gateway', 'switchyard-worker-openai', 'switchyard-worker-openai']);
    // The queue wait ends where the worker's processing starts, and everything sits inside the gateway's span.
    expect(BigInt(wait.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(processing.startTimeUnixNano) + 5_000_000n);
    expect(BigInt(server.startTimeUnixNano)).toBeLessThanOrEqual(BigInt(wait.startTimeUnixNano) + 5_000_000n);
    expect(BigInt(upstream.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(server.endTimeUnixNano));

    expect(server.attributes).toMatchObject({
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'openai/gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.usage.input_tokens': usage.prompt_tokens,
      'gen_ai.usage.output_tokens': usage.completion_tokens,
    });
    expect(processing.attributes).toMatchObject({
      'messaging.destination.name': 'chat-openai',
      'gen_ai.request.model': 'openai/gpt-4o-mini',
      // The model the upstream says answered, as the upstream names it.
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': usage.prompt_tokens,
      'gen_ai.usage.output_tokens': usage.completion_tokens,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(upstream.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'url.path': '/v1/chat/completions' });

    // The upstream was asked with the trace's context, child of the upstream span.
    const sent = fakes.openai.received.at(-1)!.headers.traceparent;
    expect(sent).toBe(`00-${traceId}-${upstream.spanId}-01`);

    // Nothing of the prompt, the answer or any key.
    const everything = JSON.stringify(spans);
    for (const secret of [PROMPT, MASTER_KEY, UPSTREAM_OPENAI_KEY]) expect(everything).not.toContain(secret);
    expect(receiver.contentTypes).toContain('application/json');
  });

  it('starts a trace of its own for a streamed call without traceparent, on the Ollama worker', async () => {
    const before = new Set(receiver.spans.map((s) => s.traceId));
    const res = await call(gateway.url, '/v1/chat/completions', {
      body: { model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: PROMPT }], stream: true },
    });
    expect(res.status).toBe(200);
    const server = await eventually(
      async () =>
        receiver.spans.find((s) => s.kind === SPAN_KIND.SERVER && !before.has(s.traceId) && s.attributes['gen_ai.request.model'] === 'ollama/gpt-oss:20b'),
      (s) => s !== undefined,
      10_000,
      100,
    );
    expect(server?.parentSpanId ?? '').toBe('');
    const spans = await traceOf(server!.traceId, 4);
    const processing = spans.find((s) => s.kind === SPAN_KIND.CONSUMER)!;
    const upstream = spans.find((s) => s.kind === SPAN_KIND.CLIENT)!;
    expect(processing).toMatchObject({ service: 'switchyard-worker-ollama', name: 'process chat-ollama', parentSpanId: server!.spanId });
    expect(upstream).toMatchObject({ parentSpanId: processing.spanId });
    expect(upstream.attributes).toMatchObject({ 'url.path': '/api/chat', 'http.response.status_code': 200 });
    // The stream's span ends once the upstream stream has been read to its end.
    expect(BigInt(upstream.endTimeUnixNano)).toBeGreaterThan(BigInt(upstream.startTimeUnixNano));
    expect(JSON.stringify(spans)).not.toContain(PROMPT);
  });

  it('marks a failed upstream call as an error on the worker and the gateway', async () => {
    const traceId = randomBytes(16).toString('hex');
    fakes.openai.failNext(10, 500, 'upstream broke');
    const res = await call(gateway.url, '/v1/chat/completions', {
      body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] },
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    fakes.openai.reset();
    expect(res.status).toBeGreaterThanOrEqual(500);
    const spans = await eventually(
      async () => receiver.of(traceId),
      (s) => s.some((x) => x.kind === SPAN_KIND.SERVER),
      10_000,
      100,
    );
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    expect(server.status?.code).toBe(2);
    expect(server.attributes['error.type']).toEqual(expect.any(String));
    const upstreamCalls = spans.filter((s) => s.kind === SPAN_KIND.CLIENT);
    expect(upstreamCalls.length).toBeGreaterThanOrEqual(1);
    for (const s of upstreamCalls) expect(s.attributes['http.response.status_code']).toBe(500);
  });
});
