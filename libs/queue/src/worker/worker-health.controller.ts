import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { LIVENESS_BODY, answerHealth } from '../health/health-response';
import { PingHealthIndicator } from '../health/ping-health.indicator';
import { QueueConsumer } from './queue-consumer';

/** Worker probes on HEALTH_PORT: the same paths as the gateway's. */
@Controller('health')
export class WorkerHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly ping: PingHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(QueueConsumer) private readonly consumer: QueueConsumer,
  ) {}

  @Get(['liveliness', 'liveness'])
  live() {
    return LIVENESS_BODY;
  }

  @Get('readiness')
  ready(@Res({ passthrough: true }) res: Response) {
    return answerHealth(res, () =>
      this.health.check([
        () => this.ping.pingCheck('redis', () => this.consumer.ping()),
        async () => {
          const indicator = this.indicators.check('worker');
          if (this.consumer.isStopping()) return indicator.down({ message: 'shutting down' });
          return this.consumer.isRunning() ? indicator.up() : indicator.down({ message: 'not consuming its queue' });
        },
      ]),
    );
  }
}
