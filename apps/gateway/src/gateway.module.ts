import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GatewayConfig } from '@app/config';
import { ENTITIES, dataSourceOptions, runMigrationsWithLock } from '@app/database';
import { CallDispatcher, PingHealthIndicator } from '@app/queue';
import { GatewayMetrics, createMetricsRegistry, registerQueueDepthGauge } from '@app/observability';
import { AdminUiController } from './admin-ui/admin-ui.controller';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthRedis } from './auth/auth-redis';
import { FailedAuthAttempts } from './auth/failed-auth-attempts.service';
import { KeyCacheService } from './auth/key-cache.service';
import { UiSessions } from './auth/ui-sessions.service';
import { AttemptLoop } from './calls/attempt-loop.service';
import { CallLedger } from './calls/call-ledger.service';
import { CallPlanner } from './calls/call-planner.service';
import { configuredQueues } from './calls/queue-target';
import { ChatController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import { EmbeddingsController } from './embeddings/embeddings.controller';
import { EmbeddingsService } from './embeddings/embeddings.service';
import { CompletionsController } from './completions/completions.controller';
import { CompletionsService } from './completions/completions.service';
import { KeyLimits } from './limits/key-limits.service';
import { LiveStatusController } from './live/live-status.controller';
import { ResponseStore } from './responses/response-store.service';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesService } from './responses/responses.service';
import { MessagesController } from './messages/messages.controller';
import { MessagesService } from './messages/messages.service';
import { Router } from './routing/router.service';
import { SpendLogWriter } from './spend/spend-log.writer';
import { BudgetResets } from './spend/budget-resets.service';
import { SpendController } from './spend/spend.controller';
import { SpendService } from './spend/spend.service';
import { ChangeNotices } from './cluster/change-notices.service';
import { HealthController } from './health/health.controller';
import { GatewayDrain } from './lifecycle/gateway-drain.service';
import { MetricsController } from './metrics/metrics.controller';
import { OpenAIExceptionFilter } from './http/openai-exception.filter';
import { KeysController } from './keys/keys.controller';
import { KeysService } from './keys/keys.service';
import { ModelAdminController } from './models/model-admin.controller';
import { ModelAdminService } from './models/model-admin.service';
import { ModelCatalog } from './models/model-catalog.service';
import { ModelNames } from './models/model-names.service';
import { ModelsController } from './models/models.controller';
import { ModelGroupInfoController } from './models/model-group-info.controller';
import { ProviderListController } from './models/provider-list.controller';

/** Applies pending migrations before the gateway serves, unless DISABLE_SCHEMA_UPDATE is set. */
@Injectable()
class MigrationsOnStart implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.env.DISABLE_SCHEMA_UPDATE) return;
    const applied = await runMigrationsWithLock(this.dataSource);
    if (applied.length) this.logger.log(`applied ${applied.map((m) => m.name).join(', ')}`);
  }
}

@Injectable()
class DispatcherLifecycle implements OnApplicationShutdown {
  constructor(@Inject(CallDispatcher) private readonly dispatcher: CallDispatcher) {}

  onApplicationShutdown() {
    return this.dispatcher.close();
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.env.DATABASE_URL), retryAttempts: 5, retryDelay: 2000 }),
        TypeOrmModule.forFeature(ENTITIES),
        // Readiness answers name the failing part; the probe's own error log would repeat it every few seconds.
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [
        ChatController,
        EmbeddingsController,
        CompletionsController,
        ResponsesController,
        MessagesController,
        ModelsController,
        ModelGroupInfoController,
        ModelAdminController,
        ProviderListController,
        KeysController,
        HealthController,
        MetricsController,
        AdminUiController,
        SpendController,
        LiveStatusController,
      ],
      providers: [
        { provide: GatewayConfig, useValue: config },
        {
          provide: CallDispatcher,
          useFactory: () => CallDispatcher.start({ redisUrl: config.env.REDIS_URL, prefix: config.env.QUEUE_PREFIX, queues: configuredQueues(config) }),
        },
        {
          // This app's own registry: several gateways in one process (tests) keep their numbers apart.
          provide: GatewayMetrics,
          inject: [CallDispatcher],
          useFactory: (dispatcher: CallDispatcher) => {
            const metrics = new GatewayMetrics(createMetricsRegistry());
            registerQueueDepthGauge(metrics.registry, () => dispatcher.jobCounts());
            return metrics;
          },
        },
        GatewayDrain,
        DispatcherLifecycle,
        MigrationsOnStart,
        ChangeNotices,
        KeyCacheService,
        AuthRedis,
        FailedAuthAttempts,
        UiSessions,
        ModelCatalog,
        ModelNames,
        ModelAdminService,
        KeysService,
        Router,
        KeyLimits,
        SpendLogWriter,
        SpendService,
        BudgetResets,
        CallLedger,
        CallPlanner,
        AttemptLoop,
        ChatService,
        EmbeddingsService,
        CompletionsService,
        ResponseStore,
        ResponsesService,
        MessagesService,
        PingHealthIndicator,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: OpenAIExceptionFilter },
      ],
    };
  }
}
