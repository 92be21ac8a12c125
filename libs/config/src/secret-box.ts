import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isEnvRef, urlCredentials } from '@app/contracts';
import { HEADER_FIELDS } from './secret-params';

/**
 * Provider credentials of models stored in the database are kept as `sy-enc:v1:<base64url>`
 * (AES-256-GCM: 12-byte IV, 16-byte tag, ciphertext). The key is the SHA-256 of the salt key
 * (SALT_KEY / LITELLM_SALT_KEY, else the master key): only the gateway (to store) and the
 * worker that calls the upstream (to use) hold it.
 */
const PREFIX = 'sy-enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const SECRET_NAME = /(key|secret|password|passwd|credentials?|authorization|token)$/i;
/** Prices, not secrets: `input_cost_per_token`. */
const PER_TOKEN = /per_token$/i;

/**
 * Whether a field name says it holds a secret, at any depth: encrypted at rest, never shown. By the
 * end of the name, so `max_tokens` and `input_cost_per_token` are not ones.
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !PER_TOKEN.test(name);
}

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

  /**
   * Seals every secret a stored model's `litellm_params` hold: secret-named strings at any depth
   * (`api_key`), `organization`, every value of `extra_headers` and `headers`, and `api_base` when
   * it carries credentials (`user:password@`, `?api-key=`). `os.environ/` references (read by the
   * worker) and values already sealed stay as they are.
   */
  sealParams(params: Record<string, unknown>): Record<string, unknown> {
    const seal = (value: unknown) => (isPlain(value) ? this.seal(String(value)) : value);
    const sealed = mapParams(params, (name, value) => (isSecretName(name) && typeof value === 'string' ? seal(value) : value));
    if (typeof sealed.api_base === 'string' && urlCredentials(sealed.api_base).length) sealed.api_base = seal(sealed.api_base);
    if (sealed.organization !== undefined) sealed.organization = seal(sealed.organization);
    for (const field of HEADER_FIELDS) {
      const headers = sealed[field];
      if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
        sealed[field] = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, seal(value)]));
      }
    }
    return sealed;
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

/** A value to seal: text (or a number or flag, as header values may be written) that is neither an `os.environ/` reference nor sealed already. */
function isPlain(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'boolean') return true;
  return typeof value === 'string' && !isEnvRef(value) && !SecretBox.isSealed(value);
}

/** Whether any value, at any depth, is sealed. */
export function containsSealed(value: unknown): boolean {
  if (SecretBox.isSealed(value)) return true;
  if (Array.isArray(value)) return value.some(containsSealed);
  if (value && typeof value === 'object') return Object.values(value).some(containsSealed);
  return false;
}

/** litellm_params as callers may see them: secret-named fields removed at any depth, whatever their form. */
export function withoutSecrets(params: Record<string, unknown>): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([name]) => !isSecretName(name))
          .map(([name, v]) => [name, walk(v)]),
      );
    }
    return value;
  };
  return walk(params) as Record<string, unknown>;
}
