// One behavioural suite for every FastState implementation (memory and Redis).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FastState, isStoreError } from '@edgepass/store';
import { Inbox, waitFor } from '../../../test/support/wait.ts';

export interface FastStateFixture {
  /** Two handles on the same state, as two processes would have (for Redis: two connections). */
  a: FastState;
  b: FastState;
  /**
   * Makes ms pass for key expiry (memory: an injected clock). Without it, tests use short real TTLs
   * and poll with a deadline.
   */
  advance?: (ms: number) => void;
  close(): Promise<void>;
}

async function using<F extends FastStateFixture>(open: () => Promise<F>, fn: (fx: F) => Promise<void>) {
  const fx = await open();
  try {
    await fn(fx);
  } finally {
    await fx.close();
  }
}

/** Waits until `key` has expired: by advancing the clock when there is one, else by polling. */
async function expire(fx: FastStateFixture, ttlMs: number, key: string): Promise<void> {
  if (fx.advance) fx.advance(ttlMs);
  await waitFor(async () => (await fx.b.kv.get(key)) === null, { timeoutMs: 3000, what: `expiry of ${key}` });
}

export function fastStateSuite(name: string, open: () => Promise<FastStateFixture>): void {
  describe(`FastState on ${name}`, () => {
    test('get/set/delete: values are shared between handles; a missing key is null', () =>
      using(open, async ({ a, b }) => {
        assert.equal(await a.kv.get('k'), null);
        assert.equal(await a.kv.set('k', 'v1'), true);
        assert.equal(await b.kv.get('k'), 'v1');
        assert.equal(await b.kv.set('k', 'v2'), true);
        assert.equal(await a.kv.get('k'), 'v2');
        await a.kv.delete('k');
        assert.equal(await b.kv.get('k'), null);
        await a.kv.delete('never-set');
      }));

    test('set with onlyIfAbsent writes only a missing key; of many concurrent writers exactly one wins', () =>
      using(open, async ({ a, b }) => {
        assert.equal(await a.kv.set('nx', 'first', { onlyIfAbsent: true }), true);
        assert.equal(await b.kv.set('nx', 'second', { onlyIfAbsent: true }), false);
        assert.equal(await a.kv.get('nx'), 'first');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).kv.set('race', `w${i}`, { onlyIfAbsent: true })),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true);
        assert.equal(await a.kv.get('race'), `w${winner}`);
      }));

    test('ttl reports -2 for a missing key, -1 without expiry, remaining ms with one; the key expires', (t) =>
      using(open, async (fx) => {
        const { a, b } = fx;
        assert.equal(await a.kv.ttl('absent'), -2);
        await a.kv.set('forever', 'x');
        assert.equal(await a.kv.ttl('forever'), -1);
        const ttlMs = fx.advance ? 60_000 : 200;
        await a.kv.set('short', 'x', { ttlMs });
        const left = await b.kv.ttl('short');
        t.diagnostic(`ttl right after set: ${left} of ${ttlMs}`);
        assert.ok(left > 0 && left <= ttlMs, `ttl ${left}`);
        await expire(fx, ttlMs, 'short');
        assert.equal(await a.kv.ttl('short'), -2);
        assert.equal(await a.kv.get('forever'), 'x');
      }));

    test('an expired onlyIfAbsent key can be taken again (a lock with a lease)', () =>
      using(open, async (fx) => {
        const ttlMs = fx.advance ? 10_000 : 200;
        assert.equal(await fx.a.kv.set('lease', 'a', { onlyIfAbsent: true, ttlMs }), true);
        assert.equal(await fx.b.kv.set('lease', 'b', { onlyIfAbsent: true, ttlMs }), false);
        await expire(fx, ttlMs, 'lease');
        assert.equal(await fx.b.kv.set('lease', 'b', { onlyIfAbsent: true, ttlMs }), true);
        assert.equal(await fx.a.kv.get('lease'), 'b');
      }));

    test('incr creates, adds and returns the new value; ttlMs applies only when the key is new', () =>
      using(open, async (fx) => {
        const { a, b } = fx;
        assert.equal(await a.kv.incr('n'), 1);
        assert.equal(await b.kv.incr('n', 5), 6);
        assert.equal(await a.kv.incr('n', -2), 4);
        assert.equal(await b.kv.get('n'), '4');
        assert.equal(await a.kv.ttl('n'), -1);

        const window = fx.advance ? 60_000 : 300;
        assert.equal(await a.kv.incr('q', 1, window), 1);
        assert.equal(await a.kv.incr('q', 1, window * 1000), 2);
        const left = await a.kv.ttl('q');
        assert.ok(left > 0 && left <= window, `the second incr must not extend the window (ttl ${left})`);
        await expire(fx, window, 'q');
        assert.equal(await b.kv.incr('q', 1, window), 1, 'a new window starts from zero');

        // an existing key without expiry keeps having none
        assert.equal(await a.kv.incr('n', 1, 1000), 5);
        assert.equal(await a.kv.ttl('n'), -1);

        await a.kv.set('text', 'abc');
        await assert.rejects(a.kv.incr('text'));
        assert.equal(await a.kv.get('text'), 'abc');
      }));

    test('getAndDelete returns the value once and removes the key; of concurrent callers exactly one gets it', () =>
      using(open, async ({ a, b }) => {
        assert.equal(await a.kv.getAndDelete('absent'), null);
        await a.kv.set('once', 'v', { ttlMs: 60_000 });
        assert.equal(await b.kv.getAndDelete('once'), 'v');
        assert.equal(await a.kv.get('once'), null);
        assert.equal(await a.kv.ttl('once'), -2);
        assert.equal(await a.kv.getAndDelete('once'), null);

        await b.kv.set('race', 'token');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).kv.getAndDelete('race')),
        );
        assert.deepEqual(
          results.filter((r) => r !== null),
          ['token'],
        );
      }));

    test('a TTL that is not a positive integer and a fractional increment are refused, changing nothing', () =>
      using(open, async ({ a, b }) => {
        await a.kv.set('k', 'kept');
        await a.kv.incr('n', 3);
        for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await assert.rejects(a.kv.set('k', 'changed', { ttlMs }), RangeError, `set ttlMs ${ttlMs}`);
          await assert.rejects(
            a.kv.set('fresh', 'x', { ttlMs, onlyIfAbsent: true }),
            RangeError,
            `set NX ttlMs ${ttlMs}`,
          );
          await assert.rejects(a.kv.incr('n', 1, ttlMs), RangeError, `incr ttlMs ${ttlMs}`);
          await assert.rejects(a.kv.incr('new-counter', 1, ttlMs), RangeError, `incr of a new key, ttlMs ${ttlMs}`);
        }
        for (const by of [0.5, -1.5, Number.NaN]) {
          await assert.rejects(a.kv.incr('n', by), RangeError, `incr by ${by}`);
          await assert.rejects(a.kv.incr('n', by, 60_000), RangeError, `incr by ${by} with a window`);
        }
        assert.equal(await b.kv.get('k'), 'kept');
        assert.equal(await b.kv.ttl('k'), -1);
        assert.equal(await b.kv.get('n'), '3');
        assert.equal(await b.kv.get('fresh'), null);
        assert.equal(await b.kv.get('new-counter'), null);
      }));

    test('incr is atomic under concurrency from two handles', () =>
      using(open, async ({ a, b }) => {
        const n = 200;
        const values = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? a : b).kv.incr('c', 1, 60_000)));
        assert.deepEqual(
          values.sort((x, y) => x - y),
          Array.from({ length: n }, (_, i) => i + 1),
        );
        assert.equal(await a.kv.get('c'), String(n));
      }));

    test('pub/sub fans out to every subscriber of both handles, in publish order', () =>
      using(open, async ({ a, b }) => {
        const inA = new Inbox();
        const inA2 = new Inbox();
        const inB = new Inbox();
        await a.pubsub.subscribe('news', inA.push);
        await a.pubsub.subscribe('news', inA2.push);
        await b.pubsub.subscribe('news', inB.push);
        await a.pubsub.publish('news', 'one');
        await b.pubsub.publish('news', 'two');
        await a.pubsub.publish('news', 'three');
        for (const inbox of [inA, inA2, inB]) {
          assert.deepEqual(await inbox.atLeast(3), ['one', 'two', 'three']);
        }
      }));

    test('delivery is asynchronous: publish returns before any handler runs', () =>
      using(open, async ({ a }) => {
        const seen: string[] = [];
        await a.pubsub.subscribe('async', (m) => seen.push(m));
        const inbox = new Inbox();
        await a.pubsub.subscribe('async', inbox.push);
        const publishing = a.pubsub.publish('async', 'm');
        assert.deepEqual(seen, []);
        await publishing;
        await inbox.atLeast(1);
        assert.deepEqual(seen, ['m']);
      }));

    test('unsubscribe stops delivery to that handler only; other channels are separate', () =>
      using(open, async ({ a, b }) => {
        const kept = new Inbox();
        const dropped = new Inbox();
        const sentinel = new Inbox();
        const other = new Inbox();
        await a.pubsub.subscribe('ch', kept.push);
        const unsubscribe = await b.pubsub.subscribe('ch', dropped.push);
        await b.pubsub.subscribe('sentinel', sentinel.push);
        await b.pubsub.subscribe('other', other.push);
        await a.pubsub.publish('ch', 'before');
        await dropped.atLeast(1);
        await unsubscribe();
        await unsubscribe(); // idempotent
        await a.pubsub.publish('ch', 'after');
        await a.pubsub.publish('sentinel', 'done');
        // b's sentinel message was published after 'after': once it arrives, 'after' would have too
        await sentinel.atLeast(1);
        assert.deepEqual(await kept.atLeast(2), ['before', 'after']);
        assert.deepEqual(dropped.items, ['before']);
        assert.deepEqual(other.items, []);
      }));

    test('a handler that throws does not stop delivery to the others', () =>
      using(open, async ({ a, b }) => {
        const inbox = new Inbox();
        await b.pubsub.subscribe('err', () => {
          throw new Error('handler failure');
        });
        await b.pubsub.subscribe('err', inbox.push);
        await a.pubsub.publish('err', 'x');
        await a.pubsub.publish('err', 'y');
        assert.deepEqual(await inbox.atLeast(2), ['x', 'y']);
      }));

    test('rate limiter reports limit, remaining and resetMs, refuses over the limit, and is shared', () =>
      using(open, async ({ a, b }) => {
        const options = { keyPrefix: 'rl:test', points: 3, durationSec: 60 };
        const la = a.createRateLimiter(options);
        const lb = b.createRateLimiter(options);
        const results = [await la.consume('ip:1'), await lb.consume('ip:1'), await la.consume('ip:1')];
        assert.deepEqual(
          results.map((r) => [r.allowed, r.limit, r.remaining]),
          [
            [true, 3, 2],
            [true, 3, 1],
            [true, 3, 0],
          ],
        );
        for (const r of results) assert.ok(r.resetMs > 0 && r.resetMs <= 60_000, `resetMs ${r.resetMs}`);
        const refused = await lb.consume('ip:1');
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.equal(refused.limit, 3);
        assert.ok(refused.resetMs > 0 && refused.resetMs <= 60_000);
        // other keys and other limiters have their own counters
        assert.equal((await la.consume('ip:2')).remaining, 2);
        assert.equal((await a.createRateLimiter({ ...options, keyPrefix: 'rl:other' }).consume('ip:1')).allowed, true);
        // several points at once
        const heavy = a.createRateLimiter({ keyPrefix: 'rl:heavy', points: 10, durationSec: 60 });
        assert.deepEqual([(await heavy.consume('k', 4)).remaining, (await heavy.consume('k', 6)).remaining], [6, 0]);
        assert.equal((await heavy.consume('k', 1)).allowed, false);
      }));

    test('rate limiter window resets after durationSec', () =>
      using(open, async ({ a }) => {
        const limiter = a.createRateLimiter({ keyPrefix: 'rl:window', points: 1, durationSec: 1 });
        const first = await limiter.consume('k');
        assert.equal(first.allowed, true);
        assert.equal((await limiter.consume('k')).allowed, false);
        const next = await waitFor(
          async () => {
            const r = await limiter.consume('k');
            return r.allowed ? r : undefined;
          },
          { timeoutMs: 3000, intervalMs: 50, what: 'a new window' },
        );
        assert.equal(next.remaining, 0);
        assert.ok(next.resetMs > 0 && next.resetMs <= 1000);
      }));

    test('exactly N of many concurrent consumers on two handles are allowed', () =>
      using(open, async ({ a, b }) => {
        const options = { keyPrefix: 'rl:burst', points: 25, durationSec: 60 };
        const limiters = [a.createRateLimiter(options), b.createRateLimiter(options)];
        const results = await Promise.all(Array.from({ length: 120 }, (_, i) => limiters[i % 2].consume('user:1')));
        assert.equal(results.filter((r) => r.allowed).length, 25);
        assert.deepEqual(
          results
            .filter((r) => r.allowed)
            .map((r) => r.remaining)
            .sort((x, y) => x - y),
          Array.from({ length: 25 }, (_, i) => i),
        );
      }));

    test('ping is true while open; a closed handle pings false and refuses operations', () =>
      using(open, async ({ a, b }) => {
        assert.equal(await a.ping(), true);
        await b.close();
        await b.close();
        assert.equal(await b.ping(), false);
        await assert.rejects(b.kv.get('x'), (err) => isStoreError(err, 'STORE_CLOSED'));
        await assert.rejects(b.kv.getAndDelete('x'), (err) => isStoreError(err, 'STORE_CLOSED'));
        await assert.rejects(b.pubsub.publish('x', 'y'), (err) => isStoreError(err, 'STORE_CLOSED'));
        await assert.rejects(
          b.createRateLimiter({ keyPrefix: 'rl:closed', points: 1, durationSec: 1 }).consume('k'),
          (err) => isStoreError(err, 'STORE_CLOSED'),
        );
        // the other handle is unaffected
        assert.equal(await a.kv.set('still', 'ok'), true);
      }));
  });
}

export interface ResubscriptionFixture extends FastStateFixture {
  /** Stops the server and starts it again on the same address (the handles reconnect by themselves); absent for
   *  state that has no connection to lose. */
  restart?: () => Promise<void>;
}

/** PubSub.onResubscribed: exactly once per re-established subscription, never for the first one. */
export function resubscriptionSuite(name: string, open: () => Promise<ResubscriptionFixture>): void {
  describe(`PubSub.onResubscribed on ${name}`, () => {
    test('not called while the subscription holds; removing a listener is idempotent', () =>
      using(open, async ({ a, b }) => {
        let calls = 0;
        const inbox = new Inbox();
        await a.pubsub.subscribe('steady', inbox.push);
        const stop = a.pubsub.onResubscribed?.(() => calls++);
        for (const m of ['1', '2', '3']) await b.pubsub.publish('steady', m);
        assert.deepEqual(await inbox.atLeast(3), ['1', '2', '3']);
        assert.equal(calls, 0);
        await stop?.();
        await stop?.();
      }));

    test('after the server restarts: once per handle, after its channels are subscribed again, before any new message', (t) =>
      using(open, async (fx) => {
        const { a, b, restart } = fx;
        if (restart === undefined) {
          t.diagnostic('no connection to lose: onResubscribed never fires here');
          return;
        }
        assert.equal(typeof a.pubsub.onResubscribed, 'function');
        const order: string[] = [];
        await a.pubsub.subscribe('after', (m) => order.push(`message ${m}`));
        let removedCalls = 0;
        const removed = a.pubsub.onResubscribed?.(() => removedCalls++);
        await removed?.();
        // told, the listener publishes at once (through b, as soon as b is connected again): the message must come
        let round = 0;
        a.pubsub.onResubscribed?.(() => {
          order.push('resubscribed');
          const message = String(++round);
          void waitFor(() => b.pubsub.publish('after', message).then(() => true), {
            timeoutMs: 5000,
            what: `publishing ${message}`,
          });
        });
        let bCalls = 0;
        b.pubsub.onResubscribed?.(() => bCalls++);
        await restart();
        await waitFor(() => order.includes('message 1') && bCalls === 1, {
          timeoutMs: 5000,
          what: 'the resubscription of both handles, and the message published when it was announced',
        });
        assert.deepEqual(order, ['resubscribed', 'message 1']);
        assert.equal(removedCalls, 0, 'a removed listener is not called');

        await restart();
        await waitFor(() => order.includes('message 2') && bCalls === 2, {
          timeoutMs: 5000,
          what: 'the second resubscription',
        });
        assert.deepEqual(order, ['resubscribed', 'message 1', 'resubscribed', 'message 2']);
      }));
  });
}
