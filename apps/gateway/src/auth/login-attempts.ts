/**
 * Failed attempts per client address, in this gateway's memory: after `maxFailures` within
 * `windowMs` (counted from the first), the address is refused until the window ends, right
 * secret or not, so the master key cannot be guessed at request speed. A success forgives
 * nothing: whoever shares the address with the admin gets no new tries from the admin's logins.
 */
export class LoginAttempts {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 5 * 60_000,
    private readonly maxTracked = 10_000,
  ) {}

  /** Milliseconds until this address may try again; 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    const ends = entry.since + this.windowMs;
    if (ends <= now) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.maxFailures ? ends - now : 0;
  }

  failed(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (entry && entry.since + this.windowMs > now) {
      entry.count++;
      return;
    }
    this.track(address, { count: 1, since: now });
  }

  /** Takes a count kept elsewhere (other gateways' failures too) whose window ends at `endsAt`, when it is the higher. */
  merge(address: string, count: number, endsAt: number, now = Date.now()): void {
    const entry = this.failures.get(address);
    const current = entry && entry.since + this.windowMs > now ? entry.count : 0;
    if (count > current) this.track(address, { count, since: endsAt - this.windowMs });
  }

  private track(address: string, entry: { count: number; since: number }): void {
    if (!this.failures.has(address) && this.failures.size >= this.maxTracked) this.failures.delete(this.failures.keys().next().value as string);
    this.failures.set(address, entry);
  }
}
