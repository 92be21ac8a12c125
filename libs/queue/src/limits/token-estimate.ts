import {
  type ChatMessage,
  type CompletionRequest,
  type CompletionUsage,
  type EmbeddingRequest,
  type OperationChunk,
  type OperationRequest,
  embeddingInputs,
} from '@app/contracts';

/** Characters per token of English text with OpenAI's tokenizers; other scripts and code run denser. */
const CHARS_PER_TOKEN = 4;

/**
 * Tokens a call will count against its deployment's `tpm` before it is sent: the prompt's
 * characters / 4 (message texts, tool-call arguments, tool definitions) plus the most it may
 * generate (`max_completion_tokens` or `max_tokens`, times `n`), as OpenAI itself counts a
 * request against its limits. Without a maximum the completion counts 0 here; the call's
 * reported usage replaces the estimate when it ends. An embeddings call counts its input only.
 */
export function estimateTokens(request: OperationRequest): number {
  return estimatePromptTokens(request) + outputTokenBudget(request);
}

/** The generated share of {@link estimateTokens}: the most a call may generate over all its choices; 0 without a maximum. */
export function outputTokenBudget(request: OperationRequest): number {
  return (maxTokensOf(request) ?? 0) * choicesOf(request);
}

/** The most a call asks to generate per choice (`max_completion_tokens`, else `max_tokens`); unset when it sets none. */
export function maxTokensOf(request: OperationRequest): number | undefined {
  if (isEmbeddingRequest(request)) return undefined;
  return (isCompletionRequest(request) ? undefined : request.max_completion_tokens) ?? request.max_tokens ?? undefined;
}

/**
 * The prompt's share of {@link estimateTokens}. A legacy completion's prompt counts its texts and
 * its suffix by characters, and a prompt given as token ids by its ids; an embeddings call's
 * input likewise.
 */
export function estimatePromptTokens(request: OperationRequest): number {
  if (isEmbeddingRequest(request)) return embeddingInputTokens(request);
  if (isCompletionRequest(request)) return completionPromptTokens(request);
  let chars = 0;
  for (const message of request.messages) chars += messageChars(message);
  if (request.tools !== undefined) chars += JSON.stringify(request.tools).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * How many answers a call generates: `n`; for a legacy completion, `n` (or `best_of`, which the
 * upstream generates and bills whole, when larger) for each of its prompts; none for embeddings.
 */
export function choicesOf(request: OperationRequest): number {
  if (isEmbeddingRequest(request)) return 0;
  const n = request.n ?? 1;
  if (!isCompletionRequest(request)) return n;
  return promptCount(request.prompt) * Math.max(n, request.best_of ?? 1);
}

/** A legacy completion's body (`prompt`), not a chat body (`messages`). */
export function isCompletionRequest(request: OperationRequest): request is CompletionRequest {
  return !Array.isArray((request as { messages?: unknown }).messages) && (request as { prompt?: unknown }).prompt !== undefined;
}

/** An embeddings body (`input`), neither chat (`messages`) nor a legacy completion (`prompt`). */
export function isEmbeddingRequest(request: OperationRequest): request is EmbeddingRequest {
  return !Array.isArray((request as { messages?: unknown }).messages) && !isCompletionRequest(request) && (request as { input?: unknown }).input !== undefined;
}

/** The prompts of a legacy completion: one for a text or a list of token ids, one per item of a list of texts or of token lists. */
function promptCount(prompt: CompletionRequest['prompt']): number {
  return Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number' ? prompt.length : 1;
}

function completionPromptTokens(request: CompletionRequest): number {
  let chars = typeof request.suffix === 'string' ? request.suffix.length : 0;
  let tokens = 0;
  const items: unknown[] = Array.isArray(request.prompt) ? request.prompt : [request.prompt];
  for (const item of items) {
    if (typeof item === 'string') chars += item.length;
    else if (typeof item === 'number') tokens += 1;
    else if (Array.isArray(item)) tokens += item.length;
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Usage of a stream cut short before the upstream reported its own (it does so at the end): the
 * prompt estimate and the characters generated so far, / 4. Marked `estimated: true`.
 */
export function estimatedUsage(request: OperationRequest, generatedChars: number): CompletionUsage {
  const prompt = estimatePromptTokens(request);
  const completion = Math.ceil(generatedChars / CHARS_PER_TOKEN);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true };
}

/** Characters of content and tool-call arguments in one chunk; of its text for a legacy completion's chunk. */
export function chunkChars(chunk: OperationChunk): number {
  let chars = 0;
  for (const choice of chunk.choices) {
    if ('text' in choice) {
      if (typeof choice.text === 'string') chars += choice.text.length;
      continue;
    }
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

/** An embeddings call's input: each text's characters / 4, each token array's length. */
function embeddingInputTokens(request: EmbeddingRequest): number {
  let chars = 0;
  let tokens = 0;
  for (const item of embeddingInputs(request.input)) {
    if (typeof item === 'string') chars += item.length;
    else tokens += item.length;
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}
