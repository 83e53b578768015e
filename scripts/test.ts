// The project's test command (`npm test`): starts a real PostgreSQL server and a real redis-server on
// loopback, runs every *.test.ts with node:test against them, tears both down and closes with one
// line of counts. Arguments are substring filters on test file paths: `npm test -- gateway/src/authn`.
import { spawn } from 'node:child_process';
import { globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startPostgres, startRedis } from '../test/support/servers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const concurrency = process.env.EDGEPASS_TEST_CONCURRENCY ?? '3';

const patterns = [
  'packages/*/src/**/*.test.ts',
  'packages/*/test/**/*.test.ts',
  'examples/*/**/*.test.ts',
  'test/**/*.test.ts',
  'bench/*.test.ts',
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
const scratch = mkdtempSync(join(tmpdir(), 'edgepass-test-'));
const summaryFile = join(scratch, 'summary.json');
const t0 = performance.now();

async function main(): Promise<void> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  started.push(postgres, redis);
  console.log(`test servers: PostgreSQL ${postgres.url}  redis ${redis.url}`);

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
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      EDGEPASS_TEST_DATABASE_URL: postgres.url,
      EDGEPASS_TEST_REDIS_URL: redis.url,
      EDGEPASS_LOG_LEVEL: process.env.EDGEPASS_LOG_LEVEL ?? 'silent',
    },
  });
  const code: number = await new Promise((resolve) =>
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
  exitCode = code;
}

function closingLine(): string {
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  try {
    const t = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
      tests: number;
      passed: number;
      failed: number;
      skipped: number;
      todo: number;
      failures: string[];
    };
    if (t.failures.length > 0) {
      console.log('\nfailed tests:');
      for (const f of t.failures) console.log(`  ✖ ${f}`);
    }
    if (t.failed > 0) exitCode = exitCode || 1;
    return `tests: ${t.tests} total, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, ${t.todo} todo, ${files.length} files, ${secs} s — ${exitCode === 0 ? 'PASS' : 'FAIL'}`;
  } catch {
    exitCode = exitCode || 1;
    return `tests: no results were recorded (${secs} s) — FAIL`;
  }
}

try {
  await main();
} catch (err) {
  console.error(`test setup failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await Promise.allSettled(started.map((s) => s.stop()));
  const line = closingLine();
  rmSync(scratch, { recursive: true, force: true });
  console.log(line);
  process.exit(exitCode);
}
