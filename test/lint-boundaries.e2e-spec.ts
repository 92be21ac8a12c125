import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/** A file the linter is shown: its path (it never exists on disk) and its text. */
type Case = [path: string, code: string];

/**
 * ESLint's verdict on each file (the rules it broke), as `npm run lint` would give it at that path: the
 * project's own eslint.config.mjs, through ESLint's API in a child process (the config is an
 * ES module, which Jest's CommonJS runtime cannot load).
 */
function lint(cases: Case[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const tseslint = require('typescript-eslint');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      // Without type information: these files exist in no tsconfig, and the rules tested need none.
      const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: [tseslint.configs.disableTypeChecked] });
      const out = [];
      for (const [filePath, code] of cases) {
        const [result] = await eslint.lintText(code, { filePath });
        out.push([...new Set(result.messages.map((m) => m.ruleId ?? m.message))].sort());
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(cases), encoding: 'utf8' }));
}

const imports = (...specifiers: string[]) => specifiers.map((s, i) => `import * as m${i} from '${s}';\nexport const x${i} = m${i};\n`).join('');
const lines = (n: number, comments = 0) =>
  [...Array.from({ length: comments }, (_, i) => `// note ${i}`), ...Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`)].join('\n') + '\n';

describe('the import boundaries and file sizes ESLint enforces', () => {
  const refused: Case[] = [
    ['libs/queue/src/worker/x.ts', imports('../../../../apps/gateway/src/create-gateway-app')],
    ['libs/config/src/x.ts', imports('../../../apps/worker-openai/src/main')],
    ['libs/database/src/x.ts', imports('apps/gateway/src/main')],
    ['apps/gateway/src/chat/x.ts', imports('@app/providers')],
    ['apps/worker-openai/src/x.ts', imports('@app/database')],
    ['apps/worker-ollama/src/x.ts', imports('typeorm')],
    ['libs/queue/src/x.ts', imports('pg')],
    ['apps/worker-ollama/src/x.ts', imports('pg-pool')],
    ['libs/providers/src/x.ts', imports('@nestjs/typeorm')],
    ['libs/providers/src/x.ts', imports('@app/config')],
    ['libs/contracts/src/x.ts', imports('@app/observability')],
    ['apps/gateway/src/x.ts', imports('@test/support')],
    ['libs/observability/src/x.ts', imports('../../../test/support/stack')],
    ['apps/gateway/src/x.ts', imports('test/support/stack')],
    ['apps/gateway/src/x.spec.ts', imports('../../../test/support/test-redis')],
    ['libs/queue/src/x.spec.ts', imports('@test/support/fakes/fake-openai.server')],
    ['test/x.e2e-spec.ts', imports('./support/stack')],
    ['test/deploy/x.e2e-spec.ts', imports('../support/fakes/fake-openai.server')],
    ['apps/gateway/src/x.ts', imports('@app/queue/src/dispatch')],
    ['libs/queue/src/x.ts', imports('../../providers/src/registry')],
    ['apps/worker-openai/src/x.ts', imports('libs/queue/src/worker/job-runner')],
    ['apps/gateway/src/chat/x.ts', imports('../../../../libs/config/src/env.schema')],
  ];

  let verdicts: string[][];
  beforeAll(() => {
    verdicts = lint(refused);
  });

  it.each(refused.map((c, i) => [c[0], c[1].split("'")[1], i] as const))('refuses %s importing %s', (_path, _specifier, i) => {
    expect(verdicts[i]).toEqual(['no-restricted-imports']);
  });

  it('lets each part import what it may', () => {
    const allowed: Case[] = [
      [
        'apps/gateway/src/x.ts',
        imports('@app/contracts', '@app/config', '@app/database', '@app/queue', '@app/observability', 'typeorm', './local', '../sibling/file'),
      ],
      ['apps/worker-openai/src/x.ts', imports('@app/providers', '@app/queue', '@app/config', '@app/contracts')],
      ['libs/queue/src/worker/x.ts', imports('@app/providers', '@app/config', '../stream/stream-writer')],
      ['libs/config/src/x.ts', imports('@app/contracts', '@app/providers')],
      ['libs/providers/src/openai/x.ts', imports('@app/contracts', '../http/upstream-call')],
      ['apps/gateway/src/x.spec.ts', imports('@test/support', './x')],
      ['libs/queue/src/x.spec.ts', imports('@test/support')],
      ['test/x.e2e-spec.ts', imports('@test/support', '@app/queue', '../apps/gateway/src/create-gateway-app')],
      ['test/support/x.ts', imports('./stack', './fakes/fake-openai.server', '../../apps/gateway/src/create-gateway-app')],
      ['bench/x.ts', imports('@test/support', './load')],
    ];
    expect(lint(allowed)).toEqual(allowed.map(() => []));
  });

  it('refuses a product file over 300 lines of code, counting neither blank lines nor comments; specs and stated reasons are exempt', () => {
    const reason = '/* eslint-disable max-lines -- one table that reads best whole */\n';
    const verdicts = lint([
      ['apps/gateway/src/x.ts', lines(301)],
      ['libs/queue/src/x.ts', lines(301)],
      ['apps/gateway/src/y.ts', lines(300, 80) + '\n'.repeat(50)],
      ['libs/queue/src/x.spec.ts', lines(400)],
      ['libs/queue/src/z.ts', reason + lines(400)],
    ]);
    expect(verdicts).toEqual([['max-lines'], ['max-lines'], [], [], []]);
  });
});
