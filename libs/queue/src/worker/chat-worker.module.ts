import { type BeforeApplicationShutdown, type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WorkerConfig } from '@app/config';
import { RedisHealthIndicator } from '../health/redis-health.indicator';
import { CHAT_JOB_PROCESSOR, type ChatJobProcessor } from './chat-job.processor';
import { ChatWorkerHost } from './chat-worker.host';
import { WorkerHealthController } from './worker-health.controller';

/** Starts consuming once the app is up; on shutdown stops taking jobs and finishes those in hand. */
@Injectable()
class ChatWorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(ChatWorkerHost) private readonly host: ChatWorkerHost) {}

  onApplicationBootstrap() {
    return this.host.start();
  }

  /** Before other providers' shutdown hooks, so the processor's HTTP pool outlives the jobs in hand. */
  beforeApplicationShutdown() {
    return this.host.close();
  }
}

/** Everything a worker app shares: config, the queue consumer, health endpoints. The app brings its processor. */
@Module({})
export class ChatWorkerModule {
  static register(config: WorkerConfig, processor: Type<ChatJobProcessor>): DynamicModule {
    return {
      module: ChatWorkerModule,
      imports: [TerminusModule],
      controllers: [WorkerHealthController],
      providers: [
        { provide: WorkerConfig, useValue: config },
        { provide: CHAT_JOB_PROCESSOR, useClass: processor },
        {
          provide: ChatWorkerHost,
          inject: [CHAT_JOB_PROCESSOR],
          useFactory: (jobProcessor: ChatJobProcessor) =>
            new ChatWorkerHost({
              provider: config.provider,
              redisUrl: config.env.REDIS_URL,
              prefix: config.env.QUEUE_PREFIX,
              concurrency: config.env.WORKER_CONCURRENCY,
              deployments: config.deployments,
              processor: jobProcessor,
            }),
        },
        ChatWorkerLifecycle,
        RedisHealthIndicator,
      ],
      exports: [WorkerConfig],
    };
  }
}
