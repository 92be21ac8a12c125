import type { Deployment } from './deployment';

/** Deployments by id and by model name. Built once from config.yaml; read on every request. */
export class ModelRegistry {
  private readonly byId = new Map<string, Deployment>();
  private readonly byName = new Map<string, Deployment[]>();

  constructor(deployments: Deployment[]) {
    for (const d of deployments) {
      this.byId.set(d.id, d);
      const group = this.byName.get(d.modelName) ?? [];
      group.push(d);
      this.byName.set(d.modelName, group);
    }
  }

  deployment(id: string): Deployment | undefined {
    return this.byId.get(id);
  }

  /** Deployments serving a model name; empty when the name is unknown. */
  group(modelName: string): readonly Deployment[] {
    return this.byName.get(modelName) ?? [];
  }

  modelNames(): string[] {
    return [...this.byName.keys()];
  }

  deployments(): Deployment[] {
    return [...this.byId.values()];
  }
}
