/** USD per token. */
export interface Price {
  input: number;
  output: number;
}

/** What Switchyard knows of a model without being told: its list prices and the most it may generate in one call. */
export interface KnownModel {
  price: Price;
  maxOutputTokens: number;
}

/** A provider's models by upstream model name. */
export interface KnownModels {
  lookup(upstreamModel: string): KnownModel | undefined;
  /** The names of the table, as a wildcard deployment (`openai/*`) lists its models. */
  readonly names: readonly string[];
}

/** For local servers: every model is unknown, so free unless its `model_info` sets prices. */
export const NO_KNOWN_MODELS: KnownModels = { lookup: () => undefined, names: [] };

/** A table row from list prices in USD per 1M tokens. */
export function knownModel(inputPerMillion: number, outputPerMillion: number, maxOutputTokens: number): KnownModel {
  return { price: { input: inputPerMillion / 1e6, output: outputPerMillion / 1e6 }, maxOutputTokens };
}

/**
 * Models by name prefix, longest matching prefix winning, so dated snapshots
 * (`gpt-4o-mini-2024-07-18`) count like their family.
 */
export function modelsByPrefix(rows: ReadonlyArray<readonly [string, KnownModel]>): KnownModels {
  const sorted = [...rows].sort((a, b) => b[0].length - a[0].length);
  return { lookup: (upstreamModel) => sorted.find(([prefix]) => upstreamModel.startsWith(prefix))?.[1], names: rows.map(([name]) => name) };
}
