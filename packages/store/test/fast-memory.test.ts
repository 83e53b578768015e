import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryFastState, MemoryBackend, openFastState } from '@edgepass/store';
import { fastStateSuite, resubscriptionSuite } from './fast-state-suite.ts';

fastStateSuite('memory (two handles on one backend, injected clock)', async () => {
  let now = 1_700_000_000_000;
  const backend = new MemoryBackend({ now: () => now });
  return {
    a: createMemoryFastState({ backend }),
    b: createMemoryFastState({ backend }),
    advance: (ms) => {
      now += ms;
    },
    async close() {
      backend.close();
    },
  };
});

resubscriptionSuite('memory (nothing to lose)', async () => {
  const backend = new MemoryBackend();
  return {
    a: createMemoryFastState({ backend }),
    b: createMemoryFastState({ backend }),
    async close() {
      backend.close();
    },
  };
});

test('openFastState without a Redis URL is memory, and separate memory states share nothing', async () => {
  const one = await openFastState();
  const two = await openFastState({});
  assert.equal(one.kind, 'memory');
  await one.kv.set('k', 'v');
  assert.equal(await two.kv.get('k'), null);
  let got = false;
  await two.pubsub.subscribe('c', () => {
    got = true;
  });
  await one.pubsub.publish('c', 'm');
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(got, false);
  assert.equal(
    (await one.createRateLimiter({ keyPrefix: 'rl', points: 1, durationSec: 60 }).consume('x')).allowed,
    true,
  );
  assert.equal(
    (await two.createRateLimiter({ keyPrefix: 'rl', points: 1, durationSec: 60 }).consume('x')).allowed,
    true,
  );
  await one.close();
  await two.close();
});

test('memory rate limiter windows follow the clock (mocked timers)', async (t) => {
  t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_700_000_000_000 });
  const fast = createMemoryFastState();
  const limiter = fast.createRateLimiter({ keyPrefix: 'rl:clock', points: 2, durationSec: 10 });
  assert.deepEqual(await limiter.consume('k'), { allowed: true, limit: 2, remaining: 1, resetMs: 10_000 });
  t.mock.timers.tick(4_000);
  assert.deepEqual(await limiter.consume('k'), { allowed: true, limit: 2, remaining: 0, resetMs: 6_000 });
  assert.deepEqual(await limiter.consume('k'), { allowed: false, limit: 2, remaining: 0, resetMs: 6_000 });
  t.mock.timers.tick(6_000);
  assert.deepEqual(await limiter.consume('k'), { allowed: true, limit: 2, remaining: 1, resetMs: 10_000 });
  await fast.close();
});

test('memory keys expire on the injected clock and are swept', async () => {
  let now = 0;
  const backend = new MemoryBackend({ now: () => now });
  const fast = createMemoryFastState({ backend });
  await fast.kv.set('a', '1', { ttlMs: 100 });
  await fast.kv.set('b', '2');
  now = 99;
  assert.equal(await fast.kv.ttl('a'), 1);
  now = 100;
  assert.equal(await fast.kv.get('a'), null);
  await fast.kv.set('c', '3', { ttlMs: 5 });
  now = 200;
  backend.sweep();
  assert.deepEqual([...backend.entries.keys()], ['b']);
  await fast.close();
  backend.close();
});

test('closing a handle removes its subscriptions from a shared backend', async () => {
  const backend = new MemoryBackend();
  const a = createMemoryFastState({ backend });
  const b = createMemoryFastState({ backend });
  await a.pubsub.subscribe('c', () => {});
  await b.pubsub.subscribe('c', () => {});
  assert.equal(backend.channels.get('c')?.size, 2);
  await b.close();
  assert.equal(backend.channels.get('c')?.size, 1);
  assert.equal(await a.kv.set('still', 'works'), true);
  await a.close();
  assert.equal(backend.channels.has('c'), false);
  backend.close();
});
