import { type DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from '@app/config';
import { ChatWorkerModule } from '@app/queue';
import { OllamaChatProcessor } from './ollama-chat.processor';

@Module({})
export class WorkerOllamaModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return { module: WorkerOllamaModule, imports: [ChatWorkerModule.register(config, OllamaChatProcessor)] };
  }
}
