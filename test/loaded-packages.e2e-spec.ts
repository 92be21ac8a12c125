import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/**
 * The npm packages a fresh process has loaded after running `code` (from the TypeScript sources, as
 * the tests start apps), in a child process: Jest's module registry is not Node's.
 */
function packagesLoadedBy(code: string): string[] {
  const script = `${code}
    const names = Object.keys(require.cache).map((f) => /node_modules\\/((@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

/** What a process loads stays in its heap for its whole life, used or not. */
describe('packages an app loads', () => {
  it('the gateway, logging JSON as in production, loads neither the upstream HTTP client (undici) nor pino-pretty', () => {
    const loaded = packagesLoadedBy(`
      require('./apps/gateway/src/create-gateway-app');
      require('@app/observability').createLogger('gateway', 'log', 'json');`);
    expect(loaded).toContain('@nestjs/core');
    expect(loaded).not.toContain('undici');
    expect(loaded).not.toContain('pino-pretty');
  });

  it('a worker loads undici once it makes its upstream client, and pino-pretty when it logs text', () => {
    const loaded = packagesLoadedBy(`
      const { UpstreamHttpClient } = require('@app/providers');
      void new UpstreamHttpClient().close();
      require('@app/observability').createLogger('worker-openai', 'log', 'text');`);
    expect(loaded).toContain('undici');
    expect(loaded).toContain('pino-pretty');
  });
});
