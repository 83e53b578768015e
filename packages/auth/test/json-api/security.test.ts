// The shared security suite, run against every route of the route table that needs a caller: missing,
// malformed, badly signed, expired and inactive-subject tokens; the wrong scope; a non-admin on admin
// routes. Then the admin rule for users whose role was removed and for client_credentials clients.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonApiRoutes } from '../../src/api/index.ts';
import type { AnyRoute } from '../../src/api/route.ts';
import { apiKeyListView, profileView } from '../../src/api/schemas.ts';
import { expectProblem, type Harness, parseAs, startHarness, userWithToken } from './harness.ts';

const SAMPLE_KEY_ID = 'key_AAAAAAAAAAAAAAAAAAAAAA';

function samplePath(route: AnyRoute, userId: string): string {
  return route.url.replace(':id', route.url.startsWith('/admin/api/users') ? userId : SAMPLE_KEY_ID);
}

describe('JSON API authentication and authorization', () => {
  let h: Harness;
  let routes: AnyRoute[];
  before(async () => {
    h = await startHarness();
    routes = jsonApiRoutes({
      store: h.store,
      logger: h.app.log,
      verifyAccessToken: async () => {
        throw new Error('unused');
      },
      apiKeyEnv: 'test',
      plans: ['free'],
    }).filter((r) => r.access.kind !== 'public');
    assert.ok(routes.length >= 13);
  });
  after(async () => {
    await h.close();
  });

  test('no Authorization header → 401 with a Bearer challenge and no error attribute', async () => {
    const u = await h.createUser();
    for (const r of routes) {
      const res = await h.request(r.method, samplePath(r, u), { body: r.body ? {} : undefined });
      expectProblem(res, 401, 'API_INVALID_TOKEN');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="edgepass"', `${r.method} ${r.url}`);
    }
  });

  test('malformed, foreign-signed and expired tokens → 401 invalid_token; the token is never logged', async () => {
    const u = await h.createUser({ roles: ['admin'] });
    const scope = 'api_keys:manage usage:read';
    const foreign = await h.token({ sub: u, scope, roles: ['admin'], foreignKey: true });
    const expiring = await h.token({ sub: u, scope, roles: ['admin'], ttlSec: 60 });
    const headers: [string, Record<string, string>][] = [
      ['basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['bearer without token', { authorization: 'Bearer ' }],
      ['bearer with junk', { authorization: 'Bearer not a token' }],
      ['foreign signature', { authorization: `Bearer ${foreign}` }],
      ['expired', { authorization: `Bearer ${expiring}` }],
    ];
    h.clock.advance(61);
    try {
      for (const r of routes) {
        for (const [label, header] of headers) {
          const res = await h.request(r.method, samplePath(r, u), { headers: header, body: r.body ? {} : undefined });
          expectProblem(res, 401, 'API_INVALID_TOKEN');
          assert.equal(
            res.headers.get('www-authenticate'),
            'Bearer realm="edgepass", error="invalid_token"',
            `${label}: ${r.method} ${r.url}`,
          );
        }
      }
    } finally {
      h.clock.advance(-61);
    }
    const log = h.logs.join('');
    assert.ok(!log.includes(foreign) && !log.includes(expiring.split('.')[2] ?? '-'), 'tokens never reach the log');
    assert.match(
      log,
      /"reason":"token_rejected","verifierCode":"AUTH_INVALID_TOKEN","verifierReason":"ERR_JWT_EXPIRED"/,
    );
    assert.match(log, /"verifierReason":"ERR_JWS_SIGNATURE_VERIFICATION_FAILED"/);
  });

  test('a token whose subject is a disabled or unknown user → 401 on owner routes', async () => {
    const disabled = await userWithToken(h, 'api_keys:manage usage:read', { status: 'disabled' });
    const ghost = await h.token({ sub: 'usr_doesnotexist', scope: 'api_keys:manage usage:read' });
    for (const r of routes.filter((x) => x.access.kind === 'owner')) {
      for (const token of [disabled.token, ghost]) {
        expectProblem(
          await h.request(r.method, samplePath(r, disabled.id), { token, body: r.body ? {} : undefined }),
          401,
          'API_INVALID_TOKEN',
        );
      }
    }
  });

  test('an owner route without its scope → 403 insufficient_scope naming the scope', async () => {
    const u = await userWithToken(h, 'openid profile');
    for (const r of routes) {
      if (r.access.kind !== 'owner' || !r.access.scope) continue;
      const res = await h.request(r.method, samplePath(r, u.id), { token: u.token, body: r.body ? {} : undefined });
      expectProblem(res, 403, 'API_INSUFFICIENT_SCOPE');
      assert.equal(
        res.headers.get('www-authenticate'),
        `Bearer realm="edgepass", error="insufficient_scope", scope="${r.access.scope}"`,
      );
    }
    // /api/me needs no scope beyond a valid user token
    const me = parseAs(await h.request('GET', '/api/me', { token: u.token }), 200, profileView);
    assert.equal(me.id, u.id);
  });

  test('admin routes refuse users without the admin role, even with every scope', async () => {
    const u = await userWithToken(h, 'api_keys:manage usage:read admin');
    for (const r of routes.filter((x) => x.access.kind === 'admin')) {
      const res = await h.request(r.method, samplePath(r, u.id), { token: u.token, body: r.body ? {} : undefined });
      expectProblem(res, 403, 'API_ADMIN_REQUIRED');
    }
  });

  test('an admin token is refused once the user is no longer an admin or is disabled', async () => {
    const id = await h.createUser({ roles: ['admin'] });
    const token = await h.token({ sub: id, roles: ['admin'] });
    parseAs(await h.request('GET', '/admin/api/keys', { token }), 200, apiKeyListView);
    await h.store.sql.query("UPDATE users SET roles = '{}' WHERE id = $1", [id]);
    expectProblem(await h.request('GET', '/admin/api/keys', { token }), 403, 'API_ADMIN_REQUIRED');
    await h.store.sql.query("UPDATE users SET roles = '{admin}', status = 'disabled' WHERE id = $1", [id]);
    expectProblem(await h.request('GET', '/admin/api/keys', { token }), 403, 'API_ADMIN_REQUIRED');
    const deleted = await h.token({ sub: 'usr_deleted', roles: ['admin'] });
    expectProblem(await h.request('GET', '/admin/api/keys', { token: deleted }), 403, 'API_ADMIN_REQUIRED');
  });

  test('a client_credentials token with role admin (subject is a client) may use the admin API', async () => {
    const token = await h.token({ sub: 'cli_ops', roles: ['admin'] });
    parseAs(await h.request('GET', '/admin/api/keys', { token }), 200, apiKeyListView);
    const noRole = await h.token({ sub: 'cli_ops' });
    expectProblem(await h.request('GET', '/admin/api/keys', { token: noRole }), 403, 'API_ADMIN_REQUIRED');
  });

  test('a verifier that cannot work (status >= 500) → 503, not 401', async () => {
    const broken = await startHarness({
      deps: {
        verifyAccessToken: async () => {
          throw Object.assign(new Error('keys not loaded'), { code: 'AUTH_UNAVAILABLE', status: 503 });
        },
      },
    });
    try {
      const res = await broken.request('GET', '/api/me', { token: 'a.b.c' });
      expectProblem(res, 503, 'API_UNAVAILABLE');
      assert.equal(res.headers.get('www-authenticate'), null);
    } finally {
      await broken.close();
    }
  });
});
