import {
  malformedAnswerError,
  mapUpstreamError,
  parseRetryAfterMs,
  redactSecrets,
  upstreamConnectionError,
  upstreamTimeoutError,
} from './upstream-error.mapper';

const openaiError = (message: string, fields: { param?: string; code?: string } = {}) =>
  JSON.stringify({ error: { message, type: 'invalid_request_error', param: fields.param ?? null, code: fields.code ?? null } });
const ollamaError = (message: string) => JSON.stringify({ error: message });

describe('mapUpstreamError', () => {
  // The request's own 4xx are the caller's; the deployment's credentials, limits and failures are the deployment's.
  it.each([
    // [provider, status, body, headers, expected]
    [
      'openai',
      400,
      openaiError('bad temperature', { param: 'temperature' }),
      {},
      {
        code: 'invalid_request',
        status: 400,
        param: 'temperature',
        retryable: false,
        message: 'openai upstream: bad temperature',
        fault: 'caller',
        upstreamStatus: 400,
      },
    ],
    ['openai', 422, openaiError('unprocessable'), {}, { code: 'invalid_request', status: 400, retryable: false, fault: 'caller', upstreamStatus: 422 }],
    [
      'ollama',
      404,
      ollamaError('model "x" not found, try pulling it first'),
      {},
      { code: 'model_not_found', status: 404, message: 'ollama upstream: model "x" not found, try pulling it first', fault: 'caller', upstreamStatus: 404 },
    ],
    [
      'openai',
      401,
      openaiError('Incorrect API key provided'),
      {},
      {
        code: 'upstream_error',
        status: 502,
        retryable: false,
        message: "openai upstream rejected the deployment's credentials (HTTP 401): Incorrect API key provided",
        fault: 'deployment',
        upstreamStatus: 401,
      },
    ],
    [
      'openai',
      403,
      '',
      {},
      {
        code: 'upstream_error',
        status: 502,
        retryable: false,
        message: "openai upstream rejected the deployment's credentials (HTTP 403)",
        fault: 'deployment',
        upstreamStatus: 403,
      },
    ],
    ['ollama', 408, ollamaError('slow'), {}, { code: 'timeout', status: 504, retryable: true, fault: 'deployment', upstreamStatus: 408 }],
    [
      'openai',
      429,
      openaiError('Rate limit reached'),
      { 'retry-after-ms': '1500' },
      { code: 'rate_limit_exceeded', status: 429, retryable: true, retryAfterMs: 1500, fault: 'deployment', upstreamStatus: 429 },
    ],
    [
      'openai',
      429,
      openaiError('You exceeded your current quota', { code: 'insufficient_quota' }),
      {},
      { code: 'rate_limit_exceeded', status: 429, retryable: false, fault: 'deployment', upstreamStatus: 429 },
    ],
    [
      'ollama',
      503,
      ollamaError('server busy'),
      { 'retry-after': '3' },
      { code: 'upstream_unavailable', status: 503, retryable: true, retryAfterMs: 3000, fault: 'deployment', upstreamStatus: 503 },
    ],
    [
      'ollama',
      500,
      ollamaError('llama runner process has terminated'),
      {},
      {
        code: 'upstream_error',
        status: 502,
        retryable: true,
        message: 'ollama upstream: llama runner process has terminated',
        fault: 'deployment',
        upstreamStatus: 500,
      },
    ],
    [
      'openai',
      502,
      '<html>Bad Gateway</html>',
      {},
      { code: 'upstream_error', status: 502, retryable: true, message: 'openai upstream answered HTTP 502', fault: 'deployment', upstreamStatus: 502 },
    ],
    [
      'openai',
      413,
      openaiError('too large', { param: 'messages' }),
      {},
      { code: 'invalid_request', status: 413, param: 'messages', retryable: false, fault: 'caller', upstreamStatus: 413 },
    ],
    [
      'openai',
      302,
      '',
      {},
      { code: 'upstream_error', status: 502, retryable: false, message: 'openai upstream answered HTTP 302', fault: 'deployment', upstreamStatus: 302 },
    ],
    [
      'openai',
      400,
      JSON.stringify({ detail: 'not an error shape' }),
      {},
      { code: 'invalid_request', message: 'openai upstream answered HTTP 400', fault: 'caller', upstreamStatus: 400 },
    ],
  ])('%s %i %s', (provider, status, body, headers, expected) => {
    const error = mapUpstreamError({ provider, status, body, headers });
    expect(error).toMatchObject(expected);
    expect(error.toBody().error.code).toBe(expected.code);
  });

  it('cuts very long upstream messages', () => {
    const error = mapUpstreamError({ provider: 'ollama', status: 500, body: ollamaError('x'.repeat(5000)), headers: {} });
    expect(error.message.length).toBeLessThan(1100);
  });

  it.each([
    ['an OpenAI key', 'Incorrect API key provided: sk-proj-abcdefghijklmnop1234.', 'sk-proj-abcdefghijklmnop1234'],
    ['a masked key', 'Incorrect API key provided: sk-ab*****************wxyz.', 'wxyz'],
    ['a bearer token', 'header was Bearer eyJhbGciOi.payload.sig', 'eyJhbGciOi'],
    ['the deployment key literal', 'token my-private-token-42 is revoked', 'my-private-token-42'],
  ])('redacts %s from the message', (_name, upstreamMessage, secret) => {
    const error = mapUpstreamError({
      provider: 'openai',
      status: 401,
      body: openaiError(upstreamMessage),
      headers: {},
      secrets: ['my-private-token-42'],
    });
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain('[redacted]');
  });
});

describe('redactSecrets', () => {
  it.each([
    ['key sk-1234567890abcdef here', undefined, 'key sk-[redacted] here'],
    ['Authorization: Bearer abc.def', undefined, 'Authorization: Bearer [redacted]'],
    ['literal ollama-key-1 twice ollama-key-1', 'ollama-key-1', 'literal [redacted] twice [redacted]'],
    ['short sk-abc stays', undefined, 'short sk-abc stays'],
    ['nothing to hide', '', 'nothing to hide'],
  ])('%j', (text, apiKey, expected) => {
    expect(redactSecrets(text, apiKey ? [apiKey] : [])).toBe(expected);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  it.each<[Record<string, string>, number | undefined]>([
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, 5000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '' }, undefined],
    [{ 'retry-after-ms': 'x', 'retry-after': '1' }, 1000],
    [{}, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(parseRetryAfterMs(headers, now)).toBe(expected);
  });
});

describe('transport failures', () => {
  it('a timeout is a retryable 504 naming the provider and the time', () => {
    expect(upstreamTimeoutError('ollama', 3000)).toMatchObject({
      code: 'timeout',
      status: 504,
      retryable: true,
      message: 'ollama upstream did not answer within 3000 ms',
    });
  });

  it('a connection failure is a retryable 502 whose message names no host; the detail (for the log) does', () => {
    const error = upstreamConnectionError('openai', 'api.openai.com:443', 'ENOTFOUND');
    expect(error).toMatchObject({
      code: 'upstream_error',
      status: 502,
      retryable: true,
      message: 'openai upstream could not be reached',
      detail: 'api.openai.com:443: ENOTFOUND',
    });
    expect(JSON.stringify(error.toWire())).not.toContain('api.openai.com');
  });

  it('a 2xx answer of the wrong shape is a 502', () => {
    expect(malformedAnswerError('openai', 'a chat completion')).toMatchObject({ code: 'upstream_error', status: 502, retryable: false });
  });
});
