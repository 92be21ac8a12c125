import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Provider credentials of models stored in the database are kept as `sy-enc:v1:<base64url>`
 * (AES-256-GCM: 12-byte IV, 16-byte tag, ciphertext). The key is the SHA-256 of the salt key
 * (SALT_KEY / LITELLM_SALT_KEY, else the master key): only the gateway (to store) and the
 * worker that calls the upstream (to use) hold it.
 */
const PREFIX = 'sy-enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * litellm_params fields treated as secrets, at any depth (`extra_headers.Authorization` too):
 * encrypted at rest, never shown. By the end of the name, so `max_tokens` is not one.
 */
export const SECRET_PARAM = /(key|secret|password|passwd|credentials?|authorization|token)$/i;

export class SecretBox {
  private readonly key: Buffer;

  constructor(saltKey: string) {
    this.key = createHash('sha256').update(`switchyard:${saltKey}`).digest();
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Throws when the value was sealed with another key or altered. */
  open(sealed: string): string {
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** Seals every secret-named string param, at any depth, except `os.environ/` references (resolved by the worker) and values already sealed. */
  sealParams(params: Record<string, unknown>): Record<string, unknown> {
    return mapParams(params, (name, value) => (isPlainSecret(name, value) ? this.seal(value as string) : value));
  }

  openParams(params: Record<string, unknown>): Record<string, unknown> {
    return mapParams(params, (_name, value) => (SecretBox.isSealed(value) ? this.open(value) : value));
  }
}

/** Applies `change` to every named value of nested objects (arrays are walked too). */
function mapParams(params: Record<string, unknown>, change: (name: string, value: unknown) => unknown): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, walk(change(name, v))]));
    return value;
  };
  return walk(params) as Record<string, unknown>;
}

function isPlainSecret(name: string, value: unknown): boolean {
  return SECRET_PARAM.test(name) && typeof value === 'string' && !value.startsWith('os.environ/') && !SecretBox.isSealed(value);
}

/** litellm_params as callers may see them: secret-named fields removed at any depth, whatever their form. */
export function withoutSecrets(params: Record<string, unknown>): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([name]) => !SECRET_PARAM.test(name)).map(([name, v]) => [name, walk(v)]));
    }
    return value;
  };
  return walk(params) as Record<string, unknown>;
}
