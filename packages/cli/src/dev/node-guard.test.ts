// node-guard.mjs, the entry of `npm start` / `npm run edgepass`, run as a process: on a Node that cannot run
// the TypeScript CLI (faked with a preload that rewrites process.versions / process.features) it prints one
// line naming the fix and exits 1 without loading bin.ts; on this Node it runs the CLI with its arguments.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const GUARD = fileURLToPath(new URL('./node-guard.mjs', import.meta.url));
const HINT =
  'edgepass needs Node >= 22; run npm ci without --ignore-scripts so the node devDependency installs Node 24';

/** A preload that makes this Node report another version and, optionally, no type stripping. */
function fake(version: string, typescript: string | false): string[] {
  const code = [
    `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });`,
    `Object.defineProperty(process.features, 'typescript', { value: ${JSON.stringify(typescript)} });`,
  ].join('');
  return ['--import', `data:text/javascript,${encodeURIComponent(code)}`];
}

function runGuard(nodeArgs: string[], args: string[]): { code: number | null; out: string; err: string } {
  const run = spawnSync(process.execPath, [...nodeArgs, GUARD, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('node-guard.mjs', () => {
  test('on Node 20 it prints one line naming the fix and exits 1, without running the CLI', () => {
    const run = runGuard(fake('20.20.2', false), ['dev', '--help']);
    assert.equal(run.code, 1);
    assert.equal(run.err, `${HINT} (this is Node 20.20.2)\n`);
    assert.equal(run.out, '', 'the CLI did not run');
  });

  test('on a Node 22 without type stripping it says so', () => {
    const run = runGuard(fake('22.11.0', false), ['dev']);
    assert.equal(run.code, 1);
    assert.equal(run.err, `${HINT} (this is Node 22.11.0, without TypeScript type stripping)\n`);
  });

  test('on this Node it runs bin.ts with the arguments it was given', () => {
    const run = runGuard([], ['dev', '--help']);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^usage: edgepass dev /);
    assert.equal(run.err, '');
  });
});
