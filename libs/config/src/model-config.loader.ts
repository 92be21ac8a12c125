import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { CallDefaults } from './call-settings';
import { ConfigError } from './config-error';
import type { Deployment } from './deployment';
import { type LoadModelConfigOptions, parseModelEntry } from './model-entry';
import { backendProblems } from './queue-plan';
import { ignoredSettings, parseCallDefaults, resolveEnvRefs } from './settings-sections';

export { type EntryProblem, type LoadModelConfigOptions, parseModelEntry } from './model-entry';

const fileSchema = z.looseObject({
  model_list: z.array(z.unknown()).default([]),
  general_settings: z.looseObject({ master_key: z.string().optional() }).optional(),
});

export interface ModelConfig {
  deployments: Deployment[];
  /** `general_settings.master_key`, when the file sets one. */
  masterKey?: string;
  /** `provider_settings`, `queue_settings`, `router_settings` and `litellm_settings`: call defaults, queues and routing. */
  defaults: CallDefaults;
  /**
   * What the file sets that Switchyard does not act on yet: whole sections (`environment_variables`),
   * or a read section with its unused fields (`router_settings (enable_pre_call_checks)`).
   */
  ignoredSections: string[];
}

export function parseModelConfig(text: string, fileLabel: string, options: LoadModelConfigOptions): ModelConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`${fileLabel}: not valid YAML: ${(err as Error).message}`]);
  }
  const file = fileSchema.safeParse(doc);
  if (!file.success) {
    throw new ConfigError(file.error.issues.map((i) => `${fileLabel} ${i.path.join('.') || '(root)'}: ${i.message}`));
  }

  const problems: string[] = [];
  const defaults = parseCallDefaults(file.data, fileLabel, options.env, problems);
  const deployments: Deployment[] = [];
  file.data.model_list.forEach((raw, index) => {
    const where = `${fileLabel} model_list[${index}]`;
    const parsed = parseModelEntry(raw, where, { ...options, defaults });
    problems.push(...parsed.problems.map((p) => `${where}.${p.field}: ${p.message}`));
    if (parsed.deployment) deployments.push(parsed.deployment);
  });

  const seen = new Map<string, string>();
  for (const d of deployments) {
    const other = seen.get(d.id);
    if (other) problems.push(`${d.source}.model_info.id: "${d.id}" is also used by ${other}`);
    seen.set(d.id, d.source);
  }
  problems.push(...backendProblems(deployments, defaults, fileLabel));
  if (problems.length) throw new ConfigError(problems);

  // The one general setting Switchyard reads; the others stay as written.
  const masterKey = resolveEnvRefs(file.data.general_settings?.master_key, options.env, 'general_settings.master_key', []) as string | undefined;
  return { deployments, masterKey, defaults, ignoredSections: ignoredSettings(file.data) };
}

export function loadModelConfig(path: string, options: LoadModelConfigOptions): ModelConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([`CONFIG_FILE ${path}: ${reason} (create it, or point CONFIG_FILE at your LiteLLM config.yaml)`]);
  }
  return parseModelConfig(text, path, options);
}
