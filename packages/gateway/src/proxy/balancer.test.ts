import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BalancedTarget, Balancer } from './balancer.ts';

function targets(...urls: string[]): BalancedTarget[] {
  return urls.map((url) => ({ url, failures: 0, downUntil: 0, trial: false }));
}

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

const picks = (b: Balancer<BalancedTarget>, n: number) => Array.from({ length: n }, () => b.pick()?.url ?? '-');

describe('Balancer', () => {
  test('round robin over all targets while they are up', () => {
    const b = new Balancer(targets('a', 'b', 'c'), { failures: 2, cooldownMs: 1000 }, clock().now);
    assert.deepEqual(picks(b, 7), ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  test('N consecutive failures mark a target down; a success in between resets the count', () => {
    const c = clock();
    const [a, b] = targets('a', 'b');
    const bal = new Balancer([a, b], { failures: 2, cooldownMs: 1000 }, c.now);
    bal.settle(a, 'failed');
    bal.settle(a, 'ok');
    bal.settle(a, 'failed');
    assert.equal(bal.healthy(a), true);
    assert.equal(a.failures, 1);
    bal.settle(a, 'failed');
    assert.equal(bal.healthy(a), false);
    assert.equal(a.failures, 2);
    assert.deepEqual(picks(bal, 3), ['b', 'b', 'b']);
  });

  test('after the cooldown a down target gets exactly one trial; success brings it back', () => {
    const c = clock();
    const [a, b] = targets('a', 'b');
    const bal = new Balancer([a, b], { failures: 1, cooldownMs: 1000 }, c.now);
    bal.settle(a, 'failed');
    c.advance(999);
    assert.deepEqual(picks(bal, 2), ['b', 'b']);
    c.advance(1);
    const trial = bal.pick();
    assert.equal(trial, a);
    assert.equal(a.trial, true);
    assert.deepEqual(picks(bal, 3), ['b', 'b', 'b'], 'no second trial while one is in flight');
    bal.settle(a, 'ok');
    assert.equal(bal.healthy(a), true);
    assert.equal(a.failures, 0);
    assert.deepEqual(picks(bal, 4).sort(), ['a', 'a', 'b', 'b']);
  });

  test('a failed trial puts the target down for another cooldown', () => {
    const c = clock();
    const [a] = targets('a');
    const bal = new Balancer([a], { failures: 3, cooldownMs: 500 }, c.now);
    for (let i = 0; i < 3; i++) bal.settle(a, 'failed');
    assert.equal(bal.pick(), undefined, 'every target down');
    c.advance(500);
    assert.equal(bal.pick(), a);
    bal.settle(a, 'failed');
    assert.equal(bal.pick(), undefined);
    c.advance(499);
    assert.equal(bal.pick(), undefined);
    c.advance(1);
    assert.equal(bal.pick(), a);
  });

  test('a trial without a verdict (client gone) lets the next request try again', () => {
    const c = clock();
    const [a] = targets('a');
    const bal = new Balancer([a], { failures: 1, cooldownMs: 100 }, c.now);
    bal.settle(a, 'failed');
    c.advance(100);
    assert.equal(bal.pick(), a);
    assert.equal(bal.pick(), undefined);
    bal.settle(a, 'neutral');
    assert.equal(bal.healthy(a), false);
    assert.equal(bal.pick(), a);
  });

  test('pick(exclude) skips the target a retry comes from', () => {
    const [a, b] = targets('a', 'b');
    const bal = new Balancer([a, b], { failures: 1, cooldownMs: 100 }, clock().now);
    assert.equal(bal.pick(a), b);
    assert.equal(bal.pick(a), b);
    assert.equal(new Balancer([a], { failures: 1, cooldownMs: 100 }, Date.now).pick(a), undefined);
  });

  test('rejects empty target lists and nonsensical health settings', () => {
    assert.throws(() => new Balancer([], { failures: 1, cooldownMs: 1 }, Date.now), TypeError);
    assert.throws(() => new Balancer(targets('a'), { failures: 0, cooldownMs: 1 }, Date.now), TypeError);
    assert.throws(() => new Balancer(targets('a'), { failures: 1, cooldownMs: -1 }, Date.now), TypeError);
  });
});
