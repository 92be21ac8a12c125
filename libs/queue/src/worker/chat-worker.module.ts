import { type BeforeApplicationShutdown, type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WorkerConfig } from '@app/config';
import { WorkerMetrics, createMetricsRegistry, registerQueueDepthGauge } from '@app/observability';
import { PingHealthIndicator } from '../health/ping-health.indicator';
import { CHAT_JOB_PROCESSOR, type ChatJobProcessor } from './chat-job.processor';
import { ChatWorkerHost } from './chat-worker.host';
import { WorkerHealthController } from './worker-health.controller';
import { WorkerMetricsController } from './worker-metrics.controller';

/**
 * Starts consuming once the app is up; on shutdown stops taking jobs and finishes those in
 * hand, putting back on the queue what is still running after SHUTDOWN_GRACE.
 */
@Injectable()
class ChatWorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(ChatWorkerHost) private readonly host: ChatWorkerHost,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap() {
    return this.host.start();
  }

  /** Before other providers' shutdown hooks, so the processor's HTTP pool outlives the jobs in hand. */
  beforeApplicationShutdown() {
    return this.host.close(this.config.env.SHUTDOWN_GRACE * 1000);
  }
}

/** Everything a worker app shares: config, the queue consumer, health endpoints. The app brings its processor. */
@Module({})
export class ChatWorkerModule {
  static register(config: WorkerConfig, processor: Type<ChatJobProcessor>): DynamicModule {
    return {
      module: ChatWorkerModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [WorkerHealthController, WorkerMetricsController],
      providers: [
        { provide: WorkerConfig, useValue: config },
        { provide: CHAT_JOB_PROCESSOR, useClass: processor },
        // This app's own registry: several workers in one process (tests) keep their numbers apart.
        { provide: WorkerMetrics, useFactory: () => new WorkerMetrics(createMetricsRegistry(), config.provider) },
        {
          provide: ChatWorkerHost,
          inject: [CHAT_JOB_PROCESSOR, WorkerMetrics],
          useFactory: (jobProcessor: ChatJobProcessor, metrics: WorkerMetrics) => {
            const host = new ChatWorkerHost({
              provider: config.provider,
              redisUrl: config.env.REDIS_URL,
              prefix: config.env.QUEUE_PREFIX,
              concurrency: config.env.WORKER_CONCURRENCY,
              deployments: config.deployments,
              processor: jobProcessor,
              metrics,
            });
            registerQueueDepthGauge(metrics.registry, () => host.jobCounts());
            return host;
          },
        },
        ChatWorkerLifecycle,
        PingHealthIndicator,
      ],
      exports: [WorkerConfig],
    };
  }
}
