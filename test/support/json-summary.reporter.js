// Writes Jest's aggregated results to reports/jest-results.json on every run, so CI can read
// the counts without passing extra flags to the README's test command.
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

class JsonSummaryReporter {
  constructor(globalConfig) {
    this.file = join(globalConfig.rootDir, 'reports', 'jest-results.json');
  }

  onRunComplete(_contexts, results) {
    mkdirSync(dirname(this.file), { recursive: true });
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTests, numRuntimeErrorTestSuites, success } = results;
    writeFileSync(this.file, JSON.stringify({ numPassedTests, numFailedTests, numPendingTests, numTotalTests, numRuntimeErrorTestSuites, success }, null, 2));
  }
}

module.exports = JsonSummaryReporter;
