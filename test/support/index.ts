/**
 * Shared test support, imported by every spec and the bench as `@test/support`: the stack of apps
 * in this process or as child processes, fixtures and the official SDK, fake upstreams, the SSE
 * and NDJSON readers, throwaway databases, Redis prefixes and servers, a cuttable TCP proxy.
 */
export * from './app-process';
export * from './chromium';
export * from './fixtures';
export * from './metrics';
export * from './processes';
export * from './stack';
export * from './stream-readers';
export * from './tcp-proxy';
export * from './test-database';
export * from './test-redis';
export * from './throwaway-postgres';
export * from './throwaway-redis';
export { FakeOllamaServer, type FakeOllamaOptions } from './fakes/fake-ollama.server';
export { FakeOpenAIServer, type FakeOpenAIOptions } from './fakes/fake-openai.server';
export {
  FAKE_EMBEDDING_DIMENSIONS,
  FakeUpstream,
  type FakeAnswer,
  type ReceivedRequest,
  type ScheduledFailure,
  type ScheduledStreamBreak,
  fakeEmbedding,
} from './fakes/fake-upstream';
export * from './shapes/expect-shape';
export * from './shapes/response.shape';
export * from './shapes/response-stream-event.shape';
export * from './shapes/response-input-items.shape';
export * from './shapes/response-deleted.shape';
export * from './shapes/anthropic-message.shape';
export * from './shapes/anthropic-stream-events.shape';
export * from './shapes/chat-completion.shape';
export * from './shapes/openai-list-and-error.shape';
export * from './shapes/completion.shape';
export * from './shapes/model-group-info.shape';
export * from './shapes/create-embedding-response.shape';
export * from './shapes/admin-live.shape';
