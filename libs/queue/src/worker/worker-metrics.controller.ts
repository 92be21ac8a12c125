import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { WorkerConfig } from '@app/config';
import { WorkerMetrics, answerMetrics } from '@app/observability';

/** Prometheus scrape target on the worker's HEALTH_PORT; open unless METRICS_KEY is set. */
@Controller()
export class WorkerMetricsController {
  constructor(
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
  ) {}

  @Get('metrics')
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerMetrics(this.metrics.registry, this.config.env.METRICS_KEY, req, res);
  }
}
