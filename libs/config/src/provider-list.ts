import type { Provider } from '@app/contracts';
import { providerOf } from './model-config.loader';

/** One provider as the admin UI offers it when a model is added: what to write and what it needs. */
export interface ProviderListing {
  /** The `litellm_params.model` prefix a new model gets: `hosted_vllm` → `hosted_vllm/<upstream model>`. */
  name: string;
  /** For people: `vLLM`, `Ollama`. */
  label: string;
  /** The wire format of the worker app that calls it. */
  wire: Provider;
  /** Every `litellm_params.model` prefix that names this provider (the first is `name`). */
  prefixes: string[];
  /** Whether a model of this provider must set `api_base`. */
  needsApiBase: boolean;
  /** The `api_base` a model gets when it sets none (before `OPENAI_API_BASE`); null when one is required. */
  defaultApiBase: string | null;
  /** One line that tells what to write as `api_base`. */
  apiBaseHint: string;
  /** The operations its models serve. */
  operations: string[];
}

type ListingText = Pick<ProviderListing, 'name' | 'label' | 'prefixes' | 'defaultApiBase' | 'apiBaseHint'>;

// Wire and needsApiBase come from the config loader's prefix table, so the two cannot disagree.
const LISTINGS: readonly ListingText[] = [
  {
    name: 'openai',
    label: 'OpenAI or OpenAI-compatible',
    prefixes: ['openai'],
    defaultApiBase: 'https://api.openai.com/v1',
    apiBaseHint: "Empty: OPENAI_API_BASE if set, else OpenAI's API. For another OpenAI-compatible server, its base URL, e.g. http://host.docker.internal:8000/v1.",
  },
  {
    name: 'hosted_vllm',
    label: 'vLLM',
    prefixes: ['hosted_vllm'],
    defaultApiBase: null,
    apiBaseHint: "Required: the vLLM server's OpenAI-compatible base URL, e.g. http://host.docker.internal:8000/v1.",
  },
  {
    name: 'lm_studio',
    label: 'LM Studio',
    prefixes: ['lm_studio'],
    defaultApiBase: null,
    apiBaseHint: "Required: LM Studio's server base URL, e.g. http://host.docker.internal:1234/v1.",
  },
  {
    name: 'ollama',
    label: 'Ollama',
    prefixes: ['ollama', 'ollama_chat'],
    defaultApiBase: 'http://localhost:11434',
    apiBaseHint: "Empty: http://localhost:11434. From a container, the Ollama host's address, e.g. http://host.docker.internal:11434.",
  },
];

/** The providers a model can name, for the admin UI's choices (`GET /provider/list`). */
export function listProviders(): ProviderListing[] {
  return LISTINGS.map((listing) => {
    const kind = providerOf(`${listing.name}/model`);
    if ('unknownPrefix' in kind) throw new Error(`provider list names an unknown prefix: ${listing.name}`);
    return { ...listing, prefixes: [...listing.prefixes], wire: kind.provider, needsApiBase: kind.needsApiBase, operations: ['chat'] };
  });
}
