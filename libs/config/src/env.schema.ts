import { z } from 'zod';
import { BACKEND_NAME, BACKEND_NAME_RULE } from '@app/contracts';
import { PROVIDERS } from '@app/providers';
import { ConfigError } from './config-error';

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const seconds = z.coerce.number().positive();
const secondsOrZero = z.coerce.number().min(0);
const byteSize = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^\d+(b|kb|mb)?$/, 'must be a size such as 512kb or 10mb');

/** Each provider's key variable (`OPENAI_API_KEY`): read by the workers for deployments without `api_key`. */
const providerKeys = Object.fromEntries(
  PROVIDERS.flatMap((p) => (p.credentials.apiKeyEnv ? [[p.credentials.apiKeyEnv, z.string().optional()]] : [])),
) as Record<string, z.ZodOptional<z.ZodString>>;

const baseSchema = z.object({
  ...providerKeys,
  HOST: z.string().default('0.0.0.0'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}:.-]+$/)
    .default('switchyard'),
  CONFIG_FILE: z.string().min(1).default('./config.yaml'),
  REQUEST_TIMEOUT: seconds.default(600),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_API_BASE: z.url().optional(),
  /** Nest's level names; pino's `info`, `trace` and `fatal` are accepted as well. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'log', 'info', 'debug', 'verbose', 'trace']).default('log'),
  /** `text` (pretty, for people) or `json` (one object a line, for collectors); the default depends on NODE_ENV, see below. */
  LOG_FORMAT: z.enum(['text', 'json']),
  /** When set, `/metrics` needs `Authorization: Bearer <METRICS_KEY>`; unset, it is open like the health probes. */
  METRICS_KEY: z.string().min(1).optional(),
  /**
   * Seconds a stopping app waits for the calls (gateway) or jobs (worker) in hand before cutting
   * them off; unset, REQUEST_TIMEOUT: as long as a call may take by default.
   */
  SHUTDOWN_GRACE: secondsOrZero.optional(),
  /** Encrypts provider credentials of models stored in the database; SALT_KEY, else LITELLM_SALT_KEY, else the master key. */
  SALT_KEY: z.string().min(1).optional(),
});

const gatewaySchema = baseSchema.extend({
  PORT: port.default(4000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }),
  MASTER_KEY: z.string().min(1),
  MAX_REQUEST_BODY: byteSize.default('10mb'),
  KEY_CACHE_TTL: seconds.default(60),
  STREAM_KEEPALIVE: seconds.default(15),
  DISABLE_SCHEMA_UPDATE: booleanFlag.default(false),
  STORE_MODEL_IN_DB: booleanFlag.default(false),
  /** Admin UI login: user name (LiteLLM's UI_USERNAME) and password (UI_PASSWORD, else the master key). */
  UI_USERNAME: z.string().min(1).default('admin'),
  UI_PASSWORD: z.string().min(1).optional(),
  /** Seconds an admin UI session lasts. */
  UI_SESSION_TTL: seconds.default(8 * 3600),
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (Express's "trust proxy"):
   * `true`, a number of hops, or addresses/CIDRs such as `loopback, 10.0.0.0/8`. Unset: none.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .transform((v): boolean | number | string => (/^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : /^\d+$/.test(v) ? Number(v) : v))
    .optional(),
  MAX_QUEUE_DEPTH: z.coerce.number().int().min(0).default(1000),
  /** Seconds between SIGTERM (readiness turns 503) and closing the listener, for load balancers to notice. */
  SHUTDOWN_DELAY: secondsOrZero.default(0),
  /** Seconds a stored Responses API answer (`store`, the default) is kept; OpenAI keeps them 30 days. */
  RESPONSES_RETENTION: seconds.default(30 * 24 * 3600),
});

/** `WORKER_QUEUES=hosted_vllm:8,gpu2`: the backends a worker consumes, each with its concurrency where given. */
const workerQueuesSchema = z.string().transform((text, ctx) => {
  const choices: Array<{ backend: string; concurrency?: number }> = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [backend, concurrency, ...rest] = entry.split(':').map((part) => part.trim());
    const count = concurrency === undefined ? undefined : Number(concurrency);
    if (!BACKEND_NAME.test(backend) || rest.length || (count !== undefined && !(Number.isInteger(count) && count >= 1))) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not backend[:concurrency] (a backend name is ${BACKEND_NAME_RULE} characters; concurrency a whole number from 1)`,
      });
    } else if (choices.some((c) => c.backend === backend)) {
      ctx.addIssue({ code: 'custom', message: `names ${backend} twice` });
    } else {
      choices.push(count === undefined ? { backend } : { backend, concurrency: count });
    }
  }
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: "names no backend (unset it to consume every backend of the worker's wire)" });
  return choices;
});

const workerSchema = baseSchema.extend({
  HEALTH_PORT: port,
  /** Calls of one queue a worker runs at once, unless `queue_settings` or WORKER_QUEUES say otherwise. */
  WORKER_CONCURRENCY: positiveInt,
  WORKER_QUEUES: workerQueuesSchema.optional(),
});

type WithGrace<T extends { REQUEST_TIMEOUT: number; SHUTDOWN_GRACE?: number }> = Omit<T, 'SHUTDOWN_GRACE'> & { SHUTDOWN_GRACE: number };

function withGrace<T extends { REQUEST_TIMEOUT: number; SHUTDOWN_GRACE?: number }>(env: T): WithGrace<T> {
  return { ...env, SHUTDOWN_GRACE: env.SHUTDOWN_GRACE ?? env.REQUEST_TIMEOUT };
}

export type GatewayEnv = WithGrace<z.infer<typeof gatewaySchema>>;
export type WorkerEnv = WithGrace<z.infer<typeof workerSchema>>;
export type EnvSource = Record<string, string | undefined>;

const HINTS: Record<string, string> = {
  DATABASE_URL: 'e.g. postgresql://postgres@127.0.0.1:5432/switchyard',
  MASTER_KEY: 'set MASTER_KEY or LITELLM_MASTER_KEY, e.g. sk-1234',
};

function parse<T extends z.ZodTypeAny>(schema: T, source: EnvSource): z.infer<T> {
  // Empty strings count as unset, as they do in most .env files.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = cleaned[name];
      const reason = value === undefined ? 'is required' : issue.message;
      return `${name} ${reason}${HINTS[name] ? ` (${HINTS[name]})` : ''}`;
    }),
  );
}

/** Pretty text while developing; JSON in production (NODE_ENV=production, as the Docker image sets it). */
function logFormatOf(source: EnvSource): string {
  return source.LOG_FORMAT || (source.NODE_ENV === 'production' ? 'json' : 'text');
}

/** LiteLLM's salt key names, and its fallback to the master key. */
function saltKeyOf(source: EnvSource): string | undefined {
  return source.SALT_KEY || source.LITELLM_SALT_KEY || source.MASTER_KEY || source.LITELLM_MASTER_KEY || undefined;
}

export function parseGatewayEnv(source: EnvSource): GatewayEnv {
  // LiteLLM's name for the master key is accepted as it is.
  const MASTER_KEY = source.MASTER_KEY || source.LITELLM_MASTER_KEY;
  return withGrace(parse(gatewaySchema, { ...source, MASTER_KEY, SALT_KEY: saltKeyOf({ ...source, MASTER_KEY }), LOG_FORMAT: logFormatOf(source) }));
}

export function parseWorkerEnv(source: EnvSource, defaults: { healthPort: number; concurrency: number }): WorkerEnv {
  return withGrace(
    parse(workerSchema, {
      ...source,
      SALT_KEY: saltKeyOf(source),
      LOG_FORMAT: logFormatOf(source),
      HEALTH_PORT: source.HEALTH_PORT || String(defaults.healthPort),
      WORKER_CONCURRENCY: source.WORKER_CONCURRENCY || String(defaults.concurrency),
    }),
  );
}

/** `10mb` → bytes. */
export function parseByteSize(size: string): number {
  const match = /^(\d+)(b|kb|mb)?$/.exec(size.trim().toLowerCase());
  if (!match) throw new Error(`not a size: ${size}`);
  const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b') as 'b' | 'kb' | 'mb'];
  return Number(match[1]) * unit;
}

const databaseSchema = z.object({
  DATABASE_URL: gatewaySchema.shape.DATABASE_URL,
});

/** Only what `migrate` needs. */
export function parseDatabaseEnv(source: EnvSource): { DATABASE_URL: string } {
  return parse(databaseSchema, source);
}
