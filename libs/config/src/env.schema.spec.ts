import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { parseByteSize, parseGatewayEnv, parseWorkerEnv } from './env.schema';
import { readProcessEnv } from './process-env';

const required = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', MASTER_KEY: 'sk-1234' };

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('gateway environment', () => {
  it('applies the documented defaults', () => {
    expect(parseGatewayEnv(required)).toMatchObject({
      PORT: 4000,
      REDIS_URL: 'redis://127.0.0.1:6379',
      CONFIG_FILE: './config.yaml',
      REQUEST_TIMEOUT: 600,
      MAX_REQUEST_BODY: '10mb',
      DISABLE_SCHEMA_UPDATE: false,
      STORE_MODEL_IN_DB: false,
      QUEUE_PREFIX: 'switchyard',
      MAX_QUEUE_DEPTH: 1000,
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'text',
      SHUTDOWN_GRACE: 600,
      SHUTDOWN_DELAY: 0,
      RESPONSES_RETENTION: 30 * 24 * 3600,
    });
    expect(parseGatewayEnv(required).METRICS_KEY).toBeUndefined();
  });

  it('logs JSON by default in production, text otherwise, and LOG_FORMAT wins', () => {
    expect(parseGatewayEnv({ ...required, NODE_ENV: 'production' }).LOG_FORMAT).toBe('json');
    expect(parseGatewayEnv({ ...required, NODE_ENV: 'production', LOG_FORMAT: 'text' }).LOG_FORMAT).toBe('text');
    expect(parseWorkerEnv({ NODE_ENV: 'production' }, { healthPort: 1, concurrency: 1 }).LOG_FORMAT).toBe('json');
    expect(parseWorkerEnv({}, { healthPort: 1, concurrency: 1 }).LOG_FORMAT).toBe('text');
  });

  it.each(['error', 'log', 'verbose', 'info', 'trace'])('accepts LOG_LEVEL=%s', (level) => {
    expect(parseGatewayEnv({ ...required, LOG_LEVEL: level }).LOG_LEVEL).toBe(level);
  });

  it('reads the shutdown timings and the metrics key', () => {
    const env = parseGatewayEnv({ ...required, SHUTDOWN_GRACE: '45', SHUTDOWN_DELAY: '5', METRICS_KEY: 'scrape-me' });
    expect(env).toMatchObject({ SHUTDOWN_GRACE: 45, SHUTDOWN_DELAY: 5, METRICS_KEY: 'scrape-me' });
  });

  it('accepts LITELLM_MASTER_KEY, and MASTER_KEY wins when both are set', () => {
    expect(parseGatewayEnv({ DATABASE_URL: required.DATABASE_URL, LITELLM_MASTER_KEY: 'sk-1234' }).MASTER_KEY).toBe('sk-1234');
    expect(parseGatewayEnv({ ...required, MASTER_KEY: 'sk-own', LITELLM_MASTER_KEY: 'sk-1234' }).MASTER_KEY).toBe('sk-own');
  });

  it.each([
    ['True', true],
    ['true', true],
    ['1', true],
    ['False', false],
    ['no', false],
  ])('reads STORE_MODEL_IN_DB=%s as %s', (value, expected) => {
    expect(parseGatewayEnv({ ...required, STORE_MODEL_IN_DB: value }).STORE_MODEL_IN_DB).toBe(expected);
  });

  it.each([
    [{ MASTER_KEY: 'sk-1234' }, 'DATABASE_URL is required'],
    [{ DATABASE_URL: required.DATABASE_URL }, 'MASTER_KEY is required (set MASTER_KEY or LITELLM_MASTER_KEY'],
    [{ ...required, DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
    [{ ...required, PORT: 'eighty' }, 'PORT'],
    [{ ...required, REDIS_URL: 'http://localhost' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
    [{ ...required, STORE_MODEL_IN_DB: 'maybe' }, 'STORE_MODEL_IN_DB must be true or false'],
    [{ ...required, MAX_REQUEST_BODY: 'lots' }, 'MAX_REQUEST_BODY must be a size'],
    [{ ...required, MAX_QUEUE_DEPTH: '-1' }, 'MAX_QUEUE_DEPTH'],
    [{ ...required, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...required, LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ ...required, SHUTDOWN_GRACE: '-1' }, 'SHUTDOWN_GRACE'],
    [{ ...required, SHUTDOWN_DELAY: 'soon' }, 'SHUTDOWN_DELAY'],
    [{ ...required, RESPONSES_RETENTION: '0' }, 'RESPONSES_RETENTION'],
    [{ ...required, RESPONSES_RETENTION: '30d' }, 'RESPONSES_RETENTION'],
  ])('stops boot naming the variable: %j', (env, expected) => {
    expect(problemsOf(() => parseGatewayEnv(env)).join('\n')).toContain(expected);
  });
});

describe('worker environment', () => {
  it('needs neither a database nor a master key, and takes its defaults from the app', () => {
    expect(parseWorkerEnv({}, { healthPort: 4002, concurrency: 4 })).toMatchObject({ HEALTH_PORT: 4002, WORKER_CONCURRENCY: 4 });
    expect(parseWorkerEnv({ WORKER_CONCURRENCY: '8' }, { healthPort: 4002, concurrency: 4 }).WORKER_CONCURRENCY).toBe(8);
  });

  it('takes SHUTDOWN_GRACE, by default as long as REQUEST_TIMEOUT', () => {
    expect(parseWorkerEnv({}, { healthPort: 1, concurrency: 1 }).SHUTDOWN_GRACE).toBe(600);
    expect(parseWorkerEnv({ REQUEST_TIMEOUT: '120' }, { healthPort: 1, concurrency: 1 }).SHUTDOWN_GRACE).toBe(120);
    expect(parseWorkerEnv({ SHUTDOWN_GRACE: '0' }, { healthPort: 1, concurrency: 1 }).SHUTDOWN_GRACE).toBe(0);
  });

  it('rejects a concurrency of zero', () => {
    expect(problemsOf(() => parseWorkerEnv({ WORKER_CONCURRENCY: '0' }, { healthPort: 1, concurrency: 1 })).join()).toContain('WORKER_CONCURRENCY');
  });

  it('reads WORKER_QUEUES as backends, each with its concurrency where given', () => {
    const queues = (value: string) => parseWorkerEnv({ WORKER_QUEUES: value }, { healthPort: 1, concurrency: 1 }).WORKER_QUEUES;
    expect(queues('hosted_vllm:8, gpu-box ,lm_studio')).toEqual([{ backend: 'hosted_vllm', concurrency: 8 }, { backend: 'gpu-box' }, { backend: 'lm_studio' }]);
    expect(parseWorkerEnv({}, { healthPort: 1, concurrency: 1 }).WORKER_QUEUES).toBeUndefined();
  });

  it.each([
    ['a concurrency that is no whole number from 1', 'openai:0', '"openai:0" is not backend[:concurrency]'],
    ['a name that is no backend name', 'Chat Openai', '"Chat Openai" is not backend[:concurrency]'],
    ['a backend named twice', 'openai,openai:4', 'names openai twice'],
    ['no backend at all', ' , ', 'names no backend'],
  ])('stops boot on %s, naming WORKER_QUEUES', (_case, value, expected) => {
    const problems = problemsOf(() => parseWorkerEnv({ WORKER_QUEUES: value }, { healthPort: 1, concurrency: 1 }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^WORKER_QUEUES /);
    expect(problems[0]).toContain(expected);
  });
});

describe('.env file', () => {
  const names = ['OPENAI_API_KEY', 'LITELLM_MASTER_KEY', 'DATABASE_URL', 'STORE_MODEL_IN_DB'];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  afterEach(() => {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  });

  it('reads the LiteLLM tutorial .env as written, spaces and quotes included', () => {
    for (const n of names) delete process.env[n];
    const file = join(mkdtempSync(join(tmpdir(), 'sy-env-')), '.env');
    writeFileSync(
      file,
      '# OpenAI\nOPENAI_API_KEY = "sk-xxxxx..."\n# Development Configs\nLITELLM_MASTER_KEY = "sk-1234"\nDATABASE_URL = "postgresql://llmproxy:dbpassword9090@db:5432/litellm"\nSTORE_MODEL_IN_DB = "True"\n',
    );
    const env = readProcessEnv(file);
    expect(env).toMatchObject({ OPENAI_API_KEY: 'sk-xxxxx...', LITELLM_MASTER_KEY: 'sk-1234', STORE_MODEL_IN_DB: 'True' });
    expect(parseGatewayEnv(env)).toMatchObject({
      MASTER_KEY: 'sk-1234',
      DATABASE_URL: 'postgresql://llmproxy:dbpassword9090@db:5432/litellm',
      STORE_MODEL_IN_DB: true,
    });
  });
});

describe('parseByteSize', () => {
  it.each([
    ['512', 512],
    ['100kb', 102400],
    ['10mb', 10485760],
  ])('%s is %d bytes', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));
});

describe('TRUST_PROXY', () => {
  const required = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x', MASTER_KEY: 'sk-1234' };
  it.each([
    ['true', true],
    ['False', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('reads %s as Express expects it', (value, expected) => {
    expect(parseGatewayEnv({ ...required, TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });
  it('is unset by default: no proxy is believed', () => {
    expect(parseGatewayEnv(required).TRUST_PROXY).toBeUndefined();
  });
});
