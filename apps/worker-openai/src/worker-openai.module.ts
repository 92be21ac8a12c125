import { type DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from '@app/config';
import { ChatWorkerModule } from '@app/queue';
import { OpenAIChatProcessor } from './openai-chat.processor';

@Module({})
export class WorkerOpenAIModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return { module: WorkerOpenAIModule, imports: [ChatWorkerModule.register(config, OpenAIChatProcessor)] };
  }
}
