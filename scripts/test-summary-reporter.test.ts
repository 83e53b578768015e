import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestEvent } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import summaryReporter, { closingLine, countEvent, emptyTotals, type Totals } from './test-summary-reporter.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Runs the fixture under node --test with this reporter and TAP; returns our totals, node's counts and the exit code. */
async function runFixture(): Promise<{ totals: Totals; node: Record<string, number>; exitCode: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-reporter-'));
  try {
    const summary = join(dir, 'summary.json');
    // Without NODE_TEST_CONTEXT, which would make the run report to this test process instead.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-reporter=./test-summary-reporter.ts',
        `--test-reporter-destination=${summary}`,
        '--test-reporter=tap',
        '--test-reporter-destination=stdout',
        'fixtures/summary-cases.ts',
      ],
      { cwd: here, stdio: ['ignore', 'pipe', 'inherit'], env },
    );
    let tap = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      tap += chunk;
    });
    const [exitCode] = (await once(child, 'exit')) as [number | null];
    const node = Object.fromEntries([...tap.matchAll(/^# (\w+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    return { totals: JSON.parse(readFileSync(summary, 'utf8')) as Totals, node, exitCode };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function event(type: 'test:pass' | 'test:fail', data: Record<string, unknown>): TestEvent {
  return {
    type,
    data: { name: 't', nesting: 0, file: 'f.test.ts', testNumber: 1, details: { type: 'test' }, ...data },
  } as unknown as TestEvent;
}

describe('test summary reporter', () => {
  test('counts a real run as node:test does: a failing todo is todo, cancelled tests fail', async () => {
    const { totals, node, exitCode } = await runFixture();
    assert.deepEqual(
      { ...totals, failures: totals.failures.map((f) => f.replace(/^.*summary-cases\.ts › /, '')) },
      {
        tests: 8,
        passed: 2,
        failed: 1,
        skipped: 1,
        todo: 2,
        cancelled: 2,
        failures: ['fails', 'is cut off by its parent (cancelled)', 'times out (cancelled)'],
      },
    );
    // node's own summary of the same run (TAP diagnostics) agrees on every count
    assert.deepEqual(
      [node.tests, node.pass, node.fail, node.cancelled, node.skipped, node.todo],
      [totals.tests, totals.passed, totals.failed, totals.cancelled, totals.skipped, totals.todo],
    );
    assert.equal(exitCode, 1);
  });

  test('a run whose only failure is a todo test passes', async () => {
    async function* events(): AsyncGenerator<TestEvent> {
      yield event('test:pass', { name: 'ok' });
      yield event('test:fail', { name: 'later', todo: true, details: { type: 'test', error: new Error('x') } });
      yield event('test:pass', { name: 'a suite', details: { type: 'suite' } });
    }
    let out = '';
    for await (const chunk of summaryReporter(events())) out += chunk;
    const totals = JSON.parse(out) as Totals;
    assert.deepEqual(totals, { ...emptyTotals(), tests: 2, passed: 1, todo: 1 });
    assert.match(closingLine(totals, 1, 0.25, true), /0 failed, 0 skipped, 1 todo, .* — PASS$/);
  });

  test('each cancellation failure type counts as cancelled; other failures as failed', () => {
    const totals = emptyTotals();
    for (const failureType of ['cancelledByParent', 'testTimeoutFailure', 'testAborted', 'testCodeFailure']) {
      const error = Object.assign(new Error('x'), { failureType });
      countEvent(totals, event('test:fail', { name: failureType, details: { type: 'test', error } }));
    }
    countEvent(totals, event('test:fail', { name: 'no details', details: { type: 'test' } }));
    assert.deepEqual([totals.tests, totals.cancelled, totals.failed], [5, 3, 2]);
    assert.deepEqual(totals.failures, [
      'f.test.ts › cancelledByParent (cancelled)',
      'f.test.ts › testTimeoutFailure (cancelled)',
      'f.test.ts › testAborted (cancelled)',
      'f.test.ts › testCodeFailure',
      'f.test.ts › no details',
    ]);
  });

  test('the closing line keeps its shape, with cancelled tests among the failed', () => {
    const totals: Totals = { ...emptyTotals(), tests: 9, passed: 2, failed: 1, skipped: 1, todo: 2, cancelled: 3 };
    assert.equal(
      closingLine(totals, 4, 12.345, false),
      'tests: 9 total, 2 passed, 4 failed, 1 skipped, 2 todo, 4 files, 12.3 s — FAIL',
    );
  });
});
