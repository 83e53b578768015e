// api_key and session against a real PostgreSQL: lookups by SHA-256, every refusal (unknown, revoked,
// expired, owner disabled, malformed), cache invalidation through events, the per-key rate limit,
// last_used_at and usage written in batches, the session cookie stripped while other cookies pass.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EVENTS_CHANNEL, encodeEvent, openStore, type Store } from '@edgepass/store';
import { createTestDatabase } from '../../../test/support/env.ts';
import { assertRefused, INVALID_TOKEN_CHALLENGE, passportClaims } from './support/assertions.ts';
import { sha256, TestCredentials } from './support/credentials.ts';
import { eventually, startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestUpstream } from './support/upstream.ts';

const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
let clock = T0;
const now = () => clock;

let db: { url: string; drop(): Promise<void> };
let store: Store;
let upstream: TestUpstream;
let gw: TestGateway;
let credentials: TestCredentials;

const createUser: TestCredentials['user'] = (...args) => credentials.user(...args);
const createKey: TestCredentials['apiKey'] = (...args) => credentials.apiKey(...args);
const createSession: TestCredentials['session'] = (...args) => credentials.session(...args);
const hash = sha256;

const withKey = (key: string, path = '/keys/echo') => fetch(gw.url(path), { headers: { 'x-api-key': key } });
const withSession = (value: string, path = '/web/echo', extra = '') =>
  fetch(gw.url(path), { headers: { cookie: `theme=dark; ep_session=${value}${extra}` } });
const refused = (reason: string) => ({
  status: 401,
  code: 'INVALID_CREDENTIAL',
  reason,
  challenge: INVALID_TOKEN_CHALLENGE,
});
const publish = (event: Parameters<typeof encodeEvent>[0]) =>
  store.fast.pubsub.publish(EVENTS_CHANNEL, encodeEvent(event));

before(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url });
  credentials = new TestCredentials(store.sql, T0);
  upstream = await TestUpstream.start();
  await createUser('usr_owner', { roles: ['member', 'admin'], plan: 'premium' });
  await createUser('usr_disabled', { status: 'disabled' });
  gw = await startTestGateway(
    testConfig({
      credentials: { apiKey: { cacheTtl: '30s' }, session: { cacheTtl: '30s' } },
      passport: { sessionScope: 'web' },
      routes: [
        {
          name: 'keys',
          match: { pathPrefix: '/keys' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url] },
          accept: ['api_key'],
        },
        {
          name: 'web',
          match: { pathPrefix: '/web' },
          service: 'user-service',
          upstream: { targets: [upstream.url] },
          accept: ['session'],
        },
        {
          name: 'public',
          match: { pathPrefix: '/public' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url] },
          accept: ['anonymous'],
        },
      ],
    }),
    { store, now },
  );
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await store?.close();
  await db?.drop();
});

describe('api_key', () => {
  test('X-API-Key and Authorization: ApiKey are accepted; neither reaches the upstream', async () => {
    const { id, key } = await createKey('usr_owner', { scopes: ['vocabulary:read', 'vocabulary:write'] });
    const viaHeader = await withKey(key);
    assert.equal(viaHeader.status, 200);
    const seen = (await viaHeader.json()) as { headers: Record<string, string> };
    assert.equal(seen.headers['x-api-key'], undefined);
    const claims = passportClaims(seen.headers['x-passport']);
    assert.deepEqual(
      { sub: claims.sub, kind: claims.kind, via: claims.via, scope: claims.scope, plan: claims.plan, src: claims.src },
      {
        sub: 'usr_owner',
        kind: 'service',
        via: 'api_key',
        scope: 'vocabulary:read vocabulary:write',
        plan: 'premium',
        src: `key:${id}`,
      },
    );
    assert.deepEqual(claims.roles, ['member', 'admin']);
    const viaScheme = await fetch(gw.url('/keys/echo'), { headers: { authorization: `ApiKey ${key}` } });
    assert.equal(viaScheme.status, 200);
    assert.equal(((await viaScheme.json()) as { headers: Record<string, string> }).headers.authorization, undefined);
  });

  test('unknown key', async () => {
    await assertRefused(
      await withKey(`ep_test_${randomBytes(32).toString('base64url')}`),
      gw.logs,
      refused('unknown_key'),
    );
  });

  test('malformed key (format checked before any lookup)', async () => {
    await assertRefused(await withKey('sk_live_nope'), gw.logs, refused('malformed'));
  });

  test('revoked key', async () => {
    const { key } = await createKey('usr_owner', { revoked: true });
    await assertRefused(await withKey(key), gw.logs, refused('revoked'));
  });

  test('expired key, also once cached while it was valid', async () => {
    const { key: past } = await createKey('usr_owner', { expiresAt: new Date(T0 - 1000) });
    await assertRefused(await withKey(past), gw.logs, refused('expired'));
    const { key: soon } = await createKey('usr_owner', { expiresAt: new Date(T0 + 10_000) });
    assert.equal((await withKey(soon)).status, 200);
    clock = T0 + 11_000;
    try {
      await assertRefused(await withKey(soon), gw.logs, refused('expired'));
    } finally {
      clock = T0;
    }
  });

  test("a disabled owner's key is refused", async () => {
    const { key } = await createKey('usr_disabled');
    await assertRefused(await withKey(key), gw.logs, refused('owner_disabled'));
  });

  test('api_key.changed drops the cached lookup: a revoked key is refused at once', async () => {
    const { id, key } = await createKey('usr_owner');
    assert.equal((await withKey(key)).status, 200);
    await credentials.revokeApiKey(id);
    assert.equal((await withKey(key)).status, 200, 'still cached (no event yet)');
    await publish({ type: 'api_key.changed', id, hash: hash(key) });
    await eventually(async () => (await withKey(key)).status === 401, 'the revoked key to be refused', 1000);
  });

  test('user.changed drops cached keys of that owner (new plan reaches the passport)', async () => {
    await createUser('usr_upgrade', { plan: 'free' });
    const { key } = await createKey('usr_upgrade');
    const plan = async () => {
      const res = await withKey(key);
      const seen = (await res.json()) as { headers: Record<string, string> };
      return passportClaims(seen.headers['x-passport']).plan;
    };
    assert.equal(await plan(), 'free');
    await store.sql.query(`UPDATE users SET plan = 'premium' WHERE id = 'usr_upgrade'`);
    await publish({ type: 'user.changed', id: 'usr_upgrade' });
    await eventually(async () => (await plan()) === 'premium', 'the new plan');
  });

  test('the per-key rate limit (rate_limit_per_minute) answers 429 with Retry-After and RateLimit-*', async () => {
    const { key } = await createKey('usr_owner', { rateLimit: 3 });
    for (let i = 0; i < 3; i++) {
      const res = await withKey(key);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), '3');
      assert.equal(res.headers.get('ratelimit-remaining'), String(2 - i));
    }
    const res = await withKey(key);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(res.headers.get('ratelimit-remaining'), '0');
    await assertRefused(res, gw.logs, { status: 429, code: 'RATE_LIMITED', reason: 'rate_limited' });
  });

  test('last_used_at and usage_daily are written in batches (on close/flush, not per request)', async () => {
    const { id, key } = await createKey('usr_owner');
    for (let i = 0; i < 3; i++) assert.equal((await withKey(key)).status, 200);
    const before = await store.sql.query<{ last_used_at: Date | null }>(
      `SELECT last_used_at FROM api_keys WHERE id = $1`,
      [id],
    );
    assert.equal(before.rows[0]?.last_used_at, null, 'nothing written per request');
    // a second gateway instance on the same store: closing it flushes its batches
    const other = await startTestGateway(gw.gateway.config(), { store, now });
    for (let i = 0; i < 2; i++)
      assert.equal((await fetch(other.url('/keys/echo'), { headers: { 'x-api-key': key } })).status, 200);
    await other.close();
    const after = await store.sql.query<{ last_used_at: Date | null }>(
      `SELECT last_used_at FROM api_keys WHERE id = $1`,
      [id],
    );
    assert.equal(after.rows[0]?.last_used_at?.getTime(), T0);
    const usage = await store.sql.query<{ count: number }>(
      `SELECT count FROM usage_daily WHERE principal = $1 AND service = 'vocabulary' AND day = '2026-03-01'`,
      [`key:${id}`],
    );
    assert.equal(Number(usage.rows[0]?.count), 2);
  });
});

describe('session', () => {
  test('a valid session cookie: the user reaches the upstream; only ep_session is stripped', async () => {
    const value = await createSession('usr_owner');
    const res = await withSession(value, '/web/echo', '; lang=en');
    assert.equal(res.status, 200);
    const seen = (await res.json()) as { headers: Record<string, string> };
    assert.equal(seen.headers.cookie, 'theme=dark; lang=en');
    const claims = passportClaims(seen.headers['x-passport']);
    assert.equal(claims.sub, 'usr_owner');
    assert.equal(claims.via, 'session');
    assert.equal(claims.kind, 'user');
    assert.equal(claims.scope, 'web');
    assert.equal(claims.aud, 'user-service');
  });

  test('unknown, revoked and expired sessions; a disabled user', async () => {
    await assertRefused(await withSession(randomBytes(32).toString('base64url')), gw.logs, refused('unknown_session'));
    await assertRefused(
      await withSession(await createSession('usr_owner', { revoked: true })),
      gw.logs,
      refused('revoked'),
    );
    const expired = await createSession('usr_owner', { expiresAt: new Date(T0 - 1) });
    await assertRefused(await withSession(expired), gw.logs, refused('expired'));
    await assertRefused(await withSession(await createSession('usr_disabled')), gw.logs, refused('owner_disabled'));
    await assertRefused(await withSession('short'), gw.logs, refused('malformed'));
  });

  test('session.revoked drops the cached session', async () => {
    const value = await createSession('usr_owner');
    assert.equal((await withSession(value)).status, 200);
    await credentials.revokeSession(value);
    await publish({ type: 'session.revoked', hash: hash(value) });
    await eventually(async () => (await withSession(value)).status === 401, 'the revoked session to be refused', 1000);
  });

  test('a session cookie on a route that does not accept sessions is ignored (anonymous), and still stripped', async () => {
    const value = await createSession('usr_owner');
    const res = await withSession(value, '/public/echo');
    assert.equal(res.status, 200);
    const seen = (await res.json()) as { headers: Record<string, string> };
    assert.equal(seen.headers.cookie, 'theme=dark');
    const claims = passportClaims(seen.headers['x-passport']);
    assert.equal(claims.kind, 'anonymous');
  });

  test('an API key on a session-only route is refused (a presented credential is never ignored)', async () => {
    const { key } = await createKey('usr_owner');
    await assertRefused(await withKey(key, '/web/echo'), gw.logs, refused('not_accepted'));
  });

  test('no key or session value ever appears in the logs', () => {
    assert.ok(credentials.secrets.length > 10);
    for (const secret of credentials.secrets) assert.equal(gw.logs.contains(secret), false);
  });
});
