import { LoginAttempts } from './login-attempts';

describe('LoginAttempts', () => {
  it('blocks an address after too many failures until its window ends, and only that address', () => {
    const attempts = new LoginAttempts(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(attempts.blockedFor('10.0.0.1', 1_000)).toBe(0);
      attempts.failed('10.0.0.1', 1_000 + i);
    }
    expect(attempts.blockedFor('10.0.0.1', 2_000)).toBe(59_000);
    expect(attempts.blockedFor('10.0.0.2', 2_000)).toBe(0);
    expect(attempts.blockedFor('10.0.0.1', 61_000)).toBe(0);
  });

  it('takes a higher count kept elsewhere, with the window it ends with', () => {
    const attempts = new LoginAttempts(3, 60_000);
    attempts.failed('a', 0);
    attempts.merge('a', 3, 50_000, 10_000);
    expect(attempts.blockedFor('a', 10_000)).toBe(40_000);
    attempts.merge('b', 2, 50_000, 10_000);
    expect(attempts.blockedFor('b', 10_000)).toBe(0);
    attempts.failed('b', 10_001);
    expect(attempts.blockedFor('b', 10_002)).toBe(39_998);
  });

  it('tracks a bounded number of addresses', () => {
    const attempts = new LoginAttempts(1, 60_000, 2);
    attempts.failed('a', 0);
    attempts.failed('b', 0);
    attempts.failed('c', 0);
    expect(attempts.blockedFor('a', 1)).toBe(0);
    expect(attempts.blockedFor('c', 1)).toBeGreaterThan(0);
  });
});
