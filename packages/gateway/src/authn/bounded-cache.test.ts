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

test('evicts in insertion order under any mix of sets, re-sets, deletes and clears (against a list model)', () => {
  let seed = 1;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const max = 50;
  const evicted: number[] = [];
  const cache = new BoundedCache<number, number>(max, (key) => evicted.push(key));
  let model: number[] = []; // keys, oldest first
  const modelEvicted: number[] = [];
  for (let step = 0; step < 20_000; step++) {
    const key = Math.floor(random() * 120);
    const op = random();
    if (op < 0.8) {
      cache.set(key, step);
      model = model.filter((k) => k !== key);
      model.push(key);
      if (model.length > max) modelEvicted.push(model.shift() as number);
    } else if (op < 0.95) {
      cache.delete(key);
      model = model.filter((k) => k !== key);
    } else if (op < 0.99) {
      cache.deleteWhere((_v, k) => k % 7 === key % 7);
      model = model.filter((k) => k % 7 !== key % 7);
    } else {
      cache.clear();
      model = [];
    }
    assert.equal(cache.size, model.length);
  }
  assert.deepEqual(evicted, modelEvicted);
  assert.ok(evicted.length > 1000);
  for (const key of model) assert.notEqual(cache.get(key), undefined);
});

test('an eviction costs the same at 100 000 entries as at 1 000 (no re-walk of emptied slots)', () => {
  const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}`);
  const perSet = (max: number) => {
    const cache = new BoundedCache<string, number>(max);
    for (let i = 0; i < max; i++) cache.set(keys[i] as string, i);
    const started = performance.now();
    for (let i = max; i < max + 100_000; i++) cache.set(keys[i] as string, i);
    return (performance.now() - started) / 100_000;
  };
  // the best of five interleaved runs each: other work on the machine only ever makes a run slower
  let small = Number.POSITIVE_INFINITY;
  let large = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 5; run++) {
    small = Math.min(small, perSet(1000));
    large = Math.min(large, perSet(100_000));
  }
  // a fresh iterator per eviction made the large cache ~30x slower per insertion; allow 10x for noise
  assert.ok(large < small * 10, `${(large * 1000).toFixed(2)} us vs ${(small * 1000).toFixed(2)} us per insertion`);
});
