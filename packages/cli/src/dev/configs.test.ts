import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '@edgepass/gateway';
import { AUTH_PATH_PREFIXES, devGatewayConfig } from './configs.ts';

const input = {
  host: '127.0.0.1',
  port: 8080,
  adminPort: 9090,
  authIssuer: 'http://127.0.0.1:8080',
  authUrl: 'http://127.0.0.1:4000',
  vocabularyUrl: 'http://127.0.0.1:4001',
  userServiceUrl: 'http://127.0.0.1:4002',
  logLevel: 'info' as const,
};

test('the dev gateway trusts the issuer named by the gateway URL and fetches its keys from the auth service', () => {
  const config = validateConfig(devGatewayConfig(input), { env: {} });
  assert.deepEqual(
    config.issuers.map((i) => [i.issuer, i.jwksUri]),
    [['http://127.0.0.1:8080', 'http://127.0.0.1:4000/.well-known/jwks.json']],
  );
});

test("every public path of the auth service is a passthrough route to it, limited per IP; the APIs' routes verify", () => {
  const config = validateConfig(devGatewayConfig(input), { env: {} });
  const auth = config.routes.filter((r) => r.service === 'auth');
  assert.deepEqual(
    auth.map((r) => r.match.pathPrefix),
    [...AUTH_PATH_PREFIXES],
  );
  for (const route of auth) {
    assert.equal(route.credentials, 'passthrough', route.name);
    assert.deepEqual(route.upstream.targets, ['http://127.0.0.1:4000']);
    assert.equal(route.rateLimit?.by, 'ip');
  }
  for (const route of config.routes.filter((r) => r.service !== 'auth')) assert.equal(route.credentials, 'verify');
});
