import { type ErrorCode, SwitchyardError } from '@app/contracts';
import { isMessagesApiPath, messagesErrorAnswer } from './messages-errors';

describe('messagesErrorAnswer', () => {
  it.each<[ErrorCode, number, string]>([
    ['invalid_request', 400, 'invalid_request_error'],
    ['missing_api_key', 401, 'authentication_error'],
    ['invalid_api_key', 401, 'authentication_error'],
    ['model_not_allowed', 403, 'permission_error'],
    ['model_not_found', 404, 'not_found_error'],
    ['not_found', 404, 'not_found_error'],
    ['request_too_large', 413, 'request_too_large'],
    ['unsupported_media_type', 415, 'invalid_request_error'],
    ['rate_limit_exceeded', 429, 'rate_limit_error'],
    ['budget_exceeded', 429, 'rate_limit_error'],
    ['tokens_over_limit', 429, 'rate_limit_error'],
    ['queue_full', 529, 'overloaded_error'],
    ['internal_error', 500, 'api_error'],
    ['upstream_error', 502, 'api_error'],
    ['no_worker_available', 503, 'api_error'],
    ['service_unavailable', 503, 'api_error'],
    ['timeout', 504, 'timeout_error'],
  ])('%s is %i %s', (code, status, type) => {
    const answer = messagesErrorAnswer(new SwitchyardError(code, 'what happened'), 'req-1');
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({
      type: 'error',
      error: { type, message: status >= 500 && code !== 'queue_full' ? 'what happened (request id req-1)' : 'what happened' },
      request_id: 'req-1',
    });
  });

  it("keeps an upstream's own 4xx status", () => {
    expect(messagesErrorAnswer(new SwitchyardError('invalid_request', 'too long', { status: 422 }), 'r').status).toBe(422);
  });
});

describe('isMessagesApiPath', () => {
  it.each([
    ['/v1/messages', true],
    ['/v1/messages/count_tokens', true],
    ['/v1/messages/batches', true],
    ['/v1/messagesx', false],
    ['/v1/chat/completions', false],
    ['/messages', false],
  ])('%s: %s', (path, expected) => {
    expect(isMessagesApiPath(path)).toBe(expected);
  });
});
