// The project's test command (`npm test`): starts a real PostgreSQL server and a real redis-server on
// loopback, runs every *.test.ts with node:test against them, tears both down and closes with one
// line of counts. Arguments are substring filters on test file paths: `npm test -- gateway/src/authn`.
// Each server is recorded as soon as it is up, and SIGINT/SIGTERM (Ctrl-C, a CI timeout) stop the tests
// and the servers before exiting with 128 + the signal number, so no run leaves PostgreSQL behind.
// Should that stop hang, a second signal exits at once: it SIGKILLs node --test and calls every server's
// stop without waiting (PostgreSQL's stop is synchronous, redis-server gets its SIGKILL): only what a stop
// does asynchronously is skipped (redis-server's data folder stays in the temp dir), and no counts are printed.
import { type ChildProcess, spawn } from 'node:child_process';
import { globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startPostgres, startRedis } from '../test/support/servers.ts';
import { forwardsSignal, onTermination, startAll, stopAll, stopWithoutWaiting } from './test-lifecycle.ts';
import { closingLine, failedCount, type Totals } from './test-summary-reporter.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const concurrency = process.env.EDGEPASS_TEST_CONCURRENCY ?? '3';

const patterns = [
  'packages/*/src/**/*.test.ts',
  'packages/*/test/**/*.test.ts',
  'examples/*/**/*.test.ts',
  'test/**/*.test.ts',
  'bench/*.test.ts',
  'scripts/*.test.ts',
];
const files = patterns
  .flatMap((p) => globSync(p, { cwd: root }))
  .filter((f) => !f.includes('node_modules'))
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();

if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || patterns.join(' ')}`);
  process.exit(1);
}

const started: RunningServer[] = [];
let exitCode = 1;
let child: ChildProcess | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'edgepass-test-'));
const summaryFile = join(scratch, 'summary.json');
const t0 = performance.now();

const stdinIsTerminal = isatty(0);
const interruption = onTermination(
  (signal) => {
    console.error(`\n${signal}: stopping the tests and the test servers (again to exit at once)`);
    // node --test stops its test files on SIGINT/SIGTERM and still reports; a Ctrl-C reaches it directly.
    if (forwardsSignal(signal, stdinIsTerminal)) child?.kill(signal);
  },
  (signal) => {
    console.error(`\n${signal} again: exiting at once, without waiting for the test servers to stop`);
    child?.kill('SIGKILL');
    stopWithoutWaiting(started);
    rmSync(scratch, { recursive: true, force: true });
    process.exit(interruption.exitCode);
  },
);

async function main(): Promise<void> {
  const [postgres, redis] = await startAll([startPostgres, startRedis], started);
  console.log(`test servers: PostgreSQL ${postgres.url}  redis ${redis.url}`);
  if (interruption.signal !== undefined) return;

  const reporter = relative(root, fileURLToPath(new URL('./test-summary-reporter.ts', import.meta.url)));
  const args = [
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=180000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=./${reporter}`,
    `--test-reporter-destination=${summaryFile}`,
    ...files,
  ];
  const running = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      EDGEPASS_TEST_DATABASE_URL: postgres.url,
      EDGEPASS_TEST_REDIS_URL: redis.url,
      EDGEPASS_LOG_LEVEL: process.env.EDGEPASS_LOG_LEVEL ?? 'silent',
    },
  });
  child = running;
  const code: number = await new Promise((resolve) =>
    running.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
  exitCode = code;
}

function summary(): string {
  const secs = (performance.now() - t0) / 1000;
  try {
    const t = JSON.parse(readFileSync(summaryFile, 'utf8')) as Totals;
    if (t.failures.length > 0) {
      console.log('\nfailed tests:');
      for (const f of t.failures) console.log(`  ✖ ${f}`);
    }
    if (failedCount(t) > 0) exitCode = exitCode || 1;
    return closingLine(t, files.length, secs, exitCode === 0);
  } catch {
    exitCode = exitCode || 1;
    return `tests: no results were recorded (${secs.toFixed(1)} s) — FAIL`;
  }
}

try {
  await main();
} catch (err) {
  console.error(`test setup failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  for (const err of await stopAll(started)) {
    console.error(`stopping a test server failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (interruption.exitCode !== undefined) exitCode = interruption.exitCode;
  const line = summary();
  rmSync(scratch, { recursive: true, force: true });
  console.log(line);
  process.exit(exitCode);
}
