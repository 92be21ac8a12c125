import type { Deployment } from './deployment';
import { bySpecificity, fillModelPattern, isModelPattern, matchModelPattern } from './model-pattern';

/** The deployments a requested model name goes to, and the model group (`model_name`) they belong to. */
export interface ResolvedModel {
  /** The `model_name` that serves the name: the name itself, or the wildcard pattern that matched it. */
  group: string;
  /** For a pattern, each deployment with its upstream model filled in for this name. */
  deployments: readonly Deployment[];
}

/** A wildcard deployment serving one concrete name: what `*` matched, put into its upstream model. */
export function servingName(d: Deployment, captures: readonly string[]): Deployment {
  return { ...d, litellmModel: fillModelPattern(d.litellmModel, captures), upstreamModel: fillModelPattern(d.upstreamModel, captures) };
}

/** `model_info.access_groups` of a deployment: names a key's `models` may hold to reach it. */
export function accessGroupsOf(d: Pick<Deployment, 'modelInfo'>): string[] {
  const groups = d.modelInfo.access_groups;
  return Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [];
}

/** Deployments by id and by model name. Built once from config.yaml; read on every request. */
export class ModelRegistry {
  private readonly byId = new Map<string, Deployment>();
  private readonly byName = new Map<string, Deployment[]>();
  /** Wildcard `model_name`s, most specific first. */
  private readonly patterns: string[];
  private readonly groupsByAccess = new Map<string, Set<string>>();

  constructor(deployments: Deployment[]) {
    for (const d of deployments) {
      this.byId.set(d.id, d);
      const group = this.byName.get(d.modelName) ?? [];
      group.push(d);
      this.byName.set(d.modelName, group);
      for (const access of accessGroupsOf(d)) {
        const names = this.groupsByAccess.get(access) ?? new Set<string>();
        names.add(d.modelName);
        this.groupsByAccess.set(access, names);
      }
    }
    this.patterns = [...this.byName.keys()].filter(isModelPattern).sort(bySpecificity);
  }

  deployment(id: string): Deployment | undefined {
    return this.byId.get(id);
  }

  /** Deployments written with this exact `model_name` (a pattern's as written); empty when none. */
  group(modelName: string): readonly Deployment[] {
    return this.byName.get(modelName) ?? [];
  }

  /**
   * Where a requested name goes: its own `model_name` first, else the most specific wildcard
   * that matches it, its deployments serving that name. A name with `*` is never served: a
   * client cannot call the pattern itself.
   */
  resolve(name: string): ResolvedModel | undefined {
    if (isModelPattern(name)) return undefined;
    const exact = this.byName.get(name);
    if (exact) return { group: name, deployments: exact };
    for (const pattern of this.patterns) {
      const captures = matchModelPattern(pattern, name);
      if (captures) return { group: pattern, deployments: this.byName.get(pattern)!.map((d) => servingName(d, captures)) };
    }
    return undefined;
  }

  /** Every `model_name`, wildcard patterns included, in the order written. */
  modelNames(): string[] {
    return [...this.byName.keys()];
  }

  /** The `model_name`s whose deployments list this access group; empty when it is none. */
  accessGroup(name: string): ReadonlySet<string> {
    return this.groupsByAccess.get(name) ?? new Set();
  }

  /** Every access group named by some deployment. */
  accessGroupNames(): string[] {
    return [...this.groupsByAccess.keys()];
  }

  deployments(): Deployment[] {
    return [...this.byId.values()];
  }
}
