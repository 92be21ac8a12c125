import { UnrecoverableError } from 'bullmq';
import { SwitchyardError, decodeWireError, encodeWireError, internalFailure } from '@app/contracts';
import { RetryLaterError } from '../chat-job.options';
import { isUpstreamRateLimit, jobFailure, tokensUsedByFailure } from './failure-policy';

const NOW = 1_000_000;
const job = (fields: { attempts?: number; attemptsMade?: number; deadline?: number } = {}) =>
  ({
    id: 'call-1',
    opts: { attempts: fields.attempts ?? 3 },
    attemptsMade: fields.attemptsMade ?? 0,
    data: { deadline: fields.deadline ?? NOW + 60_000 },
  }) as Parameters<typeof jobFailure>[0];
const log = () => ({ warn: jest.fn(), error: jest.fn() });
const retryable = new SwitchyardError('upstream_error', 'openai upstream: oops', { retryable: true });

describe('jobFailure', () => {
  it('retries a retryable failure after a backoff while attempts remain', () => {
    const failure = jobFailure(job(), retryable, log(), NOW);
    expect(failure).toBeInstanceOf(RetryLaterError);
    expect((failure as RetryLaterError).retryDelayMs).toBeGreaterThan(0);
    expect(decodeWireError(failure.message)).toMatchObject({ code: 'upstream_error', retryable: true });
  });

  it("waits at least the upstream's Retry-After before the retry", () => {
    const busy = new SwitchyardError('upstream_unavailable', 'busy', { retryable: true, retryAfterMs: 7_000 });
    expect((jobFailure(job(), busy, log(), NOW) as RetryLaterError).retryDelayMs).toBeGreaterThanOrEqual(7_000);
  });

  it.each([
    ["a failure that is not retryable (the caller's 400)", job(), new SwitchyardError('invalid_request', 'bad temperature', { param: 'temperature' })],
    ['the last attempt', job({ attempts: 3, attemptsMade: 2 }), retryable],
    ['a retry that could only start after the deadline', job({ deadline: NOW + 100 }), retryable],
  ])('ends the job for good on %s, the error encoded for the gateway', (_case, j, err) => {
    const failure = jobFailure(j, err, log(), NOW);
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(decodeWireError(failure.message)).toMatchObject({ code: err.code, message: err.message });
  });

  it('passes a failure already decided on as it is', () => {
    const decided = new UnrecoverableError(encodeWireError(retryable.toWire()));
    expect(jobFailure(job(), decided, log(), NOW)).toBe(decided);
  });

  it('turns an unexpected exception into a plain internal error, its stack in the log only', () => {
    const logs = log();
    const failure = jobFailure(job(), new TypeError('secret internals'), logs, NOW);
    expect(decodeWireError(failure.message)).toMatchObject({ code: 'internal_error', message: 'the worker failed while handling the call' });
    expect(failure.message).not.toContain('secret internals');
    expect(logs.error.mock.calls[0][0]).toContain('secret internals');
  });

  it("keeps a failure's detail (an address) in the log, out of what the gateway gets", () => {
    const logs = log();
    const failure = jobFailure(
      job(),
      internalFailure('upstream_error', 'openai upstream could not be reached', '10.1.2.3:443: ECONNREFUSED', { retryable: true }),
      logs,
      NOW,
    );
    expect(failure.message).not.toContain('10.1.2.3');
    expect(logs.warn).toHaveBeenCalledWith('job call-1: openai upstream could not be reached: 10.1.2.3:443: ECONNREFUSED');
  });
});

describe('tokensUsedByFailure', () => {
  it("counts what a broken-off stream used, nothing for the caller's own refusals, and leaves the estimate otherwise", () => {
    const broken = new UnrecoverableError(encodeWireError({ ...retryable.toWire(), usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
    expect(tokensUsedByFailure(broken)).toBe(15);
    expect(tokensUsedByFailure(new SwitchyardError('invalid_request', 'bad', { upstreamStatus: 400 }))).toBe(0);
    expect(tokensUsedByFailure(retryable)).toBeUndefined();
  });
});

describe('isUpstreamRateLimit', () => {
  it("is the upstream's retryable 429 only: a spent quota is not waited out", () => {
    expect(isUpstreamRateLimit(new SwitchyardError('rate_limit_exceeded', 'slow down', { retryable: true }))).toBe(true);
    expect(isUpstreamRateLimit(new SwitchyardError('rate_limit_exceeded', 'quota', { retryable: false }))).toBe(false);
    expect(isUpstreamRateLimit(retryable)).toBe(false);
  });
});
