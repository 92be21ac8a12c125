import { randomBytes } from 'node:crypto';

/** The parts of OpenAI's Responses API objects Switchyard writes: a Response, its output items, its usage. */

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export interface Refusal {
  type: 'refusal';
  refusal: string;
}

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface OutputMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  status: ItemStatus;
  content: Array<OutputText | Refusal>;
}

export interface FunctionCall {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}

export type OutputItem = OutputMessage | FunctionCall;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** OpenAI's ResponseErrorCode: the two a chat backend's failure can be. */
export interface ResponseError {
  code: 'server_error' | 'rate_limit_exceeded';
  message: string;
}

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: ResponseError | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  output: OutputItem[];
  output_text: string;
  usage?: ResponseUsage;
  [echoed: string]: unknown;
}

/** `<prefix>_` and 48 hex digits, as OpenAI's ids look (`resp_…`, `msg_…`, `fc_…`). */
export type NewId = (prefix: string) => string;

export const newId: NewId = (prefix) => `${prefix}_${randomBytes(24).toString('hex')}`;
