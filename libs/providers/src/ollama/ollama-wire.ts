/** The subset of Ollama's `/api/chat` and `/api/generate` wire formats that Switchyard writes or reads. */

export interface OllamaToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64 without the `data:` prefix. */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
}

export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown };
}

export interface OllamaOptions {
  num_predict?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  /** Context size; other model options a deployment sets (`num_gpu`, …) pass as written. */
  num_ctx?: number;
  [option: string]: unknown;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  /** Always sent: Ollama streams (NDJSON, one {@link OllamaChatResponse} a line) when it is omitted. */
  stream: boolean;
  /** `'json'`, or the JSON schema the answer must follow. */
  format?: unknown;
  options?: OllamaOptions;
  tools?: OllamaTool[];
  /** How long the model stays loaded after the call (`"5m"`, seconds, `-1`: for ever). */
  keep_alive?: string | number;
}

export interface OllamaChatResponse {
  model: string;
  created_at?: string;
  message: { role: string; content?: string; tool_calls?: OllamaToolCall[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  [field: string]: unknown;
}

/** Ollama's `/api/embed`: every input in one call. */
export interface OllamaEmbedRequest {
  model: string;
  input: string[];
  /** Cut inputs longer than the model's context (Ollama's default) instead of failing. */
  truncate?: boolean;
  /** How long the model stays loaded after the call: `5m`, seconds, `-1`. */
  keep_alive?: string | number;
  options?: Record<string, unknown>;
  dimensions?: number;
}

export interface OllamaEmbedResponse {
  model?: string;
  /** One vector per input, in input order. */
  embeddings: number[][];
  prompt_eval_count?: number;
  [field: string]: unknown;
}

export interface OllamaGenerateRequest {
  model: string;
  prompt: string;
  /** Text after the completion (fill-in-the-middle); the model's template places it. */
  suffix?: string;
  /** No prompt template: the prompt is continued as written. */
  raw?: boolean;
  /** Always sent, as for `/api/chat`. */
  stream: boolean;
  options?: OllamaOptions;
  keep_alive?: string | number;
}

/** One answer of `/api/generate`, or one NDJSON line of its stream (the last has `done: true` and the counts). */
export interface OllamaGenerateResponse {
  model: string;
  created_at?: string;
  response: string;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  [field: string]: unknown;
}
