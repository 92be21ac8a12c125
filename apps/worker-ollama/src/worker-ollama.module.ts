import { type DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from '@app/config';
import { WorkerModule } from '@app/queue';

/** worker-ollama: consumes the queues of every ollama-wire backend; the provider registry supplies the operations. */
@Module({})
export class WorkerOllamaModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return { module: WorkerOllamaModule, imports: [WorkerModule.register(config)] };
  }
}
