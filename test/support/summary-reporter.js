'use strict';
// Prints one plain closing line, 'tests: N passed, N failed, N skipped', after jest's own summary (both on stderr, so in order), so
// that CI logs end with a count any reader (or parser) understands.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    // jest prints its own summary after every reporter has run: write ours last, at exit.
    process.once('exit', () =>
      process.stderr.write(
        `tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`,
      ),
    );
  }
}

module.exports = SummaryReporter;
