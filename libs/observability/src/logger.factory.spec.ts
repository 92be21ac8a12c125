import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { createLogger } from './logger.factory';

/** A destination that keeps what was written, line by line. */
function capture() {
  const lines: string[] = [];
  let rest = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      done();
    },
  });
  return { stream, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('app logger', () => {
  it('writes one JSON object a line: level name, ISO time, app, context, message', () => {
    const out = capture();
    const logger = createLogger('gateway', 'log', 'json', { destination: out.stream });
    logger.log('listening', 'Gateway');
    const [line] = out.json();
    expect(line).toMatchObject({ level: 'info', app: 'gateway', context: 'Gateway', msg: 'listening' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('takes Nest’s call forms: a stack and a context, an object message, an Error', () => {
    const out = capture();
    const logger = createLogger('worker-openai', 'log', 'json', { destination: out.stream });
    const error = new Error('upstream gone');
    logger.error('job failed', error.stack, 'ChatWorkerHost');
    logger.warn({ msg: 'slow call', reqId: 'r-1', latencyMs: 1234 }, 'ChatWorkerHost');
    logger.error(error);
    const [withStack, structured, fromError] = out.json();
    expect(withStack).toMatchObject({ level: 'error', context: 'ChatWorkerHost', msg: 'job failed' });
    expect(String(withStack.stack)).toContain('upstream gone');
    expect(structured).toMatchObject({ level: 'warn', context: 'ChatWorkerHost', msg: 'slow call', reqId: 'r-1', latencyMs: 1234 });
    expect(fromError).toMatchObject({ level: 'error', msg: 'upstream gone' });
  });

  it('leaves out what is below LOG_LEVEL, and maps Nest’s level names to pino’s', () => {
    const out = capture();
    const logger = createLogger('gateway', 'warn', 'json', { destination: out.stream });
    logger.log('not shown');
    logger.debug('not shown either');
    logger.warn('shown');
    expect(out.json().map((l) => l.msg)).toEqual(['shown']);

    const verbose = capture();
    const chatty = createLogger('gateway', 'verbose', 'json', { destination: verbose.stream });
    chatty.verbose('every detail');
    expect(verbose.json()[0]).toMatchObject({ level: 'trace', msg: 'every detail' });
  });

  it('never writes an authorization header or an api_key, whoever logs an object holding one', () => {
    const out = capture();
    const logger = createLogger('gateway', 'log', 'json', { destination: out.stream });
    logger.log({ msg: 'careless', headers: { authorization: 'Bearer sk-secret-1' }, litellm_params: { api_key: 'sk-secret-2' } });
    expect(out.lines.join('\n')).not.toMatch(/sk-secret/);
    expect(out.json()[0]).toMatchObject({ headers: { authorization: '[redacted]' }, litellm_params: { api_key: '[redacted]' } });
  });

  it('masks credentials inside URLs in messages, fields, stacks and errors, whoever logs them', () => {
    const out = capture();
    const logger = createLogger('worker-openai', 'log', 'json', { destination: out.stream });
    const url = 'http://proxy-user:url-password@10.0.0.5:8000/v1?api-key=url-query-key';
    const error = new Error(`cannot reach ${url}`);
    logger.warn(`calling ${url} failed`, 'ChatWorkerHost');
    logger.error('job failed', error.stack, 'ChatWorkerHost');
    logger.error(error);
    logger.log({ msg: 'structured', target: url });
    logger.child('HTTP').info({ route: url }, `request to ${url}`);
    const text = out.lines.join('\n');
    expect(text).not.toMatch(/url-password|url-query-key|proxy-user/);
    expect(out.json()[0].msg).toBe('calling http://****@10.0.0.5:8000/v1?api-key=**** failed');
    expect(out.lines).toHaveLength(5);
  });

  it('writes pretty text when LOG_FORMAT=text', () => {
    const out = capture();
    const logger = createLogger('worker-ollama', 'log', 'text', { destination: out.stream });
    logger.log('consuming chat-ollama', 'ChatWorkerHost');
    expect(out.lines[0]).toMatch(/INFO.*worker-ollama \[ChatWorkerHost\] consuming chat-ollama/);
    expect(() => JSON.parse(out.lines[0])).toThrow();
  });

  it('is what Nest’s Logger writes through once installed', () => {
    const out = capture();
    Logger.overrideLogger(createLogger('gateway', 'log', 'json', { destination: out.stream }));
    try {
      new Logger('KeysService').log('key created');
    } finally {
      Logger.overrideLogger(true);
    }
    expect(out.json()[0]).toMatchObject({ context: 'KeysService', msg: 'key created' });
  });
});
