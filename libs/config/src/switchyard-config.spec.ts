import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Provider } from '@app/contracts';
import { GatewayConfig } from './switchyard-config';

describe('GatewayConfig.maxQueueDepth', () => {
  const configFile = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sy-config-')), 'config.yaml');
    writeFileSync(file, text);
    return file;
  };
  const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', MASTER_KEY: 'sk-1234' };

  it('is provider_settings.<provider>.max_queue_depth where set, else MAX_QUEUE_DEPTH (default 1000)', () => {
    const CONFIG_FILE = configFile('model_list: []\nprovider_settings:\n  ollama: {max_queue_depth: 20}\n');
    const config = GatewayConfig.load({ ...base, CONFIG_FILE, MAX_QUEUE_DEPTH: '300' });
    expect(config.maxQueueDepth(Provider.Ollama)).toBe(20);
    expect(config.maxQueueDepth(Provider.OpenAI)).toBe(300);
    expect(GatewayConfig.load({ ...base, CONFIG_FILE }).maxQueueDepth(Provider.OpenAI)).toBe(1000);
  });
});
