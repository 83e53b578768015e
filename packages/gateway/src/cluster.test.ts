import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { workerCount } from './cluster.ts';

test('workers: auto is one process per core the OS gives this process; a number is taken as is', () => {
  assert.equal(workerCount('auto'), availableParallelism());
  assert.equal(workerCount(1), 1);
  assert.equal(workerCount(3), 3);
});
