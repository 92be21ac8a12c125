import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { maskUrlsIn } from '@app/contracts';

export type LogFormat = 'text' | 'json';

/** Nest's level names (the ones LOG_LEVEL has always taken) and pino's. */
const PINO_LEVEL: Record<string, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
  trace: 'trace',
};

/**
 * Field names that must never reach a log line, whoever logs an object with them: a second
 * line of defence behind the loggers that choose their fields.
 */
const REDACTED = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
];

export interface LoggerOptions {
  /** Where lines go; standard output by default. Tests pass their own. */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/**
 * The app logger: pino, at the configured level, as one JSON object a line (`json`) or as
 * pretty text (`text`). Writes are synchronous, so nothing is lost when a stopping app exits.
 */
export function createLogger(appName: string, level: string, format: LogFormat, options: LoggerOptions = {}): AppLogger {
  const destination =
    format === 'json'
      ? (options.destination ?? pino.destination({ dest: 1, sync: true }))
      : prettyPrinter()({
          destination: options.destination ?? 1,
          sync: true,
          colorize: !options.destination && Boolean(process.stdout.isTTY),
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,app,context',
          messageFormat: '{app} {if context}[{context}] {end}{msg}',
        });
  const root = pino(
    {
      level: PINO_LEVEL[level] ?? 'info',
      base: { app: appName },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: withMaskedUrls },
      redact: { paths: REDACTED, censor: '[redacted]' },
      // Credentials inside URLs (`https://user:pass@…`, `?api-key=…`) are masked in every message and error.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? maskUrlsIn(arg) : arg)) as Parameters<typeof method>);
        },
      },
      serializers: { err: (err: Error) => withMaskedUrls(pino.stdSerializers.err(err) as unknown as Record<string, unknown>) },
    },
    destination,
  );
  return new AppLogger(root);
}

/** pino-pretty, loaded only for `text`: a process logging JSON (production) carries none of it. */
function prettyPrinter(): typeof import('pino-pretty') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('pino-pretty') as typeof import('pino-pretty');
}

/** A line's fields with credentials in URLs masked in its text values. */
function withMaskedUrls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, typeof value === 'string' ? maskUrlsIn(value) : value]));
}

const STACK = /\n\s+at /;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Error);
}

/**
 * Nest's logger interface over pino. Nest calls it as `log(message, context)` and
 * `error(message, stack, context)`; a message may also be an object, whose fields become the
 * line's fields (`msg` is its text).
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  /** A pino logger for one part of the app, e.g. `child('HTTP')` for request lines. */
  child(context: string): Logger {
    return this.pino.child({ context });
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const fields: Record<string, unknown> = {};
    // Nest puts the context last; a stack trace passed without one looks like a context but is not.
    const last = rest.at(-1);
    if (typeof last === 'string' && !STACK.test(last)) fields.context = rest.pop();
    for (const param of rest) {
      if (typeof param === 'string' && STACK.test(param)) fields.stack = param;
      else if (param instanceof Error) fields.err = param;
      else if (isPlainObject(param)) Object.assign(fields, param);
    }
    let text: string;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (isPlainObject(message)) {
      const { msg, message: alt, ...others } = message;
      Object.assign(fields, others);
      const said = msg ?? alt ?? '';
      text = typeof said === 'string' ? said : JSON.stringify(said);
    } else {
      text = String(message);
    }
    this.pino[level](fields, text);
  }
}
