import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedCache } from './bounded-cache.ts';

test('the cap evicts the oldest insertion; re-setting a key refreshes it', () => {
  const evicted: string[] = [];
  const cache = new BoundedCache<string, number>(3, (key) => evicted.push(key));
  cache.set('a', 1);
  cache.set('b', 2);
  cache.set('c', 3);
  cache.set('a', 10);
  cache.set('d', 4);
  assert.deepEqual(evicted, ['b']);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('a'), 10);
  assert.equal(cache.get('b'), undefined);
  assert.equal(
    cache.deleteWhere((v) => v > 3),
    2,
  );
  assert.deepEqual([cache.get('c'), cache.size], [3, 1]);
});
