/** The subset of OpenAI's embeddings wire format that Switchyard reads or writes. Unknown fields pass through. */

/** A string, strings, token ids, or arrays of token ids: one embedding for each string or token array. */
export type EmbeddingInput = string | string[] | number[] | number[][];

export interface EmbeddingRequest {
  model: string;
  input: EmbeddingInput;
  /** Length of each vector, for models that can shorten theirs (`text-embedding-3-*`). */
  dimensions?: number;
  /** `base64`: each vector as the base64 of its little-endian float32s. */
  encoding_format?: 'float' | 'base64';
  user?: string;
  [field: string]: unknown;
}

export interface Embedding {
  object: 'embedding';
  /** The position of its input in the request's `input`. */
  index: number;
  /** Floats, or their base64 when `encoding_format` was `base64`. */
  embedding: number[] | string;
}

export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
  [field: string]: unknown;
}

/** OpenAI's `CreateEmbeddingResponse`: one embedding per input, in input order. */
export interface CreateEmbeddingResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: EmbeddingUsage;
}

/** The inputs of a request one by one: a string or a token array each. */
export function embeddingInputs(input: EmbeddingInput): Array<string | number[]> {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && input.every((item) => typeof item === 'number')) return [input];
  return input as Array<string | number[]>;
}

/** Whether any input is given as token ids rather than text. */
export function hasTokenInput(input: EmbeddingInput): boolean {
  return embeddingInputs(input).some((item) => typeof item !== 'string');
}
