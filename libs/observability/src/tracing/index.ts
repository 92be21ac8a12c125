export * from './start-tracing';
export * from './tracer';
export * from './gen-ai-attributes';
