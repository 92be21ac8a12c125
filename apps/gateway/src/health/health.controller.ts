import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import type { Response } from 'express';
import { CallDispatcher, LIVENESS_BODY, PingHealthIndicator, answerHealth } from '@app/queue';
import { Public } from '../auth/auth.decorators';
import { GatewayDrain } from '../lifecycle/gateway-drain.service';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

/**
 * LiteLLM's probe paths. Liveness checks nothing external; readiness checks Postgres and Redis,
 * and answers 503 from the moment the gateway starts stopping.
 */
@ApiTags('Health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataSource: DataSource,
    private readonly ping: PingHealthIndicator,
    @Inject(CallDispatcher) private readonly dispatcher: CallDispatcher,
    private readonly indicators: HealthIndicatorService,
    private readonly drain: GatewayDrain,
  ) {}

  @Get(['liveliness', 'liveness'])
  @ApiOperation({ summary: 'The process is up (checks nothing else); no key needed' })
  live() {
    return LIVENESS_BODY;
  }

  @Get('readiness')
  @ApiOperation({ summary: 'Postgres and Redis reachable and not shutting down; 503 naming the failing part; no key needed' })
  ready(@Res({ passthrough: true }) res: Response) {
    return answerHealth(res, () =>
      this.health.check([
        async () => {
          const indicator = this.indicators.check('gateway');
          return this.drain.isDraining ? indicator.down({ message: 'shutting down' }) : indicator.up();
        },
        () => this.ping.pingCheck('postgres', () => this.dataSource.query('SELECT 1')),
        () => this.ping.pingCheck('redis', () => this.dispatcher.ping()),
      ]),
    );
  }
}
