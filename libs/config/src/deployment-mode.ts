import { SwitchyardError } from '@app/contracts';
import type { Deployment } from './deployment';

/** What a call asks a deployment for: chat (chat completions, Responses, Messages) or embeddings. */
export type CallMode = 'chat' | 'embedding';

/**
 * Upstream model names that are embedding models whatever else they say: OpenAI's
 * `text-embedding-*`, and Ollama's and Hugging Face's `*embed*` (`nomic-embed-text`,
 * `mxbai-embed-large`, `snowflake-arctic-embed`, `qwen3-embedding`).
 */
const EMBEDDING_MODEL_NAME = /embed/i;

type ModeOf = Pick<Deployment, 'modelInfo' | 'upstreamModel'>;

/**
 * A deployment's mode: `model_info.mode` as written (LiteLLM's field: `chat`, `embedding`,
 * `completion`, …); where it is not written, `embedding` for a model whose name says so, else `chat`.
 */
export function deploymentMode(d: ModeOf): string {
  const declared = d.modelInfo.mode;
  if (typeof declared === 'string' && declared !== '') return declared;
  return EMBEDDING_MODEL_NAME.test(d.upstreamModel) ? 'embedding' : 'chat';
}

/**
 * Why this deployment cannot take a call of this mode, if it cannot: an embedding deployment
 * takes embeddings only; embeddings go to embedding deployments only. Any other mode
 * (`completion`, …) is served as chat, as before modes were read.
 */
export function modeRefusal(d: ModeOf & Pick<Deployment, 'modelName'>, mode: CallMode): SwitchyardError | undefined {
  const actual = deploymentMode(d);
  const declared = typeof d.modelInfo.mode === 'string' && d.modelInfo.mode !== '';
  const why = declared
    ? `model_info.mode: ${actual}`
    : actual === 'embedding'
      ? "no model_info.mode, and its name is an embedding model's"
      : 'no model_info.mode: chat by default';
  if (mode === 'embedding' && actual !== 'embedding') {
    return new SwitchyardError(
      'invalid_request',
      `model "${d.modelName}" does not serve embeddings (${why}); use an embedding model, or set model_info.mode: embedding on its deployment`,
      { param: 'model' },
    );
  }
  if (mode === 'chat' && actual === 'embedding') {
    return new SwitchyardError('invalid_request', `model "${d.modelName}" is an embedding model (${why}); send it to /v1/embeddings, or use a chat model`, {
      param: 'model',
    });
  }
  return undefined;
}
