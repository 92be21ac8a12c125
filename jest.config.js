// Unit specs live beside the code; e2e specs (real Postgres, Redis and fake upstreams) live in test/.
const moduleNameMapper = {
  '^@app/(contracts|config|database|queue|providers|observability)$': '<rootDir>/libs/$1/src',
  '^@test/support$': '<rootDir>/test/support',
};
const transform = { '^.+\\.ts$': 'ts-jest' };
const common = { rootDir: __dirname, moduleFileExtensions: ['ts', 'js', 'json'], testEnvironment: 'node', moduleNameMapper, transform };

module.exports = {
  // A project's own testTimeout is not applied by Jest; the e2e specs need more than the 5 s default.
  testTimeout: 30000,
  // The run's own Postgres and Redis, unless TEST_DATABASE_URL / TEST_REDIS_URL name servers to use; Chromium or a one-line stop.
  globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/jest-global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/json-summary.reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
