// End to end with the real auth service (createAuthService/startAuthService): its access-token verifier,
// its client_credentials grant and its app wiring in front of the JSON API. A client configured with
// role admin manages keys and plans; a client without it is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeEvent, type EdgeEvent, EVENTS_CHANNEL, type OpenedStore, openStore } from '@edgepass/store';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../../test/support/env.ts';
import { apiKeyListView, issuedKeyView, problemView, profileView } from '../../src/api/schemas.ts';
import { verifyApiKey } from '../../src/apikeys/index.ts';
import { type AuthService, startAuthService } from '../../src/app.ts';
import { parseAuthConfig } from '../../src/config.ts';

describe('JSON API inside the auth service', () => {
  let db: { url: string; drop(): Promise<void> };
  let store: OpenedStore;
  let service: AuthService;
  const secrets = { ops: randomBytes(24).toString('base64url'), m2m: randomBytes(24).toString('base64url') };
  const events: EdgeEvent[] = [];

  async function clientToken(clientId: 'ops' | 'm2m', scope?: string): Promise<string> {
    const config = await oidc.discovery(
      new URL(service.url),
      clientId,
      secrets[clientId],
      oidc.ClientSecretBasic(secrets[clientId]),
      { execute: [oidc.allowInsecureRequests] },
    );
    return (await oidc.clientCredentialsGrant(config, scope ? { scope } : {})).access_token;
  }

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(service.url + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    db = await createTestDatabase();
    store = await openStore({ databaseUrl: db.url, redisUrl: testRedisUrl(), keyPrefix: uniquePrefix('e2e') });
    await store.fast.pubsub.subscribe(EVENTS_CHANNEL, (m) => {
      const e = decodeEvent(m);
      if (e) events.push(e);
    });
    const config = parseAuthConfig({
      issuer: 'http://127.0.0.1:0',
      port: 0,
      logLevel: 'silent',
      apiKeyScopes: ['vocabulary:read'],
      clients: [
        { clientId: 'ops', secretEnv: 'OPS_SECRET', grantTypes: ['client_credentials'], roles: ['admin'] },
        { clientId: 'm2m', secretEnv: 'M2M_SECRET', grantTypes: ['client_credentials'], roles: ['service'] },
      ],
    });
    service = await startAuthService({
      config,
      store,
      env: { OPS_SECRET: secrets.ops, M2M_SECRET: secrets.m2m },
      logger: pino({ level: 'silent' }),
      masterKey: new Uint8Array(randomBytes(32)),
      keyRefreshMs: 0,
    });
  });
  after(async () => {
    await service?.close();
    await store?.close();
    await db?.drop();
  });

  test('an admin client creates, lists and revokes a key for a user and sets a plan', async () => {
    const user = await service.accounts.create({
      email: 'owner@example.com',
      password: 'correct horse battery staple',
    });
    const token = await clientToken('ops');

    const created = await call('POST', '/admin/api/keys', token, { ownerId: user.id, scopes: ['anything:at-all'] });
    assert.equal(created.status, 201);
    const issued = issuedKeyView.parse(await created.json());
    assert.deepEqual(issued.apiKey.scopes, ['anything:at-all']);
    assert.equal((await verifyApiKey(store.sql, issued.key, new Date())).valid, true);

    const list = await call('GET', `/admin/api/keys?owner=${user.id}`, token);
    assert.deepEqual(
      apiKeyListView.parse(await list.json()).items.map((k) => k.id),
      [issued.apiKey.id],
    );
    assert.equal((await call('DELETE', `/admin/api/keys/${issued.apiKey.id}`, token)).status, 200);
    assert.deepEqual(await verifyApiKey(store.sql, issued.key, new Date()), { valid: false, reason: 'revoked' });

    const plan = await call('PUT', `/admin/api/users/${user.id}/plan`, token, { plan: 'premium' });
    assert.equal(profileView.parse(await plan.json()).plan, 'premium');
    const deadline = Date.now() + 3000;
    while (!events.some((e) => e.type === 'user.changed' && e.id === user.id) && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(events.some((e) => e.type === 'api_key.changed' && e.id === issued.apiKey.id));
    assert.ok(events.some((e) => e.type === 'user.changed' && e.id === user.id));
  });

  test('a client without role admin → 403; its token is not a user token → 401 on the owner API', async () => {
    const token = await clientToken('m2m', 'usage:read');
    const admin = await call('GET', '/admin/api/keys', token);
    assert.equal(admin.status, 403);
    assert.equal(problemView.parse(await admin.json()).code, 'API_ADMIN_REQUIRED');
    const owner = await call('GET', '/api/usage?from=2030-01-01&to=2030-01-02', token);
    assert.equal(owner.status, 401);
    assert.equal(owner.headers.get('www-authenticate'), 'Bearer realm="edgepass", error="invalid_token"');
  });

  test('a token the service did not sign → 401; the OpenAPI document is served', async () => {
    const token = await clientToken('ops');
    const [h, p] = token.split('.');
    const res = await call('GET', '/admin/api/keys', `${h}.${p}.${'A'.repeat(86)}`);
    assert.equal(res.status, 401);
    assert.equal(problemView.parse(await res.json()).code, 'API_INVALID_TOKEN');
    const doc = await call('GET', '/api/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(((await doc.json()) as { openapi: string }).openapi, '3.1.0');
  });
});
