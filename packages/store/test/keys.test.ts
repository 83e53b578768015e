import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  createMemoryFastState,
  decodeEvent,
  type EdgeEvent,
  EVENTS_CHANNEL,
  type FastState,
  isStoreError,
  MemoryBackend,
  migrate,
  type OpenedStore,
  openPgSql,
  openStore,
  type PublicSigningJwk,
  SigningKeyStore,
} from '@edgepass/store';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from 'jose';
import { createTestDatabase } from '../../../test/support/env.ts';
import { Inbox } from '../../../test/support/wait.ts';

const masterKey = () => new Uint8Array(randomBytes(32));

async function sign(store: SigningKeyStore, use: 'access_token' | 'passport'): Promise<string> {
  const key = await store.activeKey(use);
  return await new SignJWT({ sub: 'usr_1' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

async function verifies(token: string, jwks: { keys: PublicSigningJwk[] }): Promise<boolean> {
  const keySet = createLocalJWKSet(jwks as JSONWebKeySet);
  return await jwtVerify(token, keySet).then(
    () => true,
    () => false,
  );
}

const kids = (jwks: { keys: PublicSigningJwk[] }) => jwks.keys.map((k) => k.kid);

describe('SigningKeyStore on PGlite', () => {
  let store: OpenedStore;
  let clock: Date;
  let keys: SigningKeyStore;
  const events = new Inbox<EdgeEvent>();

  before(async () => {
    store = await openStore({ dataDir: 'memory://' });
    clock = new Date('2030-01-01T00:00:00Z');
    await store.fast.pubsub.subscribe(EVENTS_CHANNEL, (m) => {
      const event = decodeEvent(m);
      if (event) events.push(event);
    });
    keys = await SigningKeyStore.open({
      sql: store.sql,
      masterKey: masterKey(),
      pubsub: store.fast.pubsub,
      now: () => clock,
    });
  });
  after(async () => {
    await keys.close();
    await store.close();
  });

  test('rotation: ensureActive → stageNext → promoteNext → retire window → prune, with the JWKS at each step', async () => {
    // nothing yet
    assert.deepEqual(await keys.publicJwks('access_token'), { keys: [] });
    await assert.rejects(keys.activeKey('access_token'), (err) => isStoreError(err, 'SIGNING_KEY_NOT_FOUND'));

    // first start: one ES256 key, active and published
    const first = await keys.ensureActive('access_token');
    assert.equal(first.alg, 'ES256');
    assert.equal(first.use, 'access_token');
    assert.equal(first.kid, await calculateJwkThumbprint(first.publicJwk, 'sha256'));
    let jwks = await keys.publicJwks('access_token');
    assert.deepEqual(kids(jwks), [first.kid]);
    const [published] = jwks.keys;
    assert.deepEqual(
      { kid: published.kid, alg: published.alg, use: published.use, kty: published.kty, crv: published.crv },
      { kid: first.kid, alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' },
    );
    for (const privateField of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(privateField in published, false);
    const tokenByFirst = await sign(keys, 'access_token');
    assert.equal(decodeProtectedHeader(tokenByFirst).kid, first.kid);
    assert.ok(await verifies(tokenByFirst, jwks));
    // a second start keeps the key
    assert.equal((await keys.ensureActive('access_token')).kid, first.kid);

    // stage: published before it signs
    const next = await keys.stageNext('access_token');
    assert.notEqual(next.kid, first.kid);
    assert.deepEqual(await keys.stageNext('access_token'), next, 'staging again keeps the staged key');
    jwks = await keys.publicJwks('access_token');
    assert.deepEqual(kids(jwks), [first.kid, next.kid]);
    assert.equal((await keys.activeKey('access_token')).kid, first.kid);

    // promote: next signs, the old key stays published until not_after
    const promoted = await keys.promoteNext('access_token', { retireAfterSec: 3600 });
    assert.deepEqual(promoted, { activeKid: next.kid, retiredKid: first.kid });
    assert.equal((await keys.activeKey('access_token')).kid, next.kid);
    jwks = await keys.publicJwks('access_token');
    assert.deepEqual(kids(jwks), [next.kid, first.kid]);
    assert.ok(await verifies(tokenByFirst, jwks), 'tokens of the retired key still verify');
    assert.ok(await verifies(await sign(keys, 'access_token'), jwks));
    const listed = await keys.list('access_token');
    const retired = listed.find((k) => k.kid === first.kid);
    assert.equal(retired?.state, 'retired');
    assert.deepEqual(retired?.notAfter, new Date('2030-01-01T01:00:00Z'));
    await assert.rejects(keys.promoteNext('access_token', { retireAfterSec: 60 }), (err) =>
      isStoreError(err, 'SIGNING_KEY_NOT_FOUND'),
    );

    // past not_after: unpublished, then pruned
    assert.equal(await keys.pruneRetired(), 0);
    clock = new Date('2030-01-01T01:00:00Z');
    jwks = await keys.publicJwks('access_token');
    assert.deepEqual(kids(jwks), [next.kid]);
    assert.equal(await verifies(tokenByFirst, jwks), false);
    assert.equal(await keys.pruneRetired(), 1);
    assert.deepEqual(
      (await keys.list('access_token')).map((k) => [k.kid, k.state]),
      [[next.kid, 'active']],
    );

    // every change was announced as keys.changed (create, stage, promote, prune), and nothing else
    await events.atLeast(4);
    assert.deepEqual(events.items, Array(4).fill({ type: 'keys.changed', use: 'access_token' }));
  });

  test('passport keys are EdDSA (Ed25519) and separate from access-token keys', async () => {
    const passport = await keys.ensureActive('passport');
    assert.equal(passport.alg, 'EdDSA');
    assert.equal(passport.publicJwk.crv, 'Ed25519');
    assert.equal(passport.privateKey.asymmetricKeyType, 'ed25519');
    const jwks = await keys.publicJwks('passport');
    assert.deepEqual(kids(jwks), [passport.kid]);
    assert.equal(kids(await keys.publicJwks('access_token')).includes(passport.kid), false);
    assert.ok(await verifies(await sign(keys, 'passport'), jwks));
    const all = await keys.list();
    assert.deepEqual([...new Set(all.map((k) => k.use))].sort(), ['access_token', 'passport']);
  });

  test('RS256 can be staged in place of a staged ES256 key; an unsupported alg is refused', async () => {
    const es = await keys.stageNext('access_token', 'ES256');
    const rs = await keys.stageNext('access_token', 'RS256');
    assert.notEqual(rs.kid, es.kid);
    const jwks = await keys.publicJwks('access_token');
    assert.equal(kids(jwks).includes(es.kid), false, 'the replaced staged key is gone');
    const rsa = jwks.keys.find((k) => k.kid === rs.kid);
    assert.equal(rsa?.kty, 'RSA');
    assert.equal(rsa?.alg, 'RS256');
    await keys.promoteNext('access_token', { retireAfterSec: 60 });
    const token = await sign(keys, 'access_token');
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    assert.ok(await verifies(token, await keys.publicJwks('access_token')));
    const kept = await keys.stageNext('access_token');
    assert.equal(kept.alg, 'RS256', 'without alg, staging keeps the algorithm of the key that signs now');
    // @ts-expect-error not an allowed algorithm
    await assert.rejects(keys.stageNext('access_token', 'HS256'), TypeError);
    // @ts-expect-error not a use
    await assert.rejects(keys.publicJwks('refresh_token'), TypeError);
  });

  test('private keys are stored encrypted; a wrong master key or a row moved to another kid does not decrypt', async () => {
    const active = await keys.activeKey('passport');
    const { rows } = await store.sql.query<{ kid: string; private_jwk_enc: string }>(
      'SELECT kid, private_jwk_enc FROM signing_keys',
    );
    const d = active.privateKey.export({ format: 'jwk' }).d;
    assert.ok(d);
    for (const row of rows) {
      assert.match(row.private_jwk_enc, /^v1\./);
      assert.equal(row.private_jwk_enc.includes(d), false);
    }

    const stranger = new SigningKeyStore({ sql: store.sql, masterKey: masterKey() });
    await assert.rejects(stranger.activeKey('passport'), (err) => isStoreError(err, 'KEY_DECRYPT_FAILED'));
    assert.deepEqual(kids(await stranger.publicJwks('passport')), [active.kid], 'public keys need no master key');

    // copy the access-token key's ciphertext onto the passport key: authenticated data is the kid
    await store.sql.query(
      `UPDATE signing_keys SET private_jwk_enc =
         (SELECT private_jwk_enc FROM signing_keys WHERE use = 'access_token' AND state = 'active')
       WHERE kid = $1`,
      [active.kid],
    );
    const fresh = new SigningKeyStore({ sql: store.sql, masterKey: Buffer.alloc(32) });
    await assert.rejects(fresh.activeKey('passport'), (err) => isStoreError(err, 'KEY_DECRYPT_FAILED'));
  });

  test('the schema allows one active and one next key per use', async () => {
    const row = (await keys.list('access_token')).find((k) => k.state === 'active');
    assert.ok(row);
    await assert.rejects(
      store.sql.query(
        `INSERT INTO signing_keys (kid, use, alg, public_jwk, private_jwk_enc, state)
         VALUES ('dup', 'access_token', 'ES256', '{}', 'v1.x.y.z', 'active')`,
      ),
      (err: { code?: string }) => err.code === '23505',
    );
  });
});

test('a change on one instance reaches the other through pub/sub: its cache is dropped and onChange fires', async () => {
  const shared = await openStore({ dataDir: 'memory://' });
  const backend = new MemoryBackend();
  const fastA: FastState = createMemoryFastState({ backend });
  const fastB: FastState = createMemoryFastState({ backend });
  const key = masterKey();
  const a = await SigningKeyStore.open({
    sql: shared.sql,
    masterKey: key,
    pubsub: fastA.pubsub,
    cacheTtlMs: 3_600_000,
  });
  const b = await SigningKeyStore.open({
    sql: shared.sql,
    masterKey: key,
    pubsub: fastB.pubsub,
    cacheTtlMs: 3_600_000,
  });
  try {
    const changes = new Inbox<string>();
    b.onChange((use) => changes.push(use));
    const first = await a.ensureActive('passport');
    await changes.atLeast(1);
    assert.equal((await b.activeKey('passport')).kid, first.kid);
    await a.stageNext('passport');
    const { activeKid } = await a.promoteNext('passport', { retireAfterSec: 60 });
    await changes.atLeast(3);
    assert.deepEqual(changes.items, ['passport', 'passport', 'passport']);
    assert.equal((await b.activeKey('passport')).kid, activeKid, 'the long-lived cache was dropped');

    // after close, b no longer listens
    await b.close();
    const local = new Inbox<string>();
    a.onChange((use) => local.push(use));
    await a.rotateNow('passport', { retireAfterSec: 60 });
    await local.atLeast(2);
    assert.equal(changes.items.length, 3);
  } finally {
    await a.close();
    await Promise.all([fastA.close(), fastB.close()]);
    backend.close();
    await shared.close();
  }
});

test('without pub/sub, onChange fires for local changes; a failed publish is reported, not thrown', async () => {
  const shared = await openStore({ dataDir: 'memory://' });
  const failures: unknown[] = [];
  const brokenPubsub = {
    publish: async () => {
      throw new Error('publish failed');
    },
    subscribe: async () => async () => {},
  };
  try {
    const local = new SigningKeyStore({ sql: shared.sql, masterKey: masterKey() });
    const seen = new Inbox<string>();
    local.onChange((use) => seen.push(use));
    await local.ensureActive('access_token');
    assert.deepEqual(await seen.atLeast(1), ['access_token']);

    const noisy = new SigningKeyStore({
      sql: shared.sql,
      masterKey: masterKey(),
      pubsub: brokenPubsub,
      onPublishError: (err) => failures.push(err),
    });
    await noisy.ensureActive('passport');
    assert.equal(failures.length, 1);
    assert.equal((await noisy.list('passport')).length, 1, 'the change itself was committed');
  } finally {
    await shared.close();
  }
});

describe('SigningKeyStore on a PostgreSQL server, several instances at once', () => {
  let db: { url: string; drop(): Promise<void> };
  before(async () => {
    db = await createTestDatabase();
    const sql = openPgSql({ url: db.url });
    await migrate(sql);
    await sql.close();
  });
  after(async () => {
    await db.drop();
  });

  test('concurrent ensureActive from 8 instances results in exactly one active key, returned to all', async () => {
    const key = masterKey();
    const pools = Array.from({ length: 8 }, () => openPgSql({ url: db.url, max: 2 }));
    try {
      const instances = pools.map((sql) => new SigningKeyStore({ sql, masterKey: key }));
      const results = await Promise.all(instances.map((k) => k.ensureActive('access_token')));
      assert.equal(new Set(results.map((r) => r.kid)).size, 1);
      const { rows } = await pools[0].query("SELECT kid, state FROM signing_keys WHERE use = 'access_token'");
      assert.deepEqual(rows, [{ kid: results[0].kid, state: 'active' }]);

      // staging concurrently also yields one next key
      const staged = await Promise.all(instances.map((k) => k.stageNext('access_token')));
      assert.equal(new Set(staged.map((s) => s.kid)).size, 1);
      const next = await pools[0].query("SELECT kid FROM signing_keys WHERE use = 'access_token' AND state = 'next'");
      assert.deepEqual(next.rows, [{ kid: staged[0].kid }]);

      // concurrent promotions: one wins, the others find nothing staged
      const promoted = await Promise.allSettled(
        instances.map((k) => k.promoteNext('access_token', { retireAfterSec: 60 })),
      );
      assert.equal(promoted.filter((p) => p.status === 'fulfilled').length, 1);
      for (const p of promoted) {
        if (p.status === 'rejected') assert.ok(isStoreError(p.reason, 'SIGNING_KEY_NOT_FOUND'));
      }
      const winner = instances[promoted.findIndex((p) => p.status === 'fulfilled')];
      assert.equal((await winner.activeKey('access_token')).kid, staged[0].kid);
      const fresh = new SigningKeyStore({ sql: pools[3], masterKey: key });
      assert.equal((await fresh.activeKey('access_token')).kid, staged[0].kid);
    } finally {
      await Promise.all(pools.map((sql) => sql.close()));
    }
  });
});
