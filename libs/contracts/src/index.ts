export * from './backends';
export * from './openai-wire';
export * from './completion-wire';
export * from './switchyard-error';
export * from './dependency-error';
export * from './chat-job';
export * from './chat-stream';
export * from './credential-mask';
