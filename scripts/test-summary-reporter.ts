// node:test reporter that writes only the run's totals (as JSON) to its destination.
// scripts/test.ts reads it to print the closing "N passed, M failed" line.
import type { TestEvent } from 'node:test/reporters';

interface Totals {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  cancelled: number;
  failures: string[];
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const totals: Totals = { tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, cancelled: 0, failures: [] };
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const data = event.data;
      // count leaf tests only (suites report their own pass/fail events)
      if (data.details.type === 'suite') continue;
      totals.tests++;
      if (event.type === 'test:fail') {
        totals.failed++;
        totals.failures.push(`${data.file ?? '?'} › ${data.name}`);
      } else if (data.skip !== undefined) totals.skipped++;
      else if (data.todo !== undefined) totals.todo++;
      else totals.passed++;
    }
  }
  yield `${JSON.stringify(totals)}\n`;
}
