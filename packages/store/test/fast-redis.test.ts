import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import {
  DEFAULT_KEY_PREFIX,
  isStoreError,
  isStoreUnavailable,
  openFastState,
  openRedisFastState,
} from '@edgepass/store';
import { Redis } from 'ioredis';
import { testRedisUrl, uniquePrefix } from '../../../test/support/env.ts';
import { freePort, type RedisServer, startRedis } from '../../../test/support/servers.ts';
import { Inbox } from '../../../test/support/wait.ts';
import { fastStateSuite, resubscriptionSuite } from './fast-state-suite.ts';

fastStateSuite('Redis (two connections = two processes)', async () => {
  const keyPrefix = uniquePrefix('fs');
  const url = testRedisUrl();
  const [a, b] = await Promise.all([openRedisFastState({ url, keyPrefix }), openRedisFastState({ url, keyPrefix })]);
  return {
    a,
    b,
    async close() {
      await Promise.all([a.close(), b.close()]);
    },
  };
});

// a redis-server of its own, restarted on the same port under the two handles
resubscriptionSuite('Redis (restarted)', async () => {
  let server: RedisServer = await startRedis();
  const keyPrefix = uniquePrefix('resub');
  const url = server.url;
  const [a, b] = await Promise.all([openRedisFastState({ url, keyPrefix }), openRedisFastState({ url, keyPrefix })]);
  return {
    a,
    b,
    async restart() {
      await server.stop();
      server = await startRedis({ port: server.port });
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
      await server.stop();
    },
  };
});

test('every key, counter, limiter and channel lives under the key prefix', async () => {
  const keyPrefix = uniquePrefix('ns');
  const fast = await openFastState({ redisUrl: testRedisUrl(), keyPrefix });
  const raw = new Redis(testRedisUrl());
  const rawSub = new Redis(testRedisUrl());
  try {
    assert.equal(fast.kind, 'redis');
    await fast.kv.set('plain', 'v');
    await fast.kv.incr('counter', 1, 60_000);
    await fast.createRateLimiter({ keyPrefix: 'rl:x', points: 5, durationSec: 60 }).consume('ip:1');
    assert.deepEqual((await raw.keys(`${keyPrefix}*`)).sort(), [
      `${keyPrefix}counter`,
      `${keyPrefix}plain`,
      `${keyPrefix}rl:x:ip:1`,
    ]);
    assert.equal(await raw.get('plain'), null);

    const inbox = new Inbox();
    rawSub.on('message', (_channel: string, message: string) => inbox.push(message));
    await rawSub.subscribe(`${keyPrefix}events`);
    await fast.pubsub.publish('events', 'hello');
    assert.deepEqual(await inbox.atLeast(1), ['hello']);

    // and another prefix does not see them
    const other = await openFastState({ redisUrl: testRedisUrl(), keyPrefix: uniquePrefix('ns') });
    assert.equal(await other.kv.get('plain'), null);
    await other.close();
  } finally {
    await fast.close();
    raw.disconnect();
    rawSub.disconnect();
  }
  assert.equal(DEFAULT_KEY_PREFIX, 'edgepass:');
});

test('a bad REDIS_URL is STORE_CONFIG_INVALID and does not echo the password', async () => {
  for (const url of ['redis://:hunter2@ bad host', 'http://:hunter2@localhost:6379']) {
    const err = await openRedisFastState({ url }).catch((e: unknown) => e);
    assert.ok(isStoreError(err, 'STORE_CONFIG_INVALID'));
    assert.equal(inspect(err, { depth: 5 }).includes('hunter2'), false);
  }
});

test('an unreachable Redis fails to open with STORE_UNAVAILABLE within the connect timeout, password redacted', async () => {
  const port = await freePort();
  const started = Date.now();
  const err = await openRedisFastState({ url: `redis://:hunter2@127.0.0.1:${port}`, connectTimeoutMs: 500 }).catch(
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;
  assert.ok(isStoreUnavailable(err));
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.equal(inspect(err, { depth: 5 }).includes('hunter2'), false);
});
