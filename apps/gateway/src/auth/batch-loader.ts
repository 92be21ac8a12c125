interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

export interface BatchLoaderOptions {
  /** Queries running at once; lookups that arrive meanwhile wait and share the next one. */
  maxInFlight: number;
  /** Keys one query asks for at most. */
  maxBatch: number;
  /** Time between the starts of two queries, at least: lookups that arrive meanwhile wait and go together. */
  minGapMs: number;
}

/**
 * Loads values by key with few queries. A lookup starts a query at once when the last one started
 * `minGapMs` ago or more and fewer than `maxInFlight` run; otherwise it waits, and every lookup
 * that waited goes in the next query. So however many lookups arrive, and however fast, there are
 * at most 1000 / `minGapMs` queries a second, each for up to `maxBatch` keys; a lookup waits
 * `minGapMs` at most unless the queries themselves are slow. A key being read is not read again.
 */
export class BatchLoader<V> {
  private readonly waiting = new Map<string, Array<Waiter<V>>>();
  /** Keys of the queries running now, with their waiters. */
  private readonly reading = new Map<string, Array<Waiter<V>>>();
  private running = 0;
  private lastStart = -Infinity;
  private timer?: NodeJS.Timeout;

  constructor(
    /** The values found for `keys`; a key it has no value for resolves as `undefined`. */
    private readonly query: (keys: string[]) => Promise<Map<string, V>>,
    private readonly options: BatchLoaderOptions,
  ) {}

  load(key: string): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiters = this.reading.get(key) ?? this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer || this.running >= this.options.maxInFlight || this.waiting.size === 0) return;
    const wait = this.lastStart + this.options.minGapMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    this.lastStart = Date.now();
    const batch = new Map<string, Array<Waiter<V>>>();
    for (const [key, waiters] of this.waiting) {
      if (batch.size === this.options.maxBatch) break;
      batch.set(key, waiters);
    }
    for (const [key, waiters] of batch) {
      this.waiting.delete(key);
      this.reading.set(key, waiters);
    }
    this.running++;
    // One step: a lookup of a key that arrives after this can no longer join the finished query.
    const settle = (each: (waiter: Waiter<V>, key: string) => void) => {
      for (const key of batch.keys()) this.reading.delete(key);
      this.running--;
      batch.forEach((waiters, key) => waiters.forEach((waiter) => each(waiter, key)));
      this.pump();
    };
    this.query([...batch.keys()]).then(
      (found) => settle((waiter, key) => waiter.resolve(found.get(key))),
      (error: unknown) => settle((waiter) => waiter.reject(error)),
    );
    // More than one batch waiting: the next goes after the gap.
    this.pump();
  }
}
