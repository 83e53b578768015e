// The embedded mode (PGlite in memory + in-memory fast state, as `edgepass dev` runs it): the main flow
// end to end — code + PKCE through the login form, refresh rotation with the grace window, revocation,
// introspection and logout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deniedJtiKey } from '@edgepass/store';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { formTo } from './browser.ts';
import { clientConfig, codeFlowTokens, createUser, loginThroughForm, startTestAuth } from './harness.ts';

test('embedded PGlite + memory: login, refresh, revoke, introspect, logout', async () => {
  const t = await startTestAuth({ embedded: true });
  try {
    assert.equal(t.store.sql.kind, 'pglite');
    assert.equal(t.store.fast.kind, 'memory');
    await createUser(t, 'pat@example.com', { plan: 'premium' });
    const web = await clientConfig(t, 'web', t.secrets.web);

    const flow = await loginThroughForm(web, 'pat@example.com');
    const tokens = await codeFlowTokens(web, flow);
    assert.equal(decodeJwt(tokens.access_token).plan, 'premium');

    const [a, b] = await Promise.all([
      oidc.refreshTokenGrant(web, tokens.refresh_token ?? ''),
      oidc.refreshTokenGrant(web, tokens.refresh_token ?? ''),
    ]);
    assert.equal(a.refresh_token, b.refresh_token, 'concurrent refreshes share one result');
    const c = await oidc.refreshTokenGrant(web, a.refresh_token ?? '');
    assert.notEqual(c.refresh_token, a.refresh_token);

    assert.equal((await oidc.tokenIntrospection(web, c.access_token)).active, true);
    await oidc.tokenRevocation(web, c.access_token);
    assert.equal((await oidc.tokenIntrospection(web, c.access_token)).active, false);
    assert.notEqual(await t.store.fast.kv.get(deniedJtiKey(decodeJwt(c.access_token).jti ?? '')), null);

    const logout = formTo(await flow.browser.request(`${t.issuer}/logout`), '/logout');
    assert.equal((await flow.browser.request(logout.action, { form: logout.fields })).status, 200);
    await assert.rejects(
      oidc.refreshTokenGrant(web, c.refresh_token ?? ''),
      (e: unknown) => e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant',
    );
    assert.equal(
      (await oidc.tokenIntrospection(web, a.access_token)).active,
      false,
      'logout denied the live access tokens',
    );
  } finally {
    await t.close();
  }
});
