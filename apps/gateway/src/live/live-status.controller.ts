import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { dependencyUnavailable, queueName } from '@app/contracts';
import { CallDispatcher, isMetered } from '@app/queue';
import { AdminOnly } from '../auth/auth.decorators';
import { ModelCatalog } from '../models/model-catalog.service';
import { Router } from '../routing/router.service';

/** A deployment's state: `paused` after an upstream 429 (every worker holds its calls), `cooling_down` after repeated failures (this gateway routes around it). */
export type DeploymentState = 'serving' | 'cooling_down' | 'paused';

async function orRedisUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw dependencyUnavailable('queue', err);
  }
}

/**
 * What the queues and deployments are doing now, for the admin UI's Queues and Models pages.
 * Queue depth, waits, workers and 429 pauses are read from Redis (shared by every replica);
 * cooldowns, calls in flight here and recent latency/error rate are this gateway's own.
 */
@ApiTags('Live status (admin)')
@ApiBearerAuth()
@Controller()
@AdminOnly()
export class LiveStatusController {
  constructor(
    private readonly dispatcher: CallDispatcher,
    private readonly catalog: ModelCatalog,
    private readonly router: Router,
  ) {}

  @Get('queue/status')
  @ApiOperation({
    summary:
      'Per backend queue: jobs waiting, active (calls in flight) and delayed, wait percentiles of the latest jobs, and the workers consuming it with their concurrency',
  })
  async queueStatus() {
    const data = await orRedisUnavailable(this.dispatcher.queueStatus());
    return { data: data.sort((a, b) => a.queue.localeCompare(b.queue)), time: new Date().toISOString() };
  }

  @Get('model/status')
  @ApiOperation({
    summary:
      'Per deployment: serving, cooling_down (this gateway) or paused (after an upstream 429), calls in flight (all workers, for a deployment with rpm, tpm or max_parallel_requests; else null) and here, and recent latency and error rate as this gateway saw them',
  })
  async modelStatus() {
    const now = Date.now();
    const deployments = this.catalog.models.deployments();
    const loads = await orRedisUnavailable(Promise.all(deployments.map((d) => this.dispatcher.deploymentLoad(d.id))));
    const data = deployments.map((d, i) => {
      const live = this.router.liveState(d.id, now);
      const pausedUntil = loads[i].pausedUntil;
      const state: DeploymentState = pausedUntil > now ? 'paused' : live.coolingUntil > now ? 'cooling_down' : 'serving';
      return {
        model_name: d.modelName,
        model_id: d.id,
        provider: d.provider,
        queue: queueName(d.backend),
        state,
        paused_until: pausedUntil ? new Date(pausedUntil).toISOString() : null,
        cooling_down_until: live.coolingUntil ? new Date(live.coolingUntil).toISOString() : null,
        // Only a deployment with a limit has its calls counted across workers.
        in_flight: isMetered(d) ? loads[i].inFlight : null,
        in_flight_here: live.inFlight,
        recent: live.recent,
      };
    });
    return { data, time: new Date(now).toISOString() };
  }
}
