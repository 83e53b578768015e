// node:test reporter that writes only the run's totals (as JSON) to its destination.
// scripts/test.ts reads it to print the closing "N total, P passed, F failed, ..." line.
// Counted as node:test counts them (countCompletedTest): skip first, then todo (a failing todo test does not
// fail the run), then cancelled (timed out, aborted, or cut off by its parent or by the end of its file's
// event loop: the failure types of the runner's kCanceledTests), then failed, then passed.
import type { TestEvent } from 'node:test/reporters';

export interface Totals {
  tests: number;
  passed: number;
  /** Failures other than cancellations. */
  failed: number;
  skipped: number;
  todo: number;
  /** Cancelled tests; the closing line counts them as failed. */
  cancelled: number;
  /** `<file> › <name>` of every failed or cancelled test (cancelled ones end in ` (cancelled)`). */
  failures: string[];
}

/** The failure types node:test gives a test it cancelled (lib/internal/test_runner/runner.js kCanceledTests). */
const CANCELLED_FAILURE_TYPES = new Set(['cancelledByParent', 'testTimeoutFailure', 'testAborted']);

export function emptyTotals(): Totals {
  return { tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, cancelled: 0, failures: [] };
}

function failureType(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { failureType?: unknown }).failureType : undefined;
}

/** Adds one event to the totals; only the pass/fail events of tests (not suites) count. */
export function countEvent(totals: Totals, event: TestEvent): void {
  if (event.type !== 'test:pass' && event.type !== 'test:fail') return;
  const data = event.data;
  if (data.details.type === 'suite') return;
  totals.tests++;
  if (data.skip !== undefined) totals.skipped++;
  else if (data.todo !== undefined) totals.todo++;
  else if (event.type === 'test:pass') totals.passed++;
  else {
    const cancelled = CANCELLED_FAILURE_TYPES.has(String(failureType(event.data.details.error)));
    if (cancelled) totals.cancelled++;
    else totals.failed++;
    totals.failures.push(`${data.file ?? '?'} › ${data.name}${cancelled ? ' (cancelled)' : ''}`);
  }
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const totals = emptyTotals();
  for await (const event of source) countEvent(totals, event);
  yield `${JSON.stringify(totals)}\n`;
}

/** Failed and cancelled tests: either one fails the run (failing todo tests do not). */
export function failedCount(totals: Totals): number {
  return totals.failed + totals.cancelled;
}

/** The closing line; other tooling parses it, so its shape stays fixed (cancelled tests are in `failed`). */
export function closingLine(totals: Totals, files: number, seconds: number, pass: boolean): string {
  const t = totals;
  const counts = `${t.tests} total, ${t.passed} passed, ${failedCount(t)} failed, ${t.skipped} skipped, ${t.todo} todo`;
  return `tests: ${counts}, ${files} files, ${seconds.toFixed(1)} s — ${pass ? 'PASS' : 'FAIL'}`;
}
