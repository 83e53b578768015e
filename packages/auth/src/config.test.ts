import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cookiesSecure, keyRetireAfterSec, loadAuthConfig, parseAuthConfig, supportedScopes } from './config.ts';
import { AuthError } from './errors.ts';

function refused(input: unknown): string {
  try {
    parseAuthConfig(input);
  } catch (err) {
    assert.ok(err instanceof AuthError);
    assert.equal(err.code, 'AUTH_CONFIG_INVALID');
    return err.reason;
  }
  return assert.fail('config was accepted');
}

test('defaults: OAuth 2.1 TTLs, plans, grace, cookie names; the result is deeply frozen', () => {
  const c = parseAuthConfig({ issuer: 'https://auth.example.com/' });
  assert.equal(c.issuer, 'https://auth.example.com');
  assert.equal(c.ttl.accessTokenSec, 600);
  assert.equal(c.ttl.refreshTokenSec, 14 * 86_400);
  assert.equal(c.refreshGraceSec, 10);
  assert.deepEqual(c.plans, ['free', 'premium']);
  assert.equal(c.audience, 'edgepass-api');
  assert.equal(c.signingAlg, 'ES256');
  assert.equal(c.cookies.session, 'ep_session');
  assert.deepEqual(c.throttle.account, { points: 5, durationSec: 900 });
  assert.deepEqual(c.throttle.ip, { points: 50, durationSec: 900 });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.ttl) && Object.isFrozen(c.plans));
  assert.throws(() => {
    (c.plans as string[]).push('x');
  }, TypeError);
  assert.equal(cookiesSecure(c), true);
  assert.equal(cookiesSecure(parseAuthConfig({ issuer: 'http://127.0.0.1:4000' })), false);
  assert.equal(keyRetireAfterSec(c), 3660);
  assert.ok(supportedScopes(c).includes('api_keys:manage'));
});

test('invalid configs fail with the path and the reason', () => {
  assert.match(refused({}), /issuer/);
  assert.match(refused({ issuer: 'https://a', unknown: 1 }), /unrecognized key/i);
  assert.match(refused({ issuer: 'https://a', ttl: { accessTokenSec: -1 } }), /ttl\.accessTokenSec/);
  assert.match(refused({ issuer: 'https://a', signingAlg: 'HS256' }), /signingAlg/);
  assert.match(refused({ issuer: 'https://a', plans: [] }), /plans/);
  assert.match(refused({ issuer: 'https://a', plans: ['free', 'free'] }), /duplicate plan/);
  assert.match(
    refused({ issuer: 'https://a', clients: [{ clientId: 'web', redirectUris: ['https://x/cb'] }] }),
    /clients\.0\.secretEnv: required/,
  );
  assert.match(
    refused({ issuer: 'https://a', clients: [{ clientId: 'spa', public: true, grantTypes: ['client_credentials'] }] }),
    /client_credentials/,
  );
  assert.match(refused({ issuer: 'https://a', clients: [{ clientId: 'web', secretEnv: 'lower-case' }] }), /secretEnv/);
  assert.match(
    refused({ issuer: 'https://a', providers: [{ id: 'Bad Id', issuer: 'https://idp', clientId: 'x' }] }),
    /providers\.0\.id/,
  );
});

test('YAML file (top level or under auth:) with environment overrides; secrets stay out of the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-auth-config-'));
  try {
    const file = join(dir, 'edgepass.yaml');
    writeFileSync(
      file,
      [
        'auth:',
        '  issuer: https://auth.example.com',
        '  port: 4100',
        '  plans: [free, team]',
        '  clients:',
        '    - clientId: m2m',
        '      secretEnv: M2M_SECRET',
        '      grantTypes: [client_credentials]',
      ].join('\n'),
    );
    const c = loadAuthConfig({ file, env: { EDGEPASS_AUTH_PORT: '4200', EDGEPASS_TRUST_PROXY: 'true' } });
    assert.equal(c.port, 4200);
    assert.equal(c.trustProxy, true);
    assert.deepEqual(c.plans, ['free', 'team']);
    assert.equal(c.clients[0]?.secretEnv, 'M2M_SECRET');
    writeFileSync(file, 'issuer: [not, a, url]');
    assert.throws(
      () => loadAuthConfig({ file, env: {} }),
      (e: unknown) => e instanceof AuthError && /issuer/.test(e.reason),
    );
    writeFileSync(file, 'issuer: https://x\n  bad: indentation: here');
    assert.throws(
      () => loadAuthConfig({ file, env: {} }),
      (e: unknown) => e instanceof AuthError && e.code === 'AUTH_CONFIG_INVALID',
    );
    assert.equal(loadAuthConfig({ env: { EDGEPASS_ISSUER: 'https://env.example' } }).issuer, 'https://env.example');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
