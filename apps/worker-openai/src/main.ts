import 'reflect-metadata';
import { Provider } from '@app/contracts';
import { runWorker } from '@app/queue';
import { WorkerOpenAIModule } from './worker-openai.module';

export const WORKER_OPENAI_DEFAULTS = { healthPort: 4001, concurrency: 32 };

if (require.main === module) {
  void runWorker(Provider.OpenAI, WORKER_OPENAI_DEFAULTS, (config) => WorkerOpenAIModule.forRoot(config));
}
