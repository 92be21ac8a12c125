import {
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatMessage,
  type CompletionUsage,
  type EmbeddingRequest,
  embeddingInputs,
} from '@app/contracts';

/** Characters per token of English text with OpenAI's tokenizers; other scripts and code run denser. */
const CHARS_PER_TOKEN = 4;

/**
 * Tokens a call will count against its deployment's `tpm` before it is sent: the prompt's
 * characters / 4 (message texts, tool-call arguments, tool definitions) plus the most it may
 * generate (`max_completion_tokens` or `max_tokens`, times `n`), as OpenAI itself counts a
 * request against its limits. Without a maximum the completion counts 0 here; the call's
 * reported usage replaces the estimate when it ends.
 */
export function estimateTokens(request: ChatCompletionRequest): number {
  const maxCompletion = request.max_completion_tokens ?? request.max_tokens ?? 0;
  return estimatePromptTokens(request) + maxCompletion * (request.n ?? 1);
}

/** The prompt's share of {@link estimateTokens}. */
export function estimatePromptTokens(request: ChatCompletionRequest): number {
  let chars = 0;
  for (const message of request.messages) chars += messageChars(message);
  if (request.tools !== undefined) chars += JSON.stringify(request.tools).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Usage of a stream cut short before the upstream reported its own (it does so at the end): the
 * prompt estimate and the characters generated so far, / 4. Marked `estimated: true`.
 */
export function estimatedUsage(request: ChatCompletionRequest, generatedChars: number): CompletionUsage {
  const prompt = estimatePromptTokens(request);
  const completion = Math.ceil(generatedChars / CHARS_PER_TOKEN);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true };
}

/** Characters of content and tool-call arguments in one chunk. */
export function chunkChars(chunk: ChatCompletionChunk): number {
  let chars = 0;
  for (const choice of chunk.choices) {
    if (typeof choice.delta.content === 'string') chars += choice.delta.content.length;
    for (const call of choice.delta.tool_calls ?? []) chars += call.function?.arguments?.length ?? 0;
  }
  return chars;
}

function messageChars(message: ChatMessage): number {
  let chars = 0;
  if (typeof message.content === 'string') chars += message.content.length;
  else if (Array.isArray(message.content)) {
    for (const part of message.content) if (part.type === 'text' && typeof part.text === 'string') chars += part.text.length;
  }
  for (const call of message.tool_calls ?? []) chars += call.function?.arguments?.length ?? 0;
  return chars;
}

/**
 * Tokens an embeddings call counts against `tpm` before it is sent (it generates none): each
 * text's characters / 4, each token array's length.
 */
export function estimateEmbeddingTokens(request: Pick<EmbeddingRequest, 'input'>): number {
  let chars = 0;
  let tokens = 0;
  for (const item of embeddingInputs(request.input)) {
    if (typeof item === 'string') chars += item.length;
    else tokens += item.length;
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}
