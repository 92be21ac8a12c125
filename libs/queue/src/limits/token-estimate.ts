import type { ChatCompletionRequest, ChatMessage, CompletionRequest, CompletionUsage, OperationChunk } from '@app/contracts';

/** Characters per token of English text with OpenAI's tokenizers; other scripts and code run denser. */
const CHARS_PER_TOKEN = 4;

/**
 * Tokens a call will count against its deployment's `tpm` before it is sent: the prompt's
 * characters / 4 (message texts, tool-call arguments, tool definitions) plus the most it may
 * generate (`max_completion_tokens` or `max_tokens`, times `n`), as OpenAI itself counts a
 * request against its limits. Without a maximum the completion counts 0 here; the call's
 * reported usage replaces the estimate when it ends.
 */
export function estimateTokens(request: ChatCompletionRequest | CompletionRequest): number {
  const maxCompletion = (isCompletionRequest(request) ? undefined : request.max_completion_tokens) ?? request.max_tokens ?? 0;
  return estimatePromptTokens(request) + maxCompletion * choicesOf(request);
}

/**
 * The prompt's share of {@link estimateTokens}. A legacy completion's prompt counts its texts and
 * its suffix by characters, and a prompt given as token ids by its ids.
 */
export function estimatePromptTokens(request: ChatCompletionRequest | CompletionRequest): number {
  if (isCompletionRequest(request)) return completionPromptTokens(request);
  let chars = 0;
  for (const message of request.messages) chars += messageChars(message);
  if (request.tools !== undefined) chars += JSON.stringify(request.tools).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * How many answers a call generates: `n`; for a legacy completion, `n` (or `best_of`, which the
 * upstream generates and bills whole, when larger) for each of its prompts.
 */
export function choicesOf(request: ChatCompletionRequest | CompletionRequest): number {
  const n = request.n ?? 1;
  if (!isCompletionRequest(request)) return n;
  return promptCount(request.prompt) * Math.max(n, request.best_of ?? 1);
}

/** A legacy completion's body (`prompt`), not a chat body (`messages`). */
export function isCompletionRequest(request: ChatCompletionRequest | CompletionRequest): request is CompletionRequest {
  return !Array.isArray((request as { messages?: unknown }).messages) && (request as { prompt?: unknown }).prompt !== undefined;
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
export function estimatedUsage(request: ChatCompletionRequest | CompletionRequest, generatedChars: number): CompletionUsage {
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
