import 'reflect-metadata';
import { runWorker } from '@app/queue';
import { WorkerOpenAIModule } from './worker-openai.module';

/** Health port, and the calls of one queue a process runs at once unless queue_settings or WORKER_CONCURRENCY say otherwise. */
export const WORKER_OPENAI_DEFAULTS = { healthPort: 4001, concurrency: 32 };

if (require.main === module) {
  void runWorker('openai', WORKER_OPENAI_DEFAULTS, (config) => WorkerOpenAIModule.forRoot(config));
}
