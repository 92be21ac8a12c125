import { EventEmitter } from 'node:events';
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string, as the request line had it. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Epoch ms at which the request arrived, to count arrivals per time window. */
  at: number;
}

/** How a streamed answer is to break off: after `afterPieces` pieces, with the provider's in-stream error or by a dropped connection. */
export interface ScheduledStreamBreak {
  afterPieces: number;
  /** Sent in the provider's in-stream error shape before the answer ends; without it the connection is destroyed. */
  message?: string;
}

export interface ScheduledFailure {
  status: number;
  /** A message to wrap in the provider's error shape, or a body to send as is. */
  body?: string | object;
  headers?: Record<string, string>;
}

/**
 * What a fake answers to a chat request, derived only from the request so tests can predict it:
 * - with `tools` and a last message that is not a `tool` result: a call of the first tool with
 *   arguments `{text: <last user text>}`;
 * - after a `tool` message: `"tool result: <its content>"`;
 * - asked for JSON following a schema (OpenAI's `response_format.json_schema`, Ollama's `format`
 *   object): `{"echo": "<last user text>"}`;
 * - otherwise `"echo: <last user text>"`.
 * Token counts are whitespace-separated words: the prompt counts every message's text, the
 * completion counts the content, or the arguments JSON of a tool call.
 */
export type FakeAnswer =
  | { kind: 'text'; content: string; promptTokens: number; completionTokens: number }
  | { kind: 'tool_call'; name: string; arguments: Record<string, unknown>; promptTokens: number; completionTokens: number };

/**
 * The controllable core shared by the fake upstreams: a node:http server that records every
 * request and can be told to be slow or to fail. Subclasses speak one provider's wire format.
 * Emits `closedEarly` (with the request) when a client closes its connection before the answer ended.
 */
export abstract class FakeUpstream extends EventEmitter {
  readonly received: ReceivedRequest[] = [];
  /** Delay before answering a chat request. */
  delayMs = 0;
  /** Delay between the pieces of a streamed answer, to leave room for a client to go away mid-stream. */
  chunkDelayMs = 0;
  /** Token counts to report instead of the word counts (e.g. more than a 32-bit integer holds). */
  reportedTokens?: { prompt: number; completion: number };
  models: string[];

  private server?: Server;
  private port = 0;
  private failures: ScheduledFailure[] = [];
  private streamBreaks: ScheduledStreamBreak[] = [];
  private held?: { promise: Promise<void>; release(): void };
  private counters = { inFlight: 0, maxInFlight: 0, total: 0, closedEarly: 0, connections: 0 };

  protected constructor(
    private readonly basePath: string,
    private readonly defaultModels: readonly string[],
  ) {
    super();
    this.models = [...defaultModels];
  }

  /** Requests being answered right now. */
  get inFlight(): number {
    return this.counters.inFlight;
  }

  /** Highest `inFlight` since start or reset. */
  get maxInFlight(): number {
    return this.counters.maxInFlight;
  }

  get total(): number {
    return this.counters.total;
  }

  /** The most requests that arrived within any `windowMs` (a sliding window over arrival times). */
  maxArrivalsWithin(windowMs: number): number {
    const times = this.received.map((r) => r.at).sort((a, b) => a - b);
    let most = 0;
    for (let first = 0, last = 0; last < times.length; last++) {
      while (times[last] - times[first] >= windowMs) first++;
      most = Math.max(most, last - first + 1);
    }
    return most;
  }

  /** TCP connections accepted; fewer than `total` when clients keep connections alive. */
  get connections(): number {
    return this.counters.connections;
  }

  /** Requests whose client closed the connection before the answer ended. */
  get closedEarly(): number {
    return this.counters.closedEarly;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What a deployment's `api_base` should be. */
  get url(): string {
    return this.origin + this.basePath;
  }

  start(port = 0): Promise<number> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on('connection', () => this.counters.connections++);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Forgets the recorded requests and counters and restores the default behaviour. */
  reset(): void {
    this.received.length = 0;
    this.delayMs = 0;
    this.chunkDelayMs = 0;
    this.reportedTokens = undefined;
    this.models = [...this.defaultModels];
    this.failures = [];
    this.streamBreaks = [];
    this.held?.release();
    this.counters = { inFlight: this.counters.inFlight, maxInFlight: this.counters.inFlight, total: 0, closedEarly: 0, connections: 0 };
  }

  /**
   * Holds every chat request (after `delayMs`) until the returned function is called or the
   * client goes away: a call stays in flight for exactly as long as a test needs. `reset()`
   * releases it too.
   */
  hold(): () => void {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    const held = {
      promise,
      release: () => {
        if (this.held === held) this.held = undefined;
        open();
      },
    };
    this.held = held;
    return held.release;
  }

  /** What to answer to a chat request: {@link answerFor}, with `reportedTokens` when set. */
  protected answerTo(body: Record<string, unknown>): FakeAnswer {
    const answer = answerFor(body);
    return this.reportedTokens ? { ...answer, promptTokens: this.reportedTokens.prompt, completionTokens: this.reportedTokens.completion } : answer;
  }

  /** The next `n` chat requests fail with `status`, in the provider's error shape unless `body` is an object. */
  failNext(n: number, status: number, body?: string | object, headers?: Record<string, string>): void {
    for (let i = 0; i < n; i++) this.failures.push({ status, body, headers });
  }

  /**
   * The next streamed answer breaks off after `afterPieces` of its pieces (HTTP 200 already sent):
   * with the provider's in-stream error object carrying `message`, then a normal end, or, without
   * a message, by destroying the connection (which `closedEarly` counts too).
   */
  breakNextStream(afterPieces: number, message?: string): void {
    this.streamBreaks.push({ afterPieces, message });
  }

  protected abstract route(request: ReceivedRequest, res: ServerResponse): Promise<void>;

  /** The provider's error body for a message. */
  protected abstract errorBody(status: number, message: string): object;

  /** The provider's error as one piece of a streamed answer (an SSE event, an NDJSON line). */
  protected abstract streamErrorPiece(message: string): string;

  /**
   * Call before answering a chat request: takes a scheduled failure, waits `delayMs`, then sends
   * the failure. True when the caller should go on and answer.
   */
  protected async beginChat(res: ServerResponse): Promise<boolean> {
    const failure = this.failures.shift();
    if (this.delayMs > 0) await this.pause(this.delayMs, res);
    if (this.held) await this.until(this.held.promise, res);
    if (res.destroyed) return false;
    if (!failure) return true;
    const body = typeof failure.body === 'object' ? failure.body : this.errorBody(failure.status, failure.body ?? `fake failure (HTTP ${failure.status})`);
    sendJson(res, failure.status, body, failure.headers);
    return false;
  }

  /** Writes `pieces` one by one, `chunkDelayMs` apart, stopping if the client goes away or where {@link breakNextStream} said. */
  protected async stream(res: ServerResponse, contentType: string, pieces: string[]): Promise<void> {
    const broken = this.streamBreaks.shift();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
    for (const [i, piece] of pieces.entries()) {
      if (i > 0 && this.chunkDelayMs > 0) await this.pause(this.chunkDelayMs, res);
      if (res.destroyed) return;
      if (broken && i === broken.afterPieces) return this.breakStream(res, broken);
      res.write(piece);
    }
    res.end();
  }

  private breakStream(res: ServerResponse, broken: ScheduledStreamBreak): void {
    if (broken.message === undefined) res.destroy();
    else res.end(this.streamErrorPiece(broken.message));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const counters = this.counters;
    counters.total++;
    counters.inFlight++;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
    const request: ReceivedRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://fake').pathname,
      url: req.url ?? '/',
      headers: req.headers,
      body: undefined,
      at: Date.now(),
    };
    res.once('close', () => {
      this.counters.inFlight--;
      if (res.writableFinished) return;
      this.counters.closedEarly++;
      this.emit('closedEarly', request);
    });
    try {
      request.body = parseBody(await readText(req));
      this.received.push(request);
      await this.route(request, res);
    } catch (error) {
      if (res.headersSent) res.destroy();
      else if (!res.destroyed) sendJson(res, 500, this.errorBody(500, `fake upstream failed: ${(error as Error).message}`));
    }
  }

  /** Resolves when `released` does, or as soon as the client goes away. */
  private until(released: Promise<void>, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        res.off('close', done);
        resolve();
      };
      void released.then(done);
      res.once('close', done);
    });
  }

  /** Resolves after `ms`, or as soon as the client goes away. */
  private pause(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      res.once('close', done);
    });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Splits text into word-sized pieces that concatenate back to it exactly. */
export function splitIntoPieces(text: string): string[] {
  return text.split(/(?<=\s)/);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** See {@link FakeAnswer} for the rules. */
export function answerFor(body: Record<string, unknown>): FakeAnswer {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
  const promptTokens = messages.reduce((sum, message) => sum + countWords(messageText(message)), 0);
  const last = messages.at(-1);
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const userText = lastUser ? messageText(lastUser) : '';
  const tool = Array.isArray(body.tools) ? body.tools.find(isRecord) : undefined;
  if (tool && last?.role !== 'tool') {
    const name = isRecord(tool.function) && typeof tool.function.name === 'string' ? tool.function.name : 'tool';
    const args = { text: userText };
    return { kind: 'tool_call', name, arguments: args, promptTokens, completionTokens: countWords(JSON.stringify(args)) };
  }
  const content = last?.role === 'tool' ? `tool result: ${messageText(last)}` : asksForSchema(body) ? JSON.stringify({ echo: userText }) : `echo: ${userText}`;
  return { kind: 'text', content, promptTokens, completionTokens: countWords(content) };
}

/**
 * What a fake answers to a legacy completion (OpenAI's `/v1/completions`, Ollama's
 * `/api/generate`): `"echo: <prompt>"` for each prompt (token ids are written as numbers joined
 * by spaces). Token counts are whitespace-separated words, as for chat.
 */
export function completionAnswersFor(prompt: unknown): Array<{ prompt: string; content: string; promptTokens: number; completionTokens: number }> {
  const prompts = Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number' ? prompt : [prompt];
  return prompts.map((item: unknown) => {
    const text = typeof item === 'string' ? item : Array.isArray(item) ? item.join(' ') : '';
    const content = `echo: ${text}`;
    return { prompt: text, content, promptTokens: countWords(text), completionTokens: countWords(content) };
  });
}

/** JSON following a schema: OpenAI's `response_format` of type `json_schema`, or Ollama's `format` holding a schema. */
function asksForSchema(body: Record<string, unknown>): boolean {
  return (isRecord(body.response_format) && body.response_format.type === 'json_schema') || isRecord(body.format);
}

/** A message's text: its string content, or its text parts joined with "\n". */
function messageText(message: Record<string, unknown>): string {
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content
    .filter((part): part is { text: string } => isRecord(part) && part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Length of the fakes' embeddings unless `dimensions` asks for fewer. */
export const FAKE_EMBEDDING_DIMENSIONS = 8;

/**
 * The fakes' embedding of one input (a text or token ids), derived only from it so tests can
 * predict it: multiples of 1/256 in [-0.5, 0.5), which float32 holds exactly (base64 round trips
 * give the same numbers), the first `dimensions` of {@link FAKE_EMBEDDING_DIMENSIONS}.
 */
export function fakeEmbedding(input: string | readonly number[], dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const text = typeof input === 'string' ? input : input.join(',');
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.codePointAt(0)!, 16777619) >>> 0;
  return Array.from({ length: Math.min(dimensions, FAKE_EMBEDDING_DIMENSIONS) }, (_, i) => (((hash >>> (i * 3)) + i * 37) % 256) / 256 - 0.5);
}

/** The fakes' token count of one embedding input: its words, or its token ids. */
export function fakeEmbeddingTokens(input: string | readonly number[]): number {
  return typeof input === 'string' ? countWords(input) : input.length;
}
