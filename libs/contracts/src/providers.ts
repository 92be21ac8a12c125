/** Backends Switchyard can dispatch to. Adding one means a folder in libs/providers and a worker app. */
export enum Provider {
  OpenAI = 'openai',
  Ollama = 'ollama',
}

/**
 * One BullMQ queue per provider. These strings are part of the Redis key names
 * (`<prefix>:<queue>:wait` and so on): renaming one strands the jobs already queued
 * under the old name and breaks autoscalers that watch the key.
 */
export enum ChatQueue {
  OpenAI = 'chat-openai',
  Ollama = 'chat-ollama',
}

export const QUEUE_BY_PROVIDER: Readonly<Record<Provider, ChatQueue>> = {
  [Provider.OpenAI]: ChatQueue.OpenAI,
  [Provider.Ollama]: ChatQueue.Ollama,
};
