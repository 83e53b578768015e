// Missed events: pub/sub is at-most-once, so a gateway whose Redis subscription was cut misses what was
// published meanwhile. Once the subscription is back, the gateway drops its cached tokens, API keys and
// sessions, so those revocations are honoured at once — not only after revalidateAfter (set to an hour here,
// with a fixed clock, so that nothing else can explain a refusal). Each gateway has a redis-server of its own:
//   1. its subscriber connection is killed and kept from reconnecting (maxclients) while the revocations
//      are published — PUBLISH reports that nobody received them;
//   2. the redis-server is stopped while keys and sessions are revoked in the database, then restarted on
//      the same port;
//   3. the case the probe alone could miss: a gap shorter than the probe interval (an hour here, so no probe
//      runs at all) — the subscriber is killed, the revocations published, and it reconnects at once; the store's
//      onResubscribed reports it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deniedJtiKey, type EdgeEvent, EVENTS_CHANNEL, encodeEvent, openStore, type Store } from '@edgepass/store';
import { Redis } from 'ioredis';
import { uniquePrefix } from '../../../test/support/env.ts';
import { type RedisServer, startRedis } from '../../../test/support/servers.ts';
import { assertRefused, INVALID_TOKEN_CHALLENGE } from './support/assertions.ts';
import { type CredentialGateway, OWNER, startCredentialGateway } from './support/credential-gateway.ts';
import { sha256 } from './support/credentials.ts';
import { eventually } from './support/gateway.ts';

const T0 = Date.UTC(2026, 6, 1, 12, 0, 0);
const now = () => T0;
const PREFIX = uniquePrefix('resub');

let redis: RedisServer;
/** the test's own connection, for what the store API does not offer (CLIENT KILL, CONFIG SET) */
let admin: Redis;
let store: Store;
let env: CredentialGateway;

const refused = { status: 401, code: 'INVALID_CREDENTIAL', reason: 'revoked', challenge: INVALID_TOKEN_CHALLENGE };

async function assertAll(list: Array<Record<string, string>>, expected: number, why: string, on = env): Promise<void> {
  for (const headers of list) assert.equal(await on.status(headers), expected, why);
}

async function assertAllRevoked(list: Array<Record<string, string>>, on = env): Promise<void> {
  for (const headers of list) await assertRefused(await on.request(headers), on.gw.logs, refused);
}

/** How many times the gateway logged that its subscription was interrupted / resumed (for one cause). */
const logged = (state: 'interrupted' | 'resumed', on = env, cause?: string) =>
  on.gw.logs.lines.filter(
    (l) => l.msg?.startsWith(`event subscription ${state}`) && (cause === undefined || l.cause === cause),
  ).length;

async function metric(state: string, on = env): Promise<number> {
  const text = await on.gw.gateway.metrics.registry.metrics();
  const m = new RegExp(`^edgepass_event_subscription_total\\{state="${state}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

/** The auth service's side of a logout / a key revocation: rows and denylist first, then the events. */
async function revoke(on: CredentialGateway, store: Store, warm: Awaited<ReturnType<typeof warmCredentials>>) {
  const { jti, key, session } = warm;
  await on.credentials.revokeApiKey(key.id);
  await on.credentials.revokeSession(session);
  await store.fast.kv.set(deniedJtiKey(jti), '1', { ttlMs: 3600_000 });
  const events: EdgeEvent[] = [
    { type: 'token.revoked', jti, exp: Math.floor(T0 / 1000) + 3600 },
    { type: 'api_key.changed', id: key.id, hash: sha256(key.key) },
    { type: 'session.revoked', hash: sha256(session) },
  ];
  return events;
}

/** In one MULTI: optionally nobody may (re)connect, the subscribers are killed, the events are published.
 *  Asserts that a subscriber was killed and that nobody received the events. */
async function killSubscribersAndPublish(redisAdmin: Redis, events: EdgeEvent[], blockReconnect: boolean) {
  const multi = redisAdmin.multi();
  if (blockReconnect) multi.config('SET', 'maxclients', '1');
  multi.client('KILL', 'TYPE', 'pubsub');
  for (const event of events) multi.publish(`${PREFIX}${EVENTS_CHANNEL}`, encodeEvent(event));
  const results = (await multi.exec()) ?? [];
  const [killed, ...receivers] = results.slice(blockReconnect ? 1 : 0).map(([err, value]) => {
    assert.equal(err, null);
    return Number(value);
  });
  assert.ok((killed ?? 0) >= 1, 'the gateway’s subscriber connection was killed');
  assert.deepEqual(receivers, [0, 0, 0], 'nobody received the events');
}

/** Warm credentials: a token with a jti, an API key and a session, each accepted (and cached) once. */
async function warmCredentials(label: string, on = env) {
  const jti = `jti-${label}`;
  const token = await on.issuer.mint({ jti }, { expiresIn: 3600 });
  const key = await on.credentials.apiKey(OWNER);
  const session = await on.credentials.session(OWNER);
  const headers: Array<Record<string, string>> = [
    { authorization: `Bearer ${token}` },
    { 'x-api-key': key.key },
    { cookie: `ep_session=${session}` },
  ];
  await assertAll(headers, 200, 'accepted and cached', on);
  return { jti, key, session, headers };
}

before(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  admin.on('error', () => {});
  store = await openStore({ dataDir: 'memory://', redisUrl: redis.url, keyPrefix: PREFIX });
  env = await startCredentialGateway({ store, t0: T0, now, revalidateAfter: '1h', eventProbeIntervalMs: 50 });
});

after(async () => {
  await env?.close();
  await store?.close();
  admin?.disconnect();
  await redis?.stop();
});

describe('a gateway whose Redis subscription was cut', () => {
  test('honours the revocations published while it was cut, once it is back', async () => {
    const warm = await warmCredentials('cut');
    const { headers } = warm;
    const events = await revoke(env, store, warm);
    await assertAll(headers, 200, 'cached, and no event yet');
    // atomically: nobody may (re)connect, the gateway's subscriber is killed, the events are published
    await killSubscribersAndPublish(admin, events, true);
    try {
      await eventually(() => logged('interrupted') === 1, 'the gateway to notice the interruption');
      await assertAll(headers, 200, 'still cut off: the cached credentials are still served');
    } finally {
      await admin.config('SET', 'maxclients', '10000');
    }
    await eventually(() => logged('resumed') === 1, 'the subscription to be back');
    await assertAllRevoked(headers);
    assert.equal(await metric('interrupted'), 1);
    assert.equal(await metric('resumed'), 1);
  });

  test('honours revocations made while its Redis was restarted', async () => {
    const { key, session, headers } = await warmCredentials('restart');
    const [, ...stored] = headers;
    await redis.stop();
    // Redis is down: the auth service revokes in the database, and no event can be published at all
    await env.credentials.revokeApiKey(key.id);
    await env.credentials.revokeSession(session);
    await eventually(() => logged('interrupted') === 2, 'the gateway to notice that Redis is gone');
    await assertAll(stored, 200, 'cached API keys and sessions are served without Redis');
    redis = await startRedis({ port: redis.port });
    await eventually(() => logged('resumed') === 2, 'the subscription to be back', 10_000);
    await assertAllRevoked(stored);
    assert.equal(await metric('resumed'), 2);
  });
});

describe('a gap shorter than the probe interval', () => {
  let ownRedis: RedisServer;
  let ownAdmin: Redis;
  let ownStore: Store;
  let gw: CredentialGateway;

  before(async () => {
    ownRedis = await startRedis();
    ownAdmin = new Redis(ownRedis.url, { maxRetriesPerRequest: 1 });
    ownAdmin.on('error', () => {});
    ownStore = await openStore({ dataDir: 'memory://', redisUrl: ownRedis.url, keyPrefix: PREFIX });
    // a probe once an hour: within the test, the probe never runs
    gw = await startCredentialGateway({
      store: ownStore,
      t0: T0,
      now,
      revalidateAfter: '1h',
      eventProbeIntervalMs: 3_600_000,
    });
  });

  after(async () => {
    await gw?.close();
    await ownStore?.close();
    ownAdmin?.disconnect();
    await ownRedis?.stop();
  });

  test('is noticed when the store resubscribes: the revocations published in the gap are honoured at once', async () => {
    const warm = await warmCredentials('gap', gw);
    const events = await revoke(gw, ownStore, warm);
    await assertAll(warm.headers, 200, 'cached, and no event yet', gw);
    // the subscriber is killed and the events published in one step; it reconnects right away
    await killSubscribersAndPublish(ownAdmin, events, false);
    await eventually(() => logged('resumed', gw, 'resubscribed') === 1, 'the store to report the resubscription');
    await assertAllRevoked(warm.headers, gw);
    assert.equal(logged('interrupted', gw), 0, 'no probe ran: the probe alone would have missed this gap');
    assert.equal(logged('resumed', gw), 1);
    assert.equal(await metric('resumed', gw), 1);
  });
});
