import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { PASSPORT_ENV, verifierOptionsFromEnv } from './env.ts';
import { createTestPassportIssuer } from './testing.ts';
import { createPassportVerifier } from './verify.ts';

const JWKS_URL = 'http://127.0.0.1:9090/.well-known/passport-jwks.json';
const complete = {
  EDGEPASS_PASSPORT_JWKS_URL: JWKS_URL,
  EDGEPASS_PASSPORT_ISSUER: 'gw-1',
  EDGEPASS_PASSPORT_AUDIENCE: 'billing',
  UNRELATED: 'x',
};

test('reads the three variables; the audience variable wins over the default', () => {
  assert.deepEqual(verifierOptionsFromEnv(complete, 'vocabulary-service'), {
    jwksUrl: JWKS_URL,
    issuer: 'gw-1',
    audience: 'billing',
  });
  assert.deepEqual(PASSPORT_ENV, {
    jwksUrl: 'EDGEPASS_PASSPORT_JWKS_URL',
    issuer: 'EDGEPASS_PASSPORT_ISSUER',
    audience: 'EDGEPASS_PASSPORT_AUDIENCE',
  });
});

test('without EDGEPASS_PASSPORT_AUDIENCE (or with a blank one) the default audience applies', () => {
  const { EDGEPASS_PASSPORT_AUDIENCE: _, ...noAudience } = complete;
  assert.equal(verifierOptionsFromEnv(noAudience, 'vocabulary-service').audience, 'vocabulary-service');
  assert.equal(
    verifierOptionsFromEnv({ ...complete, EDGEPASS_PASSPORT_AUDIENCE: ' ' }, 'user-service').audience,
    'user-service',
  );
});

test('a missing or blank variable is a TypeError naming it', () => {
  const { EDGEPASS_PASSPORT_AUDIENCE: _, ...noAudience } = complete;
  const cases: [Record<string, string | undefined>, string | undefined, RegExp][] = [
    [{ ...complete, EDGEPASS_PASSPORT_JWKS_URL: undefined }, 'svc', /^EDGEPASS_PASSPORT_JWKS_URL is required: /],
    [{ ...complete, EDGEPASS_PASSPORT_JWKS_URL: '' }, 'svc', /^EDGEPASS_PASSPORT_JWKS_URL is required: /],
    [{ ...complete, EDGEPASS_PASSPORT_ISSUER: undefined }, 'svc', /^EDGEPASS_PASSPORT_ISSUER is required: /],
    [{ ...complete, EDGEPASS_PASSPORT_ISSUER: ' \t' }, 'svc', /^EDGEPASS_PASSPORT_ISSUER is required: /],
    [noAudience, undefined, /^EDGEPASS_PASSPORT_AUDIENCE is required: /],
    [{}, 'svc', /^EDGEPASS_PASSPORT_JWKS_URL is required: /],
  ];
  for (const [env, audience, message] of cases) {
    assert.throws(() => verifierOptionsFromEnv(env, audience), { name: 'TypeError', message }, String(message));
  }
});

test('a JWKS URL that is not an absolute http(s) URL is a TypeError naming the variable', () => {
  for (const [url, message] of [
    ['gateway:9090/jwks', /^EDGEPASS_PASSPORT_JWKS_URL must be http\(s\)$/],
    ['/.well-known/passport-jwks.json', /^EDGEPASS_PASSPORT_JWKS_URL must be an absolute http\(s\) URL$/],
    ['file:///etc/jwks.json', /^EDGEPASS_PASSPORT_JWKS_URL must be http\(s\)$/],
  ] as const) {
    assert.throws(() => verifierOptionsFromEnv({ ...complete, EDGEPASS_PASSPORT_JWKS_URL: url }), {
      name: 'TypeError',
      message,
    });
  }
});

test('misuse of the function itself is a TypeError', () => {
  assert.throws(() => verifierOptionsFromEnv(complete, ''), { name: 'TypeError', message: /defaultAudience/ });
  assert.throws(() => verifierOptionsFromEnv(null as unknown as Record<string, string>), {
    name: 'TypeError',
    message: /env must be an object/,
  });
});

test('defaults to process.env', (t) => {
  t.mock.property(process, 'env', { ...complete, EDGEPASS_PASSPORT_ISSUER: 'gw-from-process' });
  assert.equal(verifierOptionsFromEnv().issuer, 'gw-from-process');
});

test('the options build a verifier that fetches the JWKS URL and accepts passports for that audience only', async () => {
  const issuer = await createTestPassportIssuer({ issuer: 'gw-1' });
  const server = createServer((_req, res) => res.end(JSON.stringify(issuer.jwks)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/passport-jwks.json`;
    const { EDGEPASS_PASSPORT_AUDIENCE: _, ...env } = { ...complete, EDGEPASS_PASSPORT_JWKS_URL: jwksUrl };
    const verifier = createPassportVerifier(verifierOptionsFromEnv(env, 'vocabulary-service'));
    const identity = await verifier.verify(await issuer.mint({ audience: 'vocabulary-service' }));
    assert.deepEqual([identity.issuer, identity.audience], ['gw-1', 'vocabulary-service']);
    await assert.rejects(verifier.verify(await issuer.mint({ audience: 'billing' })), {
      code: 'PASSPORT_WRONG_AUDIENCE',
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
