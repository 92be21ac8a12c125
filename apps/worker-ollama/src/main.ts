import 'reflect-metadata';
import { Provider } from '@app/contracts';
import { runWorker } from '@app/queue';
import { WorkerOllamaModule } from './worker-ollama.module';

export const WORKER_OLLAMA_DEFAULTS = { healthPort: 4002, concurrency: 4 };

if (require.main === module) {
  void runWorker(Provider.Ollama, WORKER_OLLAMA_DEFAULTS, (config) => WorkerOllamaModule.forRoot(config));
}
