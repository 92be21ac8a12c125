import { type DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from '@app/config';
import { WorkerModule } from '@app/queue';

/** worker-openai: consumes the queues of every openai-wire backend; the provider registry supplies the operations. */
@Module({})
export class WorkerOpenAIModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return { module: WorkerOpenAIModule, imports: [WorkerModule.register(config)] };
  }
}
