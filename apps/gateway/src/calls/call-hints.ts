import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import { SwitchyardError } from '@app/contracts';
import { callIdFor } from '@app/observability';
import type { CallIds } from './model-call';

/** What a client may ask of one call in LiteLLM's request headers. */
export interface CallHints {
  /** `x-litellm-timeout` (seconds): the call's deadline on any deployment is at most this. */
  timeoutMs?: number;
  /** `x-litellm-num-retries`: retries of a failed attempt, in place of the deployment's `num_retries`. */
  numRetries?: number;
  /** `x-litellm-tags`: tags for the call's spend log row (with the key's own). */
  tags: string[];
}

/** The most retries a client may ask for: each one is another call to the backend. */
const MAX_NUM_RETRIES = 10;
/** The longest `x-litellm-timeout` taken, in seconds (a day); a deployment's own timeout still applies. */
const MAX_TIMEOUT_S = 86_400;
export const MAX_TAGS = 32;
const MAX_TAG_LENGTH = 128;
/** A tag: visible characters and inner spaces, no comma. */
const TAG = /^[^\s,\p{Cc}](?:[^,\p{Cc}]*[^\s,\p{Cc}])?$/u;

function invalid(param: string, message: string): SwitchyardError {
  return new SwitchyardError('invalid_request', `invalid value for '${param}': ${message}`, { param });
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw invalid(name, 'send it once');
  return value === undefined ? undefined : value.trim();
}

/** Why a list of tags (a header's comma-separated value or a key's array) is not one, if it is not. */
export function tagsProblem(tags: readonly string[]): string | undefined {
  if (new Set(tags).size > MAX_TAGS) return `at most ${MAX_TAGS} tags`;
  const bad = tags.find((tag) => tag.length > MAX_TAG_LENGTH || !TAG.test(tag));
  if (bad === undefined) return undefined;
  return bad.length > MAX_TAG_LENGTH
    ? `a tag may have at most ${MAX_TAG_LENGTH} characters`
    : `"${bad.slice(0, 40)}" is not a tag (no commas, control characters or outer spaces)`;
}

/**
 * LiteLLM's request headers `x-litellm-timeout`, `x-litellm-num-retries` and `x-litellm-tags`.
 * A value that is not what LiteLLM takes is a 400 naming the header: nothing is queued or counted.
 */
export function callHintsFrom(headers: IncomingHttpHeaders): CallHints {
  const hints: CallHints = { tags: [] };
  const timeout = single(headers, 'x-litellm-timeout');
  if (timeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(timeout) ? Number(timeout) : Number.NaN;
    if (!(seconds > 0) || seconds > MAX_TIMEOUT_S) throw invalid('x-litellm-timeout', `must be a number of seconds above 0 and at most ${MAX_TIMEOUT_S}`);
    hints.timeoutMs = Math.ceil(seconds * 1000);
  }
  const retries = single(headers, 'x-litellm-num-retries');
  if (retries !== undefined) {
    if (!/^\d{1,3}$/.test(retries) || Number(retries) > MAX_NUM_RETRIES)
      throw invalid('x-litellm-num-retries', `must be a whole number from 0 to ${MAX_NUM_RETRIES}`);
    hints.numRetries = Number(retries);
  }
  const tags = single(headers, 'x-litellm-tags');
  if (tags !== undefined) {
    const list = tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const problem = tagsProblem(list);
    if (problem) throw invalid('x-litellm-tags', problem);
    hints.tags = [...new Set(list)];
  }
  return hints;
}

/**
 * LiteLLM's other way to tag a call: `metadata.tags` in a chat body, added to the header's.
 * Anything but an array of tags there is a 400 naming `metadata.tags`.
 */
export function withMetadataTags(hints: CallHints, metadata: unknown): CallHints {
  const tags = metadata !== null && typeof metadata === 'object' ? (metadata as { tags?: unknown }).tags : undefined;
  if (tags === undefined || tags === null) return hints;
  if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string')) throw invalid('metadata.tags', 'must be an array of strings');
  const all = [...new Set([...hints.tags, ...tags])];
  const problem = tagsProblem(all);
  if (problem) throw invalid('metadata.tags', problem);
  return { ...hints, tags: all };
}

/** A model call's ids and LiteLLM request headers, for every endpoint's controller: the one way a call learns them. */
export function callIdsOf(req: Request): CallIds {
  return { requestId: req.requestId, callId: callIdFor(req.requestId, req.requestIdFromClient), hints: callHintsFrom(req.headers) };
}
