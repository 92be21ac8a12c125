import { type BeforeApplicationShutdown, type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type IORedis from 'ioredis';
import { WorkerConfig } from '@app/config';
import { WorkerMetrics, createMetricsRegistry, registerQueueDepthGauge } from '@app/observability';
import { PingHealthIndicator } from '../health/ping-health.indicator';
import { DeploymentLimiter } from '../limits/deployment-limiter';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import { DeploymentGate } from './deployment-gate';
import { JobRunner } from './job-runner';
import { QueueConsumer } from './queue-consumer';
import { StreamPublisher } from './stream-publisher';
import { warmUpDeployments } from './warm-up';
import { WireOperations } from './wire-operations';
import { WorkerHealthController } from './worker-health.controller';
import { WorkerMetricsController } from './worker-metrics.controller';

/** The worker's Redis connections, limiter and upstream operations: what is closed once the consumer has stopped. */
class WorkerResources {
  constructor(
    readonly connection: IORedis,
    /** Without BullMQ's or the limiter's scripts: see `QueueConsumerOptions.replies`. */
    readonly replies: IORedis,
    readonly limiter: DeploymentLimiter,
    readonly operations: WireOperations,
  ) {}
}

/**
 * Starts consuming once the app is up; on shutdown stops taking jobs and finishes those in
 * hand, putting back on the queue what is still running after SHUTDOWN_GRACE; then closes the
 * limiter, the upstream HTTP pool and Redis, in that order.
 */
@Injectable()
class WorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(QueueConsumer) private readonly consumer: QueueConsumer,
    @Inject(WorkerResources) private readonly resources: WorkerResources,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
  ) {}

  async onApplicationBootstrap() {
    await this.consumer.start();
    // In the background: jobs are taken meanwhile (a call for a model still loading waits for it, as it would anyway).
    void warmUpDeployments(this.config, this.resources.operations, new Logger(`worker-${this.config.wire}`));
  }

  async beforeApplicationShutdown() {
    await this.consumer.close(this.config.env.SHUTDOWN_GRACE * 1000);
    this.resources.limiter.close();
    await this.resources.operations.close();
    await Promise.all([this.resources.connection, this.resources.replies].map(closeRedis));
  }
}

/**
 * Everything a worker app is: its config, the consumer of its wire's queues, the operations the
 * provider registry supplies for that wire, health and metrics endpoints. The app brings its config.
 */
@Module({})
export class WorkerModule {
  static register(config: WorkerConfig): DynamicModule {
    const app = `worker-${config.wire}`;
    return {
      module: WorkerModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [WorkerHealthController, WorkerMetricsController],
      providers: [
        { provide: WorkerConfig, useValue: config },
        // This app's own registry: several workers in one process (tests) keep their numbers apart.
        {
          provide: WorkerMetrics,
          useFactory: () =>
            new WorkerMetrics(
              createMetricsRegistry(),
              config.wire,
              config.queues.map((q) => q.queue),
            ),
        },
        {
          provide: WorkerResources,
          useFactory: () => {
            const connection = createRedisConnection(config.env.REDIS_URL, 'blocking', `switchyard:${app}`);
            const replies = createRedisConnection(config.env.REDIS_URL, 'blocking', `switchyard:${app}-replies`);
            return new WorkerResources(connection, replies, new DeploymentLimiter(connection, config.env.QUEUE_PREFIX), new WireOperations(config.wire));
          },
        },
        {
          provide: QueueConsumer,
          inject: [WorkerResources, WorkerMetrics],
          useFactory: ({ connection, replies, limiter, operations }: WorkerResources, metrics: WorkerMetrics) => {
            const log = new Logger(app);
            const runner = new JobRunner({
              wire: config.wire,
              deployments: config.deployments,
              operations,
              gate: new DeploymentGate(limiter, log),
              publisher: new StreamPublisher(replies, config.env.QUEUE_PREFIX, log),
              metrics,
            });
            const consumer = new QueueConsumer({
              name: app,
              redisUrl: config.env.REDIS_URL,
              prefix: config.env.QUEUE_PREFIX,
              connection,
              replies,
              queues: config.queues,
              runner,
            });
            registerQueueDepthGauge(metrics.registry, () => consumer.jobCounts());
            return consumer;
          },
        },
        WorkerLifecycle,
        PingHealthIndicator,
      ],
      exports: [WorkerConfig],
    };
  }
}
