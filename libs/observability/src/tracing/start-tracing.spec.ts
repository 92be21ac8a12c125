import { trace } from '@opentelemetry/api';
import { TracingConfigError, startTracing } from './start-tracing';
import { tracingOn } from './tracer';
import { genAiRequestAttributes, genAiResponseAttributes } from './gen-ai-attributes';

describe('startTracing', () => {
  it.each([
    ['no endpoint', {}],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: '' }],
    ['the SDK disabled', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }],
  ])('stays off with %s: no provider registered, spans record nothing', (_case, env) => {
    expect(startTracing('switchyard-test', env)).toBeUndefined();
    expect(tracingOn()).toBe(false);
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
  });

  it('refuses gRPC with a line that says what to use instead', () => {
    const start = () => startTracing('switchyard-test', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(start).toThrow(TracingConfigError);
    expect(start).toThrow('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http/protobuf or http/json');
    expect(tracingOn()).toBe(false);
  });
});

describe('GenAI attributes', () => {
  it('carry the request parameters and usage, never the messages', () => {
    const request = { model: 'm', messages: [{ role: 'user', content: 'a private question' }], max_tokens: 9, temperature: 0, top_p: 0.5, user: 'alice' };
    const attributes = genAiRequestAttributes('chat', 'openai/gpt-4o-mini', request);
    expect(attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'openai/gpt-4o-mini',
      'gen_ai.request.max_tokens': 9,
      'gen_ai.request.temperature': 0,
      'gen_ai.request.top_p': 0.5,
    });
    const answer = { id: 'chatcmpl-1', model: 'gpt-4o-mini', choices: [{ finish_reason: 'length', message: { content: 'a private answer' } }] };
    expect(genAiResponseAttributes(answer, { prompt_tokens: 4, completion_tokens: 9 })).toEqual({
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.usage.input_tokens': 4,
      'gen_ai.usage.output_tokens': 9,
    });
  });
});
