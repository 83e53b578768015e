// The README's demo table ("| # | command | what you get |") is the banner's text: one row per command of
// demoCommands(), in order, with its title and what it returns (for the default `npm start`: fast state in memory).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { demoCommands } from './demo-commands.ts';

const TABLE_HEAD = '| # | command | what you get |';

/** The rows of the README's demo table as [number, command, result] cells. */
function readmeDemoRows(readme: string): string[][] {
  const lines = readme.split('\n');
  const head = lines.indexOf(TABLE_HEAD);
  assert.notEqual(head, -1, `README.md has the demo table (${TABLE_HEAD})`);
  const rows: string[][] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function assertTableMatchesBanner(readme: string): void {
  const banner = demoCommands('http://127.0.0.1:8080', 'ep_test_x', 'memory');
  assert.deepEqual(
    readmeDemoRows(readme),
    banner.map((c, i) => [String(i + 1), c.title, c.expect]),
  );
}

test('the README demo table has one row per banner command, with its title and result, in order', () => {
  assertTableMatchesBanner(README);
});

test('a README row whose result or title disagrees with the banner, or a missing row, fails the check', () => {
  const row2 =
    '| 2 | the same request without a credential | 401 application/problem+json, WWW-Authenticate: Bearer realm="edgepass" |';
  assert.ok(README.includes(row2));
  for (const edited of [
    README.replace(row2, row2.replace(' realm="edgepass"', '')),
    README.replace(row2, row2.replace('the same request', 'a request')),
    README.replace(`${row2}\n`, ''),
  ]) {
    assert.notEqual(edited, README);
    assert.throws(() => assertTableMatchesBanner(edited), assert.AssertionError);
  }
});
