/**
 * Before any spec runs: stop at once when the run needs Chromium and there is none, then start
 * the run's own Postgres and Redis (`test-servers.ts`) and point the specs at them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GlobalConfig } from 'jest';
import { chromiumMissing, findChromium } from './chromium';
import { type TestServers, startTestServers } from './test-servers';

/** Jest runs the teardown in this process and shares only globals with it. */
const run = globalThis as { switchyardTestServers?: TestServers };

/** The e2e specs that drive a browser. */
function browserSpecs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.e2e-spec.ts'))
    .map((file) => join(dir, file))
    .filter((file) => readFileSync(file, 'utf8').includes('launchChromium('));
}

/** `--selectProjects a b` from Jest's command line (not in its global config); undefined without it. */
function selectedProjects(argv: string[]): string[] | undefined {
  const at = argv.findIndex((arg) => arg === '--selectProjects' || arg.startsWith('--selectProjects='));
  if (at < 0) return undefined;
  if (argv[at].includes('=')) return argv[at].split('=')[1].split(',');
  const rest = argv.slice(at + 1);
  const end = rest.findIndex((arg) => arg.startsWith('-'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Whether the run includes a spec that drives a browser: the whole suite does; `jest some/path` or `--selectProjects unit` may not. */
function needsChromium(config: GlobalConfig): boolean {
  const projects = selectedProjects(process.argv);
  if (projects && !projects.includes('e2e')) return false;
  if (!config.testPathPatterns.isSet()) return true;
  const executor = config.testPathPatterns.toExecutor({ rootDir: config.rootDir });
  return browserSpecs(join(config.rootDir, 'test')).some((file) => executor.isMatch(file));
}

function stopNow(): void {
  run.switchyardTestServers?.stopNow();
  run.switchyardTestServers = undefined;
}

export default async function globalSetup(config: GlobalConfig): Promise<void> {
  if (needsChromium(config) && !findChromium()) {
    process.stderr.write(`\n${chromiumMissing()}\n`);
    process.exit(1);
  }
  const servers = await startTestServers();
  run.switchyardTestServers = servers;
  Object.assign(process.env, servers.env);
  // Ctrl-C or a kill before the teardown: the servers go with the run.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      stopNow();
      process.exit(code);
    });
  }
  process.once('exit', stopNow);
}

export async function globalTeardown(): Promise<void> {
  const servers = run.switchyardTestServers;
  run.switchyardTestServers = undefined;
  await servers?.stop();
}
