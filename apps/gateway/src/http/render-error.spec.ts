import { Logger, ServiceUnavailableException } from '@nestjs/common';
import type { Request } from 'express';
import { QueryFailedError } from 'typeorm';
import { SwitchyardError, dependencyUnavailable } from '@app/contracts';
import { orUnavailable } from './or-unavailable';
import { errorAnswer, errorBody, toSwitchyardError } from './render-error';

const req = { requestId: 'req-1', method: 'GET', path: '/x' } as Request;
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const rendered = (err: unknown) => JSON.stringify(errorBody(toSwitchyardError(err, req), req.requestId));

describe('errors a client sees', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('an unknown exception is a plain 500 with the request id; its words stay in the detail', () => {
    const error = toSwitchyardError(new TypeError("Cannot read properties of undefined (reading 'x')"), req);
    expect(error).toMatchObject({ code: 'internal_error', status: 500, detail: "TypeError: Cannot read properties of undefined (reading 'x')" });
    expect(errorBody(error, 'req-1').error.message).toBe('internal error (request id req-1)');
  });

  it('a connection failure nobody classified is a 503, not a 500, and shows no address', () => {
    expect(toSwitchyardError(refused, req)).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(rendered(refused)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432/);
  });

  it('a 5xx HttpException from a library shows its status, not its message', () => {
    expect(rendered(new ServiceUnavailableException('pool at db.internal:6432 exhausted'))).not.toContain('db.internal');
  });

  it('a dependency failure crosses neither the answer nor the queue with its detail', () => {
    const error = dependencyUnavailable('database', refused);
    expect(error.detail).toBe('Error: connect ECONNREFUSED 127.0.0.1:5432');
    expect(JSON.stringify(error.toWire())).not.toContain('ECONNREFUSED');
    expect(rendered(error)).toBe(
      JSON.stringify({
        error: { message: 'the database is unavailable; retry shortly (request id req-1)', type: 'api_error', param: null, code: 'service_unavailable' },
      }),
    );
  });

  it('client errors keep their message and get no request id appended', () => {
    expect(rendered(new SwitchyardError('invalid_request', "'model' is required"))).toContain(`"'model' is required"`);
  });
});

describe('errorAnswer', () => {
  const full = new SwitchyardError('queue_full', 'the queue is full');

  it.each([
    ['/v1/messages', 529, { type: 'error', error: { type: 'overloaded_error', message: 'the queue is full' }, request_id: 'req-1' }],
    ['/v1/messages/count_tokens', 529, { type: 'error', error: { type: 'overloaded_error', message: 'the queue is full' }, request_id: 'req-1' }],
    ['/v1/chat/completions', 429, { error: { message: 'the queue is full', type: 'rate_limit_error', param: null, code: 'queue_full' } }],
  ])("answers on %s in that API's shape and status", (path, status, body) => {
    expect(errorAnswer(full, { path, requestId: 'req-1' })).toEqual({ status, body });
  });
});

describe('orUnavailable', () => {
  const failedQuery = (driverError: object) => new QueryFailedError('SELECT 1', [], Object.assign(new Error('driver'), driverError));

  it('turns an unreachable Postgres into a plain 503, also when TypeORM wraps the driver error', async () => {
    for (const err of [
      refused,
      failedQuery({ message: 'Connection terminated unexpectedly' }),
      failedQuery({ code: '08006' }),
      failedQuery({ code: '57P01' }),
    ]) {
      await expect(orUnavailable(Promise.reject(err))).rejects.toMatchObject({
        code: 'service_unavailable',
        message: 'the database is unavailable; retry shortly',
      });
    }
  });

  it('rethrows a failed query as it is, for its caller (a unique violation) or a plain 500', async () => {
    const unique = failedQuery({ code: '23505' });
    await expect(orUnavailable(Promise.reject(unique))).rejects.toBe(unique);
  });
});
