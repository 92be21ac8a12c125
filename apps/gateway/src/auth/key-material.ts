import { hash, randomBytes } from 'node:crypto';

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** A new virtual key: `sk-` and 32 URL-safe characters (192 bits). */
export function newVirtualKey(): string {
  return `sk-${randomBytes(24).toString('base64url')}`;
}

/** What Postgres stores and caches are keyed by: the hex of {@link secretDigest}. */
export function hashKey(key: string): string {
  return secretDigest(key).toString('hex');
}

/** Display form that reveals nothing usable: `sk-...abcd`. */
export function shortKeyName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

/** A key's hash (64 hex digits) rather than a key. */
export function isKeyHash(keyOrHash: string): boolean {
  return HASH_PATTERN.test(keyOrHash);
}

/** Admin endpoints accept a key either as its plaintext or as its hash. */
export function tokenOf(keyOrHash: string): string {
  return isKeyHash(keyOrHash) ? keyOrHash : hashKey(keyOrHash);
}

/** A secret's SHA-256 digest: the master key's once, each request's key once per request (one-shot, no Hash object). */
export function secretDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** `Authorization: Bearer <key>`, `x-api-key` or `api-key`, as the OpenAI, Anthropic-style and Azure clients send it. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.trim()) {
    const value = authorization
      .trim()
      .replace(/^Bearer(\s+|$)/i, '')
      .trim();
    if (value) return value;
  }
  for (const name of ['x-api-key', 'api-key']) {
    const value = headers[name];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

// Master keys from examples people copy: the LiteLLM tutorial and .env.example, the Kubernetes secret.
const EXAMPLE_MASTER_KEYS = new Set(['sk-1234', 'CHANGE-ME-master-key']);
const SHORTEST_MASTER_KEY = 8;

/** Why a master key is easy to guess, without quoting it; undefined when it is not. */
export function weakMasterKeyReason(key: string): string | undefined {
  if (EXAMPLE_MASTER_KEYS.has(key)) return 'is the example value from the tutorial or the example files';
  if (key.length < SHORTEST_MASTER_KEY) return `is shorter than ${SHORTEST_MASTER_KEY} characters`;
  return undefined;
}
