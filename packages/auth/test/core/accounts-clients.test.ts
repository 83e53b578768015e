// Accounts and clients on a real PostgreSQL database + Redis: argon2id with OWASP parameters, the password
// policy, case-insensitive unique emails, login outcomes, plan/role/status changes announced as events,
// client secrets stored only as SHA-256.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EdgeEvent, type OpenedStore, openStore, StoreUnavailableError } from '@edgepass/store';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../../test/support/env.ts';
import { Accounts } from '../../src/accounts/accounts.ts';
import { Clients, type CreateClientInput, secretMatches } from '../../src/clients/clients.ts';
import { parseAuthConfig } from '../../src/config.ts';
import { sha256b64url } from '../../src/crypto.ts';
import { AuthError, type AuthErrorCode, JsonApiError } from '../../src/errors.ts';
import { pruneExpired } from '../../src/oidc/adapter.ts';
import { BrowserSessions, hashSessionValue } from '../../src/sessions/browser-sessions.ts';
import { setUserPlan } from '../../src/usage/plans.ts';
import { collectEvents, eventually } from './harness.ts';

let db: { url: string; drop(): Promise<void> };
let store: OpenedStore;
let accounts: Accounts;
let seen: EdgeEvent[];
let stop: () => Promise<void>;

before(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url, redisUrl: testRedisUrl(), keyPrefix: uniquePrefix('acct') });
  accounts = new Accounts({ store, plans: ['free', 'premium', 'team'] });
  ({ seen, stop } = await collectEvents(store.fast));
});

after(async () => {
  await stop();
  await store.close();
  await db.drop();
});

async function refusedWith(code: AuthErrorCode, promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof AuthError && err.code === code);
}

describe('accounts', () => {
  test('argon2id with OWASP parameters; the password itself is never stored', async () => {
    const user = await accounts.create({ email: '  Alice@Example.com ', password: 'a sufficiently long password' });
    assert.equal(user.email, 'Alice@Example.com');
    assert.equal(user.plan, 'free', 'the first plan is the default');
    const { rows } = await store.sql.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
      user.id,
    ]);
    assert.match(rows[0]?.password_hash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(!rows[0]?.password_hash.includes('sufficiently'));
    assert.match(user.id, /^usr_/);
  });

  test('emails are unique case-insensitively and found case-insensitively', async () => {
    await refusedWith(
      'AUTH_EMAIL_TAKEN',
      accounts.create({ email: 'alice@EXAMPLE.com', password: 'another long password' }),
    );
    assert.equal((await accounts.findByEmail('ALICE@example.COM'))?.email, 'Alice@Example.com');
    await refusedWith('AUTH_EMAIL_INVALID', accounts.create({ email: 'not an email' }));
  });

  test('password policy: 12..128 characters, not the email', async () => {
    await refusedWith('AUTH_PASSWORD_POLICY', accounts.create({ email: 'p1@example.com', password: 'elevenchars' }));
    await refusedWith('AUTH_PASSWORD_POLICY', accounts.create({ email: 'p2@example.com', password: 'x'.repeat(129) }));
    await refusedWith(
      'AUTH_PASSWORD_POLICY',
      accounts.create({ email: 'p3long@example.com', password: 'P3LONG@example.com' }),
    );
    const ok = await accounts.create({ email: 'p4@example.com', password: 'twelve chars' });
    assert.equal(ok.hasPassword, true);
  });

  test('login outcomes carry a reason for the log', async () => {
    const bob = await accounts.create({ email: 'bob@example.com', password: 'bobs long password' });
    const ext = await accounts.create({ email: 'ext@example.com' });
    assert.deepEqual((await accounts.login('BOB@example.com', 'bobs long password')).ok, true);
    assert.deepEqual(await accounts.login('bob@example.com', 'wrong password!!'), {
      ok: false,
      reason: 'password_mismatch',
      userId: bob.id,
    });
    assert.deepEqual(await accounts.login('nobody@example.com', 'whatever password'), {
      ok: false,
      reason: 'unknown_email',
    });
    assert.deepEqual(await accounts.login('ext@example.com', 'whatever password'), {
      ok: false,
      reason: 'no_password',
      userId: ext.id,
    });
    await accounts.disable(bob.id);
    assert.deepEqual(await accounts.login('bob@example.com', 'bobs long password'), {
      ok: false,
      reason: 'disabled',
      userId: bob.id,
    });
  });

  test('plan and roles: validated, and every change publishes user.changed', async () => {
    const carol = await accounts.create({ email: 'carol@example.com' });
    await refusedWith('AUTH_PLAN_INVALID', accounts.setPlan(carol.id, 'gold'));
    await refusedWith('AUTH_PLAN_INVALID', accounts.create({ email: 'dan@example.com', plan: 'gold' }));
    const mark = seen.length;
    assert.equal((await accounts.setPlan(carol.id, 'team')).plan, 'team');
    await eventually(() => seen.slice(mark).find((e) => e.type === 'user.changed' && e.id === carol.id));
    assert.deepEqual((await accounts.setRoles(carol.id, ['admin', 'admin', 'billing:read'])).roles, [
      'admin',
      'billing:read',
    ]);
    await refusedWith('AUTH_BAD_REQUEST', accounts.setRoles(carol.id, ['has space']));
    await refusedWith('AUTH_USER_NOT_FOUND', accounts.setPlan('usr_missing', 'free'));
  });

  test('one plan change for the CLI and the JSON API: a failed user.changed is thrown, or logged when a logger is given', async () => {
    const down = new StoreUnavailableError('Redis at 127.0.0.1:1 is unavailable');
    const failing = {
      ...store,
      fast: { ...store.fast, pubsub: { ...store.fast.pubsub, publish: () => Promise.reject(down) } },
    };
    const frank = await accounts.create({ email: 'frank@example.com' });
    const plan = async () => (await accounts.findById(frank.id))?.plan;

    const bare = new Accounts({ store: failing, plans: ['free', 'premium', 'team'] });
    await assert.rejects(bare.setPlan(frank.id, 'team'), (err) => err === down);
    assert.equal(await plan(), 'team', 'the change is committed anyway (a retry republishes)');

    const logged: Array<Record<string, unknown>> = [];
    const logger = { error: (obj: object) => logged.push(obj as Record<string, unknown>) };
    const profile = await setUserPlan(
      new Accounts({ store: failing, plans: ['free', 'premium', 'team'], logger }),
      frank.id,
      'premium',
    );
    assert.equal(profile.plan, 'premium');
    assert.deepEqual(
      Object.keys(profile).sort(),
      ['email', 'emailVerified', 'id', 'name', 'plan', 'roles', 'status', 'tenant'],
      'the public profile only',
    );
    assert.equal(await plan(), 'premium');
    assert.deepEqual(logged, [{ reason: 'event_publish_failed', event: 'user.changed', err: down }]);
    await assert.rejects(
      setUserPlan(new Accounts({ store, plans: ['free'], logger }), frank.id, 'premium'),
      (err) => err instanceof JsonApiError && err.code === 'API_VALIDATION_FAILED',
    );
    await assert.rejects(
      setUserPlan(new Accounts({ store, plans: ['free'], logger }), 'usr_missing', 'free'),
      (err) => err instanceof JsonApiError && err.code === 'API_NOT_FOUND',
    );
  });

  test('disabling an account revokes its browser sessions (session.revoked for each)', async () => {
    const erin = await accounts.create({ email: 'erin@example.com' });
    const sessions = new BrowserSessions({ store, ttlSec: 3600 });
    const a = await sessions.create(erin.id);
    const b = await sessions.create(erin.id);
    const mark = seen.length;
    await accounts.disable(erin.id);
    assert.equal(await sessions.findActive(a.value), undefined);
    assert.equal(await sessions.findActive(b.value), undefined);
    for (const s of [a, b]) {
      await eventually(() =>
        seen.slice(mark).find((e) => e.type === 'session.revoked' && e.hash === hashSessionValue(s.value)),
      );
    }
  });
});

describe('clients', () => {
  const clients = () =>
    new Clients({
      store,
      config: parseAuthConfig({
        issuer: 'https://a',
        clients: [{ clientId: 'static-m2m', secretEnv: 'S', grantTypes: ['client_credentials'] }],
      }),
      env: { S: 'static-secret' },
    });

  test('a confidential client: the secret is returned once, only its SHA-256 is stored', async () => {
    const { client, secret } = await clients().create({ name: 'App', redirectUris: ['https://app.example/cb'] });
    assert.ok(secret && secret.length >= 43);
    assert.match(client.clientId, /^cli_/);
    const { rows } = await store.sql.query<{ secret_hash: string; metadata: unknown }>(
      'SELECT secret_hash, metadata FROM oauth_clients WHERE client_id = $1',
      [client.clientId],
    );
    assert.equal(rows[0]?.secret_hash, sha256b64url(secret));
    assert.ok(!JSON.stringify(rows[0]).includes(secret));
    assert.equal(secretMatches(client.secretHash, secret), true);
    assert.equal(secretMatches(client.secretHash, `${secret}x`), false);
  });

  test('public clients have no secret; metadata is validated', async () => {
    const { client, secret } = await clients().create({
      name: 'SPA',
      public: true,
      redirectUris: ['http://127.0.0.1:3000/cb'],
    });
    assert.equal(secret, undefined);
    assert.equal(client.public, true);
    for (const [input, reason] of [
      [{ redirectUris: ['http://app.example/cb'] }, 'redirect_uri_invalid'],
      [{ redirectUris: ['https://app.example/cb#frag'] }, 'redirect_uri_invalid'],
      [{ redirectUris: [] }, 'redirect_uri_missing'],
      [{ public: true, grantTypes: ['client_credentials'] }, 'public_client_credentials'],
      [{ grantTypes: ['refresh_token', 'client_credentials'] }, 'refresh_without_code'],
      [{ clientId: 'static-m2m', grantTypes: ['client_credentials'] }, 'client_id_taken'],
    ] as Array<[CreateClientInput, string]>) {
      await assert.rejects(
        clients().create(input),
        (e: unknown) => e instanceof AuthError && e.code === 'AUTH_CLIENT_INVALID' && e.reason === reason,
      );
    }
  });

  test('list shows static and database clients; delete removes database ones only', async () => {
    const { client } = await clients().create({ clientId: 'to-delete', grantTypes: ['client_credentials'] });
    const listed = await clients().list();
    assert.ok(listed.some((c) => c.clientId === 'static-m2m' && c.source === 'config'));
    assert.ok(listed.some((c) => c.clientId === client.clientId && c.source === 'database'));
    assert.equal(await clients().delete('to-delete'), true);
    assert.equal(await clients().delete('to-delete'), false);
    assert.equal(await clients().find('to-delete'), undefined);
    assert.equal((await clients().find('static-m2m'))?.secretHash, sha256b64url('static-secret'));
  });

  test('a static confidential client whose secret variable is unset fails at start', () => {
    assert.throws(
      () =>
        new Clients({
          store,
          config: parseAuthConfig({
            issuer: 'https://a',
            clients: [{ clientId: 'x-1', secretEnv: 'MISSING', grantTypes: ['client_credentials'] }],
          }),
          env: {},
        }),
      (e: unknown) => e instanceof AuthError && e.code === 'AUTH_CONFIG_INVALID' && /MISSING/.test(e.reason),
    );
  });
});

describe('housekeeping', () => {
  test('pruneExpired deletes long-expired oidc rows and browser sessions, keeps live ones', async () => {
    const now = new Date();
    const user = await accounts.create({ email: 'prune@example.com' });
    const hour = 3600_000;
    await store.sql.query(
      `INSERT INTO oidc_models (model, id, payload, expires_at) VALUES
         ('Grant', 'old-grant', '{}', $1), ('Grant', 'live-grant', '{}', $2)`,
      [new Date(now.getTime() - 2 * hour), new Date(now.getTime() + hour)],
    );
    await store.sql.query(
      `INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ('old-session', $1, $2), ('live-session', $1, $3)`,
      [user.id, new Date(now.getTime() - 2 * hour), new Date(now.getTime() + hour)],
    );
    assert.equal(await pruneExpired(store, now), 2);
    const models = await store.sql.query<{ id: string }>("SELECT id FROM oidc_models WHERE id LIKE '%-grant'");
    assert.deepEqual(
      models.rows.map((r) => r.id),
      ['live-grant'],
    );
    const sessions = await store.sql.query<{ id_hash: string }>(
      "SELECT id_hash FROM sessions WHERE id_hash LIKE '%-session'",
    );
    assert.deepEqual(
      sessions.rows.map((r) => r.id_hash),
      ['live-session'],
    );
  });
});
