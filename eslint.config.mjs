// @ts-check
// ESLint: typescript-eslint's recommended rules, the import boundaries between apps, libraries and
// tests, and a size limit on product files. Formatting is Prettier's (`.prettierrc.json`).
//
// The boundaries use ESLint's own `no-restricted-imports` on import specifiers: libraries are only
// reachable as `@app/<lib>` (a relative path into another package's `src` is itself refused), so
// the specifier says where an import lands without resolving it. Paths from the tsconfig's baseUrl
// (`libs/queue/src/...` without `./`) count as relative ones. In flat config the last block
// that sets a rule for a file wins, so each area below lists every restriction that applies to it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** @typedef {{ regex: string, message: string }} Restriction */

/** @type {Record<string, Restriction>} */
const R = {
  app: {
    regex: '^(\\.\\.?/)+(.*/)?apps(/|$)|^apps/',
    message: 'A library never imports an app: move what both need into a library.',
  },
  provider: {
    regex: '^@app/providers$|(^|/)libs/providers(/|$)',
    message: 'The gateway never imports provider code: the workers call the providers; share types through @app/contracts.',
  },
  database: {
    regex: '^(@app/database|typeorm|pg|pg-[^/]+|@nestjs/typeorm)(/.*)?$',
    message: 'The workers and the queue and provider libraries never touch the database: only the gateway does.',
  },
  config: {
    regex: '^@app/config$|(^|/)libs/config(/|$)',
    message: 'Provider code never imports @app/config: it takes what it needs (an upstream target) as arguments.',
  },
  library: {
    regex: '^@app/',
    message: '@app/contracts depends on nothing: it holds the types and tiny pure functions everyone shares.',
  },
  deep: {
    regex: '^@app/[^/]+/',
    message: 'Import a library through its barrel (@app/<lib>); export from its index.ts what others need.',
  },
  intoOtherSrc: {
    regex: '^(\\.\\.?/)+(.*/)?(src|libs)(/|$)|^(apps|libs)/',
    message: "A relative path into another library's or app's src: import @app/<lib> instead.",
  },
  anyTest: {
    regex: '^@test/|^(\\.\\.?/)+(.*/)?test(/|$)|^test/',
    message: 'Product code never imports test code.',
  },
  testByPath: {
    regex: '^(\\.\\.?/)+(.*/)?test(/|$)|^test/|^@test/support/',
    message: 'Specs import shared test support as @test/support, nothing deeper.',
  },
  supportByPath: {
    regex: '^(\\.\\.?/)+(.*/)?(support|fakes)(/|$)|^test/|^@test/support/',
    message: 'Specs import shared test support as @test/support, nothing deeper.',
  },
};

const restrict = (/** @type {Restriction[]} */ ...patterns) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map(({ regex, message }) => ({ regex, message })) }],
});

const SPECS = ['**/*.spec.ts'];
const GATEWAY = ['apps/gateway/**/*.ts'];
const WORKERS = ['apps/worker-*/**/*.ts'];
const PROVIDERS = ['libs/providers/**/*.ts'];
const QUEUE = ['libs/queue/**/*.ts'];
const CONTRACTS = ['libs/contracts/**/*.ts'];
const OTHER_LIBS = ['libs/config/**/*.ts', 'libs/database/**/*.ts', 'libs/observability/**/*.ts'];

/** One area of product code: its restrictions in its source files and, with @test/support allowed, in its specs. */
const area = (/** @type {string[]} */ files, /** @type {Restriction[]} */ restrictions) => [
  { files, ignores: SPECS, rules: restrict(R.anyTest, R.deep, R.intoOtherSrc, ...restrictions) },
  { files: files.map((f) => f.replace(/\.ts$/, '.spec.ts')), rules: restrict(R.testByPath, R.deep, R.intoOtherSrc, ...restrictions) },
];

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'reports/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  // Type-aware rules (floating promises, unsafe any, ...) on product code, with the build's tsconfig: twice the time of the rest.
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: SPECS,
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { project: './tsconfig.build.json', tsconfigRootDir: import.meta.dirname } },
    // An async function without await is the plainest way to meet a Promise-returning contract (health checks, release()).
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are kept on purpose (positional parameters, destructuring that drops a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },

  // Node scripts and configs in CommonJS or ES modules; the admin UI's browser scripts.
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    files: ['**/*.js'],
    ignores: ['apps/gateway/src/admin-ui/static/**'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['apps/gateway/src/admin-ui/static/**/*.js'], languageOptions: { globals: globals.browser, sourceType: 'module' } },

  // Import boundaries.
  ...area(GATEWAY, [R.provider]),
  ...area(WORKERS, [R.database]),
  ...area(QUEUE, [R.app, R.database]),
  ...area(PROVIDERS, [R.app, R.database, R.config]),
  ...area(CONTRACTS, [R.app, R.library]),
  ...area(OTHER_LIBS, [R.app]),
  { files: ['test/**/*.ts', 'bench/**/*.ts'], ignores: ['test/support/**'], rules: restrict(R.supportByPath, R.deep) },
  { files: ['test/support/**/*.ts'], rules: restrict(R.deep) },

  // Files stay small enough to hold in one's head. A longer one says why in a disable comment at its top:
  //   /* eslint-disable max-lines -- <the reason> */
  {
    files: ['apps/**/*.ts', 'apps/**/*.js', 'libs/**/*.ts'],
    ignores: SPECS,
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }] },
  },

  // Tests read loosely typed JSON answers.
  { files: ['test/**/*.ts', 'bench/**/*.ts', ...SPECS], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
