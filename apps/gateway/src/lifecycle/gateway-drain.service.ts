import { Injectable } from '@nestjs/common';

/**
 * What a stopping gateway waits for: HTTP requests being answered, and streamed calls whose
 * outcome (usage, spend) has not arrived yet. Once draining, readiness answers 503 and
 * answers carry `Connection: close`.
 */
@Injectable()
export class GatewayDrain {
  private work = 0;
  private draining = false;
  private readonly waiters = new Set<() => void>();

  get isDraining(): boolean {
    return this.draining;
  }

  /** Work in progress now. */
  get inProgress(): number {
    return this.work;
  }

  begin(): void {
    this.draining = true;
  }

  /** Counts one piece of work until the returned function is called (once). */
  hold(): () => void {
    this.work++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.work--;
      if (this.work === 0) for (const wake of [...this.waiters]) wake();
    };
  }

  /** Resolves true once no work is left, or false when `timeoutMs` passes first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.work === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(result);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }
}
