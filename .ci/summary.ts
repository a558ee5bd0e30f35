// Reads vitest's JSON report, prints the plain closing line, and fails on any skipped test:
// in Hearth a skipped test means a service it needs was missing.
import { readFileSync } from 'node:fs';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
}

const file = process.argv[2] ?? 'test-results/vitest.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`,
);
if (skipped > 0) {
  console.error('ci: tests were skipped; every test must run in CI');
  process.exit(1);
}
if (!report.success || report.numFailedTests > 0 || report.numPassedTests === 0) process.exit(1);
