// Missed events: pub/sub is at-most-once, so a gateway whose Redis subscription was cut misses what was
// published meanwhile. Once the subscription is back, the gateway drops its cached tokens, API keys and
// sessions, so those revocations are honoured at once — not only after revalidateAfter (set to an hour here,
// with a fixed clock, so that nothing else can explain a refusal). The gateway has a redis-server of its own:
//   1. its subscriber connection is killed and kept from reconnecting (maxclients) while the revocations
//      are published — PUBLISH reports that nobody received them;
//   2. the redis-server is stopped while keys and sessions are revoked in the database, then restarted on
//      the same port.
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

async function assertAll(list: Array<Record<string, string>>, expected: number, why: string): Promise<void> {
  for (const headers of list) assert.equal(await env.status(headers), expected, why);
}

async function assertAllRevoked(list: Array<Record<string, string>>): Promise<void> {
  for (const headers of list) await assertRefused(await env.request(headers), env.gw.logs, refused);
}

/** How many times the gateway logged that its subscription was interrupted / resumed. */
const logged = (state: 'interrupted' | 'resumed') =>
  env.gw.logs.lines.filter((l) => l.msg?.startsWith(`event subscription ${state}`)).length;

async function metric(state: string): Promise<number> {
  const text = await env.gw.gateway.metrics.registry.metrics();
  const m = new RegExp(`^edgepass_event_subscription_total\\{state="${state}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

/** Warm credentials: a token with a jti, an API key and a session, each accepted (and cached) once. */
async function warmCredentials(label: string) {
  const jti = `jti-${label}`;
  const token = await env.issuer.mint({ jti }, { expiresIn: 3600 });
  const key = await env.credentials.apiKey(OWNER);
  const session = await env.credentials.session(OWNER);
  const headers: Array<Record<string, string>> = [
    { authorization: `Bearer ${token}` },
    { 'x-api-key': key.key },
    { cookie: `ep_session=${session}` },
  ];
  await assertAll(headers, 200, 'accepted and cached');
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
    const { jti, key, session, headers } = await warmCredentials('cut');
    // the auth service's side of a logout / a key revocation: rows and denylist first, then the events
    await env.credentials.revokeApiKey(key.id);
    await env.credentials.revokeSession(session);
    await store.fast.kv.set(deniedJtiKey(jti), '1', { ttlMs: 3600_000 });
    await assertAll(headers, 200, 'cached, and no event yet');

    const events: EdgeEvent[] = [
      { type: 'token.revoked', jti, exp: Math.floor(T0 / 1000) + 3600 },
      { type: 'api_key.changed', id: key.id, hash: sha256(key.key) },
      { type: 'session.revoked', hash: sha256(session) },
    ];
    // atomically: nobody may (re)connect, the gateway's subscriber is killed, the events are published
    const multi = admin.multi().config('SET', 'maxclients', '1').client('KILL', 'TYPE', 'pubsub');
    for (const event of events) multi.publish(`${PREFIX}${EVENTS_CHANNEL}`, encodeEvent(event));
    const results = (await multi.exec()) ?? [];
    const [killed, ...receivers] = results.slice(1).map(([err, value]) => {
      assert.equal(err, null);
      return Number(value);
    });
    assert.ok((killed ?? 0) >= 1, 'the gateway’s subscriber connection was killed');
    assert.deepEqual(receivers, [0, 0, 0], 'nobody received the events');
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
