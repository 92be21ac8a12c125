import { config as loadDotenv } from 'dotenv';
import type { EnvSource } from './env.schema';

/**
 * The only place that reads `process.env`. A `.env` file in the working directory is
 * loaded first; variables already set in the environment win over it.
 */
export function readProcessEnv(envFile = '.env'): EnvSource {
  loadDotenv({ path: envFile, quiet: true });
  return { ...process.env };
}
