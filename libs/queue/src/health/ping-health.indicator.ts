import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';

const PING_TIMEOUT_MS = 1_500;

/**
 * Terminus indicator for a dependency (Postgres, Redis): up when `ping` answers within the
 * timeout. Probes are open to anyone, so a failure is named, never described: no address, no
 * driver message.
 */
@Injectable()
export class PingHealthIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async pingCheck(key: string, ping: () => Promise<unknown>) {
    const indicator = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      await Promise.race([
        ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(new Error('timeout'));
          }, PING_TIMEOUT_MS);
        }),
      ]);
      return indicator.up();
    } catch {
      return indicator.down({ message: timedOut ? `no answer within ${PING_TIMEOUT_MS} ms` : 'unreachable' });
    } finally {
      clearTimeout(timer);
    }
  }
}
