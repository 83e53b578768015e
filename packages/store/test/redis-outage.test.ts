// Redis going away and coming back, with a redis-server of the test's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { type FastState, isStoreUnavailable, openRedisFastState } from '@edgepass/store';
import { uniquePrefix } from '../../../test/support/env.ts';
import { startRedis } from '../../../test/support/servers.ts';
import { Inbox, waitFor } from '../../../test/support/wait.ts';

/** Every operation a caller can make, each of which must fail fast while Redis is unreachable. */
function operations(fast: FastState): [string, () => Promise<unknown>][] {
  const limiter = fast.createRateLimiter({ keyPrefix: 'rl:down', points: 10, durationSec: 60 });
  return [
    ['kv.get', () => fast.kv.get('k')],
    ['kv.set', () => fast.kv.set('k', 'v', { ttlMs: 1000, onlyIfAbsent: true })],
    ['kv.delete', () => fast.kv.delete('k')],
    ['kv.incr', () => fast.kv.incr('n')],
    ['kv.incr with ttl', () => fast.kv.incr('q', 1, 60_000)],
    ['kv.ttl', () => fast.kv.ttl('k')],
    ['pubsub.publish', () => fast.pubsub.publish('events', 'lost')],
    ['pubsub.subscribe', () => fast.pubsub.subscribe('new-channel', () => {})],
    ['rateLimiter.consume', () => limiter.consume('ip:1')],
  ];
}

async function assertFailsFast(
  t: { diagnostic(message: string): void },
  fast: FastState,
  limitMs: number,
  secret?: string,
): Promise<void> {
  for (const [name, op] of operations(fast)) {
    const started = performance.now();
    const err = await op().then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    t.diagnostic(`${name}: rejected after ${elapsed.toFixed(1)} ms`);
    assert.ok(isStoreUnavailable(err), `${name} must reject with STORE_UNAVAILABLE, got ${inspect(err)}`);
    assert.equal(err.code, 'STORE_UNAVAILABLE');
    assert.equal(err.status, 503);
    assert.ok(elapsed < limitMs, `${name} took ${elapsed} ms`);
    if (secret) assert.equal(inspect(err, { depth: 5 }).includes(secret), false, `${name} leaks the password`);
  }
  assert.equal(await fast.ping(), false);
}

test('Redis stopped: every operation rejects at once with STORE_UNAVAILABLE; after a restart commands and subscriptions recover by themselves', async (t) => {
  let server = await startRedis();
  const keyPrefix = uniquePrefix('outage');
  const errors: Error[] = [];
  const open = () => openRedisFastState({ url: server.url, keyPrefix, onError: (e) => errors.push(e) });
  const [fast, peer] = await Promise.all([open(), open()]);
  try {
    const inbox = new Inbox();
    await fast.pubsub.subscribe('events', inbox.push);
    await peer.pubsub.publish('events', 'before');
    await inbox.atLeast(1);
    await fast.kv.set('kept', 'no');

    await server.stop();
    await waitFor(async () => !(await fast.ping()), { what: 'the client noticing Redis is gone' });
    await assertFailsFast(t, fast, 250);
    await waitFor(() => errors.length > 0, { what: 'a reconnection error reported to onError' });

    server = await startRedis({ port: server.port });
    // commands come back without any action by the caller
    await waitFor(() => fast.kv.set('back', 'yes').catch(() => false), { timeoutMs: 10_000, what: 'commands' });
    assert.equal(await fast.ping(), true);
    assert.equal(await fast.kv.get('kept'), null, 'a fresh server has none of the old data');
    assert.equal(
      (await fast.createRateLimiter({ keyPrefix: 'rl:up', points: 1, durationSec: 60 }).consume('x')).allowed,
      true,
    );
    // the subscription made before the outage is restored: keep publishing until it is delivered again
    await waitFor(
      async () => {
        await peer.pubsub.publish('events', 'after').catch(() => {});
        return inbox.items.includes('after');
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'the subscription to be restored' },
    );
    assert.equal(inbox.items.includes('lost'), false);
    // and a subscription that failed while Redis was down can simply be made again
    const late = new Inbox();
    await fast.pubsub.subscribe('new-channel', late.push);
    await peer.pubsub.publish('new-channel', 'hello');
    assert.deepEqual(await late.atLeast(1), ['hello']);
  } finally {
    await Promise.all([fast.close(), peer.close()]);
    await server.stop();
  }
});

test('Redis silent (paused, connections open): operations time out with STORE_UNAVAILABLE after commandTimeoutMs', async (t) => {
  const server = await startRedis({ password: 'hunter2' });
  const fast = await openRedisFastState({ url: server.url, keyPrefix: uniquePrefix('paused'), commandTimeoutMs: 300 });
  try {
    assert.equal(await fast.kv.set('untouched', 'v'), true);
    server.pause();
    await assertFailsFast(t, fast, 1000, 'hunter2');
    server.resume();
    // (a command that timed out may still run once Redis wakes up: its outcome is unknown, not "not done")
    await waitFor(() => fast.kv.get('untouched').catch(() => null), { what: 'Redis answering again' });
    assert.equal(await fast.kv.get('untouched'), 'v');
  } finally {
    server.resume();
    await fast.close();
    await server.stop();
  }
});
