// credentials.revalidateAfter: pub/sub is at-most-once, so a cached credential is checked against the
// revocation state again once revalidateAfter has passed since its last check — with events suppressed
// entirely here (nothing is published), a denylisted jti, a revoked API key and a revoked session are
// refused once the (fixed) clock passes that bound, and not before. The re-check is one denylist read per
// interval per token, shared by concurrent requests, and fails closed (503) when the store cannot answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deniedJtiKey, type KeyValue, type Store, StoreUnavailableError } from '@edgepass/store';
import { assertRefused, INVALID_TOKEN_CHALLENGE } from './support/assertions.ts';
import { type CredentialGateway, OWNER, startCredentialGateway } from './support/credential-gateway.ts';
import { openMemoryStore } from './support/gateway.ts';

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const REVALIDATE_AFTER = 30_000;
let clock = T0;
const now = () => clock;

let store: Store;
let env: CredentialGateway;
/** denylist reads by the gateway, and a switch that makes them fail like an unreachable Redis */
const denylist = { reads: 0, failing: false };

/** The store as the gateway sees it: the same, with denylist reads counted (and failing on demand). */
function observed(inner: Store): Store {
  const kv: KeyValue = {
    ...inner.fast.kv,
    async get(key) {
      if (key.startsWith(deniedJtiKey(''))) {
        denylist.reads++;
        if (denylist.failing) throw new StoreUnavailableError('Redis at 127.0.0.1:1 is unavailable');
      }
      return await inner.fast.kv.get(key);
    },
  };
  return { ...inner, fast: { ...inner.fast, kv } };
}

const refused = (reason: string) => ({
  status: 401,
  code: 'INVALID_CREDENTIAL',
  reason,
  challenge: INVALID_TOKEN_CHALLENGE,
});
const status = (headers: Record<string, string>) => env.status(headers);
const denyJti = (jti: string) => store.fast.kv.set(deniedJtiKey(jti), '1', { ttlMs: 3600_000 });
const bearerFor = async (jti: string) => ({
  authorization: `Bearer ${await env.issuer.mint({ jti }, { expiresIn: 3600 })}`,
});

before(async () => {
  store = await openMemoryStore();
  // cached for an hour, but re-checked every 30 s
  env = await startCredentialGateway({
    store,
    gatewayStore: observed(store),
    t0: T0,
    now,
    revalidateAfter: REVALIDATE_AFTER,
  });
});

after(async () => {
  await env?.close();
  await store?.close();
});

describe('with events suppressed, a revocation is honoured once revalidateAfter has passed', () => {
  test('a denylisted jti', async () => {
    clock = T0;
    const bearer = await bearerFor('jti-suppressed');
    assert.equal(await status(bearer), 200);
    await denyJti('jti-suppressed'); // what a logout writes; its token.revoked event never arrives
    clock = T0 + REVALIDATE_AFTER - 1;
    assert.equal(await status(bearer), 200, 'still served from the cache within the bound');
    clock = T0 + REVALIDATE_AFTER;
    await assertRefused(await env.request(bearer), env.gw.logs, refused('revoked'));
    clock = T0 + REVALIDATE_AFTER + 1;
    await assertRefused(await env.request(bearer), env.gw.logs, refused('revoked'));
  });

  test('a revoked API key and a revoked session', async () => {
    clock = T0;
    const { id, key } = await env.credentials.apiKey(OWNER);
    const session = await env.credentials.session(OWNER);
    const withKey = { 'x-api-key': key };
    const withSession = { cookie: `ep_session=${session}` };
    assert.equal(await status(withKey), 200);
    assert.equal(await status(withSession), 200);
    await env.credentials.revokeApiKey(id);
    await env.credentials.revokeSession(session);
    clock = T0 + REVALIDATE_AFTER - 1;
    assert.equal(await status(withKey), 200, 'cached (cacheTtl 1h) within the bound');
    assert.equal(await status(withSession), 200, 'cached (cacheTtl 1h) within the bound');
    clock = T0 + REVALIDATE_AFTER;
    await assertRefused(await env.request(withKey), env.gw.logs, refused('revoked'));
    await assertRefused(await env.request(withSession), env.gw.logs, refused('revoked'));
  });
});

describe('the re-check of a cached token', () => {
  test('reads the denylist once per interval, shared by concurrent requests; a token that stays good stays cached', async () => {
    clock = T0;
    const bearer = await bearerFor('jti-good');
    const before = denylist.reads;
    assert.equal(await status(bearer), 200);
    assert.equal(denylist.reads - before, 1, 'verified once');
    for (let i = 0; i < 5; i++) assert.equal(await status(bearer), 200);
    assert.equal(denylist.reads - before, 1, 'cache hits read nothing');
    clock = T0 + REVALIDATE_AFTER;
    const statuses = await Promise.all(Array.from({ length: 10 }, () => status(bearer)));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(denylist.reads - before, 2, 'ten concurrent requests past the bound: one re-check');
    clock = T0 + 2 * REVALIDATE_AFTER - 1;
    assert.equal(await status(bearer), 200);
    assert.equal(denylist.reads - before, 2, 'the next re-check is due one interval after the last one');
  });

  test('fails closed (503) when the denylist cannot be read, and recovers with the store', async () => {
    clock = T0;
    const bearer = await bearerFor('jti-outage');
    assert.equal(await status(bearer), 200);
    denylist.failing = true;
    try {
      assert.equal(await status(bearer), 200, 'within the bound: no store needed');
      clock = T0 + REVALIDATE_AFTER;
      await assertRefused(await env.request(bearer), env.gw.logs, {
        status: 503,
        code: 'DEPENDENCY_UNAVAILABLE',
        reason: 'store_unavailable',
      });
    } finally {
      denylist.failing = false;
    }
    assert.equal(await status(bearer), 200);
  });
});
