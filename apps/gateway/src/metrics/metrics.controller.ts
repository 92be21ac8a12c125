import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GatewayConfig } from '@app/config';
import { GatewayMetrics, answerMetrics } from '@app/observability';
import { Public } from '../auth/auth.decorators';

/** Prometheus scrape target. Open like the probes unless METRICS_KEY is set. */
@ApiTags('Health')
@Controller()
@Public()
export class MetricsController {
  constructor(
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Get('metrics')
  @ApiOperation({ summary: 'Metrics in Prometheus text format; `Authorization: Bearer <METRICS_KEY>` when METRICS_KEY is set' })
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerMetrics(this.metrics.registry, this.config.env.METRICS_KEY, req, res);
  }
}
