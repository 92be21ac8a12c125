import { z } from 'zod';

export const ROUTING_STRATEGIES = ['simple-shuffle', 'least-busy'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** `router_settings` of config.yaml: how the gateway spreads a model group's calls and where it goes when they fail. */
export interface RouterSettings {
  routingStrategy: RoutingStrategy;
  /** Failures within a minute after which a deployment cools down (LiteLLM's default: 3). */
  allowedFails: number;
  /** How long a deployment gets no traffic after too many failures (LiteLLM's default: 5 s). */
  cooldownTimeMs: number;
  /** Model name → model names to try, in order, when its deployments are exhausted or failing. */
  fallbacks: ReadonlyMap<string, readonly string[]>;
}

export const DEFAULT_ROUTER_SETTINGS: RouterSettings = {
  routingStrategy: 'simple-shuffle',
  allowedFails: 3,
  cooldownTimeMs: 5_000,
  fallbacks: new Map(),
};

const schema = z.looseObject({
  routing_strategy: z.enum(ROUTING_STRATEGIES, { error: `must be one of ${ROUTING_STRATEGIES.join(', ')}` }).optional(),
  allowed_fails: z.coerce.number().int().min(0).optional(),
  cooldown_time: z.coerce.number().min(0).optional(),
  // LiteLLM's shape: [{"model-a": ["model-b", "model-c"]}, ...]
  fallbacks: z.array(z.record(z.string(), z.array(z.string().min(1)), { error: 'each entry must be {"model": ["fallback", ...]}' })).optional(),
});

/** Reads `router_settings`; problems name the field (`router_settings.fallbacks[0]`). */
export function parseRouterSettings(raw: unknown): { settings: RouterSettings; problems: string[] } {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `router_settings.${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace('.[', '[')}: ${i.message}`);
    return { settings: DEFAULT_ROUTER_SETTINGS, problems };
  }
  const fallbacks = new Map<string, string[]>();
  for (const entry of parsed.data.fallbacks ?? []) {
    for (const [model, targets] of Object.entries(entry)) fallbacks.set(model, [...(fallbacks.get(model) ?? []), ...targets]);
  }
  return {
    problems: [],
    settings: {
      routingStrategy: parsed.data.routing_strategy ?? DEFAULT_ROUTER_SETTINGS.routingStrategy,
      allowedFails: parsed.data.allowed_fails ?? DEFAULT_ROUTER_SETTINGS.allowedFails,
      cooldownTimeMs: Math.round((parsed.data.cooldown_time ?? DEFAULT_ROUTER_SETTINGS.cooldownTimeMs / 1000) * 1000),
      fallbacks,
    },
  };
}
