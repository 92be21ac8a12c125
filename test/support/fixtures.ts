import OpenAI from 'openai';
import { FakeOllamaServer } from './fakes/fake-ollama.server';
import { FakeOpenAIServer } from './fakes/fake-openai.server';
import { MASTER_KEY } from './stack';

export const UPSTREAM_OPENAI_KEY = 'sk-upstream-secret-0123456789abcdef';

/**
 * The tutorial's config.yaml. The OpenAI entry is unchanged (its base comes from
 * OPENAI_API_BASE, pointed at the fake); the Ollama entry's api_base points at the fake
 * instead of host.docker.internal, which does not resolve outside Docker.
 */
export function tutorialConfig(ollama: FakeOllamaServer, extra = ''): string {
  return `model_list:
  - model_name: openai/gpt-4o-mini
    litellm_params:
      model: gpt-4o-mini
      api_key: os.environ/OPENAI_API_KEY
  - model_name: ollama/gpt-oss:20b
    litellm_params:
      model: ollama/gpt-oss:20b
      api_base: "${ollama.origin}"
${extra}`;
}

export async function startFakes(): Promise<{ openai: FakeOpenAIServer; ollama: FakeOllamaServer; stop(): Promise<void> }> {
  const openai = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
  const ollama = new FakeOllamaServer({ models: ['gpt-oss:20b', 'llama3.2'] });
  await Promise.all([openai.start(), ollama.start()]);
  return { openai, ollama, stop: () => Promise.all([openai.stop(), ollama.stop()]).then(() => undefined) };
}

/** Environment that makes the tutorial config call the fakes. */
export function fakeEnv(openai: FakeOpenAIServer) {
  return { OPENAI_API_KEY: UPSTREAM_OPENAI_KEY, OPENAI_API_BASE: openai.url };
}

/** The official SDK as an application would configure it; no client-side retries so tests see each answer. */
export function sdk(baseUrl: string, apiKey = MASTER_KEY): OpenAI {
  return new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0 });
}

export async function generateKey(baseUrl: string, body: Record<string, unknown> = {}): Promise<{ key: string; token: string; [k: string]: unknown }> {
  const res = await fetch(`${baseUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`key/generate answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<{ key: string; token: string }>;
}

/** Raw HTTP, for what an SDK would hide: status, headers and the exact error body. */
export async function call(
  baseUrl: string,
  path: string,
  init: { method?: string; key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? MASTER_KEY}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export const HELLO = { model: 'ollama/gpt-oss:20b', messages: [{ role: 'user', content: 'hello there' }] };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Probes until `accept` holds or time runs out, then returns the last value (the test asserts on it). */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 8000, intervalMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > until) return value;
    await sleep(intervalMs);
  }
}
