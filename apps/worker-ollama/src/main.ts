import 'reflect-metadata';
import { runWorker } from '@app/queue';
import { WorkerOllamaModule } from './worker-ollama.module';

/** Health port, and the calls of one queue a process runs at once unless queue_settings or WORKER_CONCURRENCY say otherwise. */
export const WORKER_OLLAMA_DEFAULTS = { healthPort: 4002, concurrency: 4 };

if (require.main === module) {
  void runWorker('ollama', WORKER_OLLAMA_DEFAULTS, (config) => WorkerOllamaModule.forRoot(config));
}
