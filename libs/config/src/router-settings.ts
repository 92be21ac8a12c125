import { z } from 'zod';

export const ROUTING_STRATEGIES = ['simple-shuffle', 'least-busy'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** `router_settings`: how the gateway spreads a model group's calls and where it goes when they fail. */
export interface RouterSettings {
  routingStrategy: RoutingStrategy;
  /** Failures within a minute after which a deployment cools down (LiteLLM's default: 3). */
  allowedFails: number;
  /** How long a deployment gets no traffic after too many failures (LiteLLM's default: 5 s). */
  cooldownTimeMs: number;
  /** Model name → model names to try, in order, when its deployments are exhausted or failing. */
  fallbacks: ReadonlyMap<string, readonly string[]>;
}

/** The routing fields of `router_settings` (the section's other fields are call defaults). */
export const routingFieldsSchema = z.object({
  routing_strategy: z.enum(ROUTING_STRATEGIES, { error: `must be one of ${ROUTING_STRATEGIES.join(', ')}` }).optional(),
  allowed_fails: z.coerce.number().int().min(0).optional(),
  cooldown_time: z.coerce.number().min(0).optional(),
  // LiteLLM's shape: [{"model-a": ["model-b", "model-c"]}, ...]
  fallbacks: z.array(z.record(z.string(), z.array(z.string().min(1)), { error: 'each entry must be {"model": ["fallback", ...]}' })).optional(),
});

export const DEFAULT_ROUTER_SETTINGS: RouterSettings = {
  routingStrategy: 'simple-shuffle',
  allowedFails: 3,
  cooldownTimeMs: 5_000,
  fallbacks: new Map(),
};

/** Routing settings from a validated `router_settings` section. */
export function routerSettingsFrom(section: z.infer<typeof routingFieldsSchema>): RouterSettings {
  const fallbacks = new Map<string, string[]>();
  for (const entry of section.fallbacks ?? []) {
    for (const [model, targets] of Object.entries(entry)) fallbacks.set(model, [...(fallbacks.get(model) ?? []), ...targets]);
  }
  return {
    routingStrategy: section.routing_strategy ?? DEFAULT_ROUTER_SETTINGS.routingStrategy,
    allowedFails: section.allowed_fails ?? DEFAULT_ROUTER_SETTINGS.allowedFails,
    cooldownTimeMs: Math.round((section.cooldown_time ?? DEFAULT_ROUTER_SETTINGS.cooldownTimeMs / 1000) * 1000),
    fallbacks,
  };
}
