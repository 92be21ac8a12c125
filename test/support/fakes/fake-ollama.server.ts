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

export interface FakeOllamaOptions {
  /** Models the fake has "pulled"; chat with any other answers 404 like Ollama. */
  models?: string[];
}

/** Ollama's native API: `/api/chat` and `/api/generate` (JSON or NDJSON stream, the default), `/api/embed` ({@link fakeEmbedding}), `/api/tags`, `/api/version`. */
export class FakeOllamaServer extends FakeUpstream {
  constructor(options: FakeOllamaOptions = {}) {
    super('', options.models ?? ['llama3.2']);
  }

  protected async route(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const route = `${request.method} ${request.path}`;
    if (route === 'POST /api/chat') return this.chat(request, res);
    if (route === 'POST /api/embed') return this.embed(request, res);
    if (route === 'POST /api/generate') return this.generate(request, res);
    if (route === 'GET /api/tags') {
      const models = this.models.map((name) => ({
        name: withTag(name),
        model: withTag(name),
        modified_at: '2025-01-01T00:00:00Z',
        size: 1_000_000,
        digest: 'fake',
        details: { format: 'gguf', family: 'fake', parameter_size: '1B', quantization_level: 'Q4_0' },
      }));
      return sendJson(res, 200, { models });
    }
    if (route === 'GET /api/version') return sendJson(res, 200, { version: '0.12.0' });
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  }

  protected errorBody(_status: number, message: string): object {
    return { error: message };
  }

  /** Ollama's mid-stream failure: an NDJSON line holding only an error string. */
  protected streamErrorPiece(message: string): string {
    return `${JSON.stringify({ error: message })}\n`;
  }

  /** Ollama's `/api/embed`: one {@link fakeEmbedding} per text of `input` (a string or strings), `dimensions` honoured. */
  private async embed(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const body = request.body as Record<string, unknown>;
    const model = this.modelOf(body, res);
    if (model === undefined) return;
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === 'string')) {
      return sendJson(res, 400, this.errorBody(400, 'invalid input type'));
    }
    if (!(await this.beginChat(res))) return;
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
    const tokens = inputs.reduce((sum, input) => sum + fakeEmbeddingTokens(input), 0);
    sendJson(res, 200, {
      model,
      embeddings: inputs.map((input) => fakeEmbedding(input, dimensions)),
      total_duration: 1_000_000 + tokens * 1_000_000,
      load_duration: 1_000_000,
      prompt_eval_count: tokens,
    });
  }

  /** The model a request names, once it is one the fake has; undefined when the error is already sent. */
  private modelOf(body: unknown, res: ServerResponse): string | undefined {
    if (!isRecord(body)) return void sendJson(res, 400, this.errorBody(400, 'invalid JSON body'));
    if (typeof body.model !== 'string' || body.model === '') return void sendJson(res, 400, this.errorBody(400, 'model is required'));
    const model = body.model;
    if (!this.models.some((known) => withTag(known) === withTag(model))) {
      return void sendJson(res, 404, this.errorBody(404, `model "${model}" not found, try pulling it first`));
    }
    return model;
  }

  /** `/api/generate`: `"echo: <prompt>"` (see completionAnswersFor), word by word when streamed; the final line carries the counts and a `context`. */
  private async generate(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const body = request.body as Record<string, unknown>;
    const model = this.modelOf(body, res);
    if (model === undefined) return;
    if (typeof body.prompt !== 'string') return sendJson(res, 400, this.errorBody(400, 'prompt must be a string'));
    if (!(await this.beginChat(res))) return;

    const [answer] = completionAnswersFor(body.prompt);
    const createdAt = new Date().toISOString();
    const counts = stats({ kind: 'text', ...answer });
    const final = (response: string) => ({ model, created_at: createdAt, response, done: true, done_reason: 'stop', context: [1, 2, 3], ...counts });
    if (body.stream === false) return sendJson(res, 200, final(answer.content));
    const line = (fields: object) => `${JSON.stringify(fields)}\n`;
    const lines = splitIntoPieces(answer.content).map((response) => line({ model, created_at: createdAt, response, done: false }));
    lines.push(line(final('')));
    return this.stream(res, 'application/x-ndjson', lines);
  }

  private async chat(request: ReceivedRequest, res: ServerResponse): Promise<void> {
    const body = request.body as Record<string, unknown>;
    const model = this.modelOf(body, res);
    if (model === undefined) return;
    if (!(await this.beginChat(res))) return;

    const answer = this.answerTo(body);
    const createdAt = new Date().toISOString();
    const final = (message: object) => ({ model, created_at: createdAt, message, done_reason: 'stop', done: true, ...stats(answer) });
    // Ollama streams unless told not to.
    if (body.stream === false) return sendJson(res, 200, final(assistantMessage(answer)));
    const line = (fields: object) => `${JSON.stringify(fields)}\n`;
    const pieces = answer.kind === 'text' ? splitIntoPieces(answer.content).map((content) => ({ role: 'assistant', content })) : [assistantMessage(answer)];
    const lines = pieces.map((message) => line({ model, created_at: createdAt, message, done: false }));
    lines.push(line(final({ role: 'assistant', content: '' })));
    return this.stream(res, 'application/x-ndjson', lines);
  }
}

function assistantMessage(answer: FakeAnswer): object {
  return answer.kind === 'text'
    ? { role: 'assistant', content: answer.content }
    : { role: 'assistant', content: '', tool_calls: [{ function: { name: answer.name, arguments: answer.arguments } }] };
}

/** Ollama's counters; durations are nanoseconds, made up but consistent. */
function stats(answer: FakeAnswer) {
  const promptEvalDuration = answer.promptTokens * 1_000_000;
  const evalDuration = answer.completionTokens * 10_000_000;
  const loadDuration = 1_000_000;
  return {
    total_duration: loadDuration + promptEvalDuration + evalDuration,
    load_duration: loadDuration,
    prompt_eval_count: answer.promptTokens,
    prompt_eval_duration: promptEvalDuration,
    eval_count: answer.completionTokens,
    eval_duration: evalDuration,
  };
}

/** Ollama treats `llama3.2` and `llama3.2:latest` as one model. */
function withTag(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}
