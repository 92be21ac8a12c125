import type { ServerResponse } from 'node:http';
import {
  type FakeAnswer,
  FakeUpstream,
  type ReceivedRequest,
  completionAnswersFor,
  fakeEmbedding,
  fakeEmbeddingTokens,
  isRecord,
  sendJson,
  splitIntoPieces,
} from './fake-upstream';

export interface FakeOpenAIOptions {
  /** Listed by `GET /v1/models`; chat accepts any model. */
  models?: string[];
}

interface CompletionHead {
  id: string;
  created: number;
  model: string;
}

/** OpenAI's chat completions and legacy completions (JSON or SSE), embeddings ({@link fakeEmbedding}) and model list, under `/v1` or at the root. */
export class FakeOpenAIServer extends FakeUpstream {
  /** When set, chat requests need `Authorization: Bearer <requireApiKey>`. */
  requireApiKey?: string;
  private answered = 0;

  constructor(options: FakeOpenAIOptions = {}) {
    super('/v1', options.models ?? ['gpt-4o-mini']);
  }

  override reset(): void {
    super.reset();
    this.requireApiKey = undefined;
  }

  protected async route(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const path = request.path.replace(/^\/v1(?=\/)/, '');
    if (request.method === 'POST' && path === '/chat/completions') return this.chat(request, res);
    if (request.method === 'POST' && path === '/embeddings') return this.embeddings(request, res);
    if (request.method === 'POST' && path === '/completions') return this.completions(request, res);
    if (request.method === 'GET' && path === '/models') {
      const data = this.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'switchyard-fake' }));
      return sendJson(res, 200, { object: 'list', data });
    }
    sendJson(res, 404, this.errorBody(404, `Invalid URL (${request.method} ${request.path})`));
  }

  protected errorBody(status: number, message: string): object {
    const type = status >= 500 ? 'server_error' : status === 429 ? 'requests' : 'invalid_request_error';
    return { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
  }

  /** OpenAI's mid-stream failure: an SSE event holding an error object instead of a chunk. */
  protected streamErrorPiece(message: string): string {
    return `data: ${JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } })}\n\n`;
  }

  private async chat(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const denied = this.checkApiKey(request.headers.authorization);
    if (denied) return sendJson(res, 401, denied);
    const body = request.body;
    if (!isRecord(body) || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      const error = { message: "'model' and 'messages' are required properties", type: 'invalid_request_error', param: 'messages', code: null };
      return sendJson(res, 400, { error });
    }
    if (!(await this.beginChat(res))) return;

    const answer = this.answerTo(body);
    this.answered++;
    const head: CompletionHead = { id: `chatcmpl-fake${this.answered}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const usage = {
      prompt_tokens: answer.promptTokens,
      completion_tokens: answer.completionTokens,
      total_tokens: answer.promptTokens + answer.completionTokens,
    };
    const toolCallId = `call_fake${this.answered}`;
    if (body.stream === true) {
      const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
      return this.stream(res, 'text/event-stream', sseEvents(head, answer, toolCallId, includeUsage ? usage : undefined));
    }
    const message =
      answer.kind === 'text'
        ? { role: 'assistant', content: answer.content, refusal: null }
        : { role: 'assistant', content: null, tool_calls: [toolCall(toolCallId, answer)], refusal: null };
    sendJson(res, 200, {
      id: head.id,
      object: 'chat.completion',
      created: head.created,
      model: head.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(answer) }],
      usage,
      system_fingerprint: 'fp_fake',
    });
  }

  /** OpenAI's embeddings: one {@link fakeEmbedding} per input, as floats or base64 as asked, shortened to `dimensions`. */
  private async embeddings(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const denied = this.checkApiKey(request.headers.authorization);
    if (denied) return sendJson(res, 401, denied);
    const body = request.body;
    const inputs = isRecord(body) ? embeddingInputs(body.input) : undefined;
    if (!isRecord(body) || typeof body.model !== 'string' || !inputs) {
      const error = { message: "'model' and 'input' are required properties", type: 'invalid_request_error', param: 'input', code: null };
      return sendJson(res, 400, { error });
    }
    if (!(await this.beginChat(res))) return;
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
    const data = inputs.map((input, index) => {
      const vector = fakeEmbedding(input, dimensions);
      return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? float32Base64(vector) : vector };
    });
    const tokens = inputs.reduce((sum, input) => sum + fakeEmbeddingTokens(input), 0);
    sendJson(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  /**
   * Legacy completions: for each prompt `n` choices of {@link completionAnswersFor}'s text (the
   * prompt before it with `echo`), `logprobs` made up when asked for; streamed as
   * `text_completion` chunks word by word, a usage chunk when asked for, then `[DONE]`.
   */
  private async completions(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const denied = this.checkApiKey(request.headers.authorization);
    if (denied) return sendJson(res, 401, denied);
    const body = request.body;
    if (!isRecord(body) || typeof body.model !== 'string' || body.prompt === undefined) {
      const error = { message: "'model' and 'prompt' are required properties", type: 'invalid_request_error', param: 'prompt', code: null };
      return sendJson(res, 400, { error });
    }
    if (!(await this.beginChat(res))) return;

    this.answered++;
    const head: CompletionHead = { id: `cmpl-fake${this.answered}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const n = typeof body.n === 'number' ? body.n : 1;
    const answers = completionAnswersFor(body.prompt);
    const choices = answers.flatMap((answer, p) =>
      Array.from({ length: n }, (_, k) => ({
        index: p * n + k,
        text: body.echo === true ? answer.prompt + answer.content : answer.content,
        logprobs: typeof body.logprobs === 'number' ? fakeLogprobs(answer.content) : null,
      })),
    );
    const promptTokens = answers.reduce((sum, a) => sum + a.promptTokens, 0);
    const completionTokens = answers.reduce((sum, a) => sum + a.completionTokens, 0) * n;
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const chunk = (fields: object) =>
      `data: ${JSON.stringify({ id: head.id, object: 'text_completion', created: head.created, model: head.model, ...fields })}\n\n`;
    if (body.stream === true) {
      const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
      const events = choices.flatMap((choice) => [
        ...splitIntoPieces(choice.text).map((text) => chunk({ choices: [{ index: choice.index, text, logprobs: null, finish_reason: null }] })),
        chunk({ choices: [{ index: choice.index, text: '', logprobs: null, finish_reason: 'stop' }] }),
      ]);
      if (includeUsage) events.push(chunk({ choices: [], usage }));
      events.push('data: [DONE]\n\n');
      return this.stream(res, 'text/event-stream', events);
    }
    sendJson(res, 200, {
      id: head.id,
      object: 'text_completion',
      created: head.created,
      model: head.model,
      choices: choices.map((choice) => ({ ...choice, finish_reason: 'stop' })),
      usage,
      system_fingerprint: 'fp_fake',
    });
  }

  /** OpenAI's 401, which echoes a masked form of a wrong key. */
  private checkApiKey(authorization: string | undefined): object | undefined {
    if (this.requireApiKey === undefined) return undefined;
    const key = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    if (key === this.requireApiKey) return undefined;
    const message = key
      ? `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
    return { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
  }
}

function sseEvents(head: CompletionHead, answer: FakeAnswer, toolCallId: string, usage?: object): string[] {
  const event = (choices: object[], extra: object = usage ? { usage: null } : {}) =>
    `data: ${JSON.stringify({ id: head.id, object: 'chat.completion.chunk', created: head.created, model: head.model, system_fingerprint: 'fp_fake', choices, ...extra })}\n\n`;
  const delta = (fields: object, finish_reason: string | null = null) => ({ index: 0, delta: fields, logprobs: null, finish_reason });

  const deltas =
    answer.kind === 'text'
      ? [delta({ role: 'assistant', content: '', refusal: null }), ...splitIntoPieces(answer.content).map((content) => delta({ content }))]
      : [
          delta({
            role: 'assistant',
            content: null,
            tool_calls: [{ index: 0, id: toolCallId, type: 'function', function: { name: answer.name, arguments: '' } }],
            refusal: null,
          }),
          delta({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(answer.arguments) } }] }),
        ];
  const events = [...deltas, delta({}, finishReason(answer))].map((choice) => event([choice]));
  if (usage) events.push(event([], { usage }));
  events.push('data: [DONE]\n\n');
  return events;
}

/** OpenAI's legacy logprobs object, one entry per word. */
function fakeLogprobs(text: string) {
  const tokens = splitIntoPieces(text);
  let offset = 0;
  const textOffset = tokens.map((token) => ((offset += token.length), offset - token.length));
  return { tokens, token_logprobs: tokens.map(() => -0.5), top_logprobs: tokens.map((token) => ({ [token]: -0.5 })), text_offset: textOffset };
}

function toolCall(id: string, answer: Extract<FakeAnswer, { kind: 'tool_call' }>) {
  return { id, type: 'function', function: { name: answer.name, arguments: JSON.stringify(answer.arguments) } };
}

function finishReason(answer: FakeAnswer): string {
  return answer.kind === 'text' ? 'stop' : 'tool_calls';
}

/** Like OpenAI: a few characters of each end, the middle starred out. */
function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

/** OpenAI's `input` one by one (a string or token ids each); undefined when it is none of its forms. */
function embeddingInputs(input: unknown): Array<string | number[]> | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((item) => typeof item === 'number')) return [input as number[]];
  if (input.every((item) => typeof item === 'string' || (Array.isArray(item) && item.every((t) => typeof t === 'number'))))
    return input as Array<string | number[]>;
  return undefined;
}

function float32Base64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
