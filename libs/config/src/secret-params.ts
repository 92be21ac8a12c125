import { ENV_REF, MASK, isEnvRef, maskHeaders, maskSecret, maskUrl } from '@app/contracts';
import type { EntryProblem } from './model-entry';

/**
 * The `litellm_params` that take a secret: the only ones where `os.environ/NAME` is read from the
 * environment (everywhere else it is literal text), sealed when stored, and never shown as they
 * are. `api_key` and `organization` (and header values) are needed only by the workers that call
 * the upstream; `api_base` also by the gateway, which checks it.
 */
export const SECRET_FIELDS = ['api_key', 'api_base', 'organization'] as const;

/** Header maps sent upstream on every call of the deployment (LiteLLM's names); every value is a secret. */
export const HEADER_FIELDS = ['extra_headers', 'headers'] as const;

/**
 * Headers the gateway sets itself, or that would change how it reads the answer or frames the
 * request: a deployment may not set them.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'accept',
  'accept-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readEnv(ref: string, env: Readonly<Record<string, string | undefined>>, field: string, missing: EntryProblem[]): string | undefined {
  const name = ref.slice(ENV_REF.length);
  const value = env[name];
  if (value === undefined || value === '') {
    missing.push({ field, message: `environment variable ${name} is not set` });
    return undefined;
  }
  return value;
}

/**
 * `litellm_params` with the `os.environ/` references of its secret fields read: `api_base`
 * always, `api_key`, `organization` and header values only when `secrets` (a process that calls
 * this deployment). A variable that is not set is a problem naming the field.
 */
export function resolveSecretParams(
  params: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  secrets: boolean,
  missing: EntryProblem[],
): Record<string, unknown> {
  const out = { ...params };
  const resolve = (value: unknown, field: string) => (isEnvRef(value) ? readEnv(value, env, `litellm_params.${field}`, missing) : value);
  out.api_base = resolve(params.api_base, 'api_base');
  if (!secrets) return out;
  out.api_key = resolve(params.api_key, 'api_key');
  out.organization = resolve(params.organization, 'organization');
  for (const field of HEADER_FIELDS) {
    const map = params[field];
    if (!isRecord(map)) continue;
    const resolved = Object.entries(map).map(([name, value]) => [name, resolve(value, `${field}.${name}`)]);
    out[field] = Object.fromEntries(resolved.filter(([, value]) => value !== undefined));
  }
  return out;
}

/** Problems of a header map: names that are not header names or that the gateway controls, values with line breaks. */
export function headerProblems(field: string, headers: Readonly<Record<string, string>> | undefined): EntryProblem[] {
  const problems: EntryProblem[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    const where = `litellm_params.${field}.${name}`;
    if (!HEADER_NAME.test(name)) problems.push({ field: where, message: 'is not a valid header name' });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) problems.push({ field: where, message: 'is set by the gateway; a deployment cannot set it' });
    else if (/[\r\n\0]/.test(value)) problems.push({ field: where, message: 'must not contain line breaks' });
  }
  return problems;
}

/**
 * The headers a worker sends on every call of the deployment, names in lower case: `organization`
 * in the header its provider takes it in (`openai-organization` on the OpenAI wire, as the OpenAI
 * SDK sends it), then `headers`, then `extra_headers`, later ones winning.
 */
export function deploymentHeaders(
  organizationHeader: string | undefined,
  organization: string | undefined,
  maps: ReadonlyArray<Readonly<Record<string, string>> | undefined>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (organization && organizationHeader) headers[organizationHeader] = organization;
  for (const map of maps) for (const [name, value] of Object.entries(map ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * The secret fields of `litellm_params` as callers may see them, from the values as written:
 * `api_base` with its credentials masked (the default base when none is written), `organization`
 * and header values as `os.environ/NAME` when written so, else `****`.
 */
export function shownSecretParams(written: Readonly<Record<string, unknown>>, apiBase: string): Record<string, unknown> {
  const base = written.api_base;
  const shown: Record<string, unknown> = {
    api_base: base === undefined ? maskUrl(apiBase) : isEnvRef(base) ? base : typeof base === 'string' ? maskUrl(base) : MASK,
  };
  if (written.organization !== undefined) shown.organization = maskSecret(written.organization);
  for (const field of HEADER_FIELDS) {
    const map = written[field];
    if (isRecord(map)) shown[field] = maskHeaders(map);
  }
  return shown;
}
