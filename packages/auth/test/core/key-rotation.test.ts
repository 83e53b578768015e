// Signing-key rotation with `edgepass keys rotate` (run in-process, as an operator would, on the service's
// database and Redis): the next key is published in the JWKS before it signs; after --promote the running
// service signs with it (it learns through `keys.changed`); tokens signed before and after verify with plain
// jose against the published JWKS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { createKeysCommand } from '../../../cli/src/commands/keys.ts';
import { clientConfig, eventually, startTestAuth, type TestAuth } from './harness.ts';

let t: TestAuth;
let env: NodeJS.ProcessEnv;

before(async () => {
  t = await startTestAuth();
  env = {
    DATABASE_URL: t.shared.databaseUrl,
    REDIS_URL: process.env.EDGEPASS_TEST_REDIS_URL,
    EDGEPASS_REDIS_PREFIX: t.shared.keyPrefix,
    EDGEPASS_MASTER_KEY: Buffer.from(t.shared.masterKey).toString('base64url'),
  };
});

after(async () => {
  await t.close();
});

async function keys(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await createKeysCommand({ env, out: (l) => out.push(l), err: (l) => err.push(l) }).run(argv);
  return { code, out, err };
}

async function jwks(): Promise<{ keys: JWK[] }> {
  return (await (await fetch(`${t.issuer}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
}

async function accessToken(): Promise<string> {
  const m2m = await clientConfig(t, 'm2m', t.secrets.m2m);
  return (await oidc.clientCredentialsGrant(m2m)).access_token;
}

async function verify(token: string) {
  return await jwtVerify(token, createLocalJWKSet(await jwks()), {
    issuer: t.issuer,
    audience: 'edgepass-api',
    algorithms: ['ES256', 'RS256'],
    typ: 'at+jwt',
  });
}

test('stage → published but not signing; promote → signs; old tokens still verify', async () => {
  const first = await accessToken();
  const oldKid = decodeProtectedHeader(first).kid;
  assert.deepEqual(
    (await jwks()).keys.map((k) => k.kid),
    [oldKid],
  );
  for (const k of (await jwks()).keys) assert.equal(k.d, undefined, 'no private parts in the JWKS');
  await verify(first);

  const staged = await keys('rotate', '--stage');
  assert.equal(staged.code, 0, staged.err.join('\n'));
  const nextKid = staged.out[0]?.replace(/^next /, '');
  assert.ok(nextKid && nextKid !== oldKid);
  // published before it signs (the service reloads on keys.changed)
  await eventually(async () => ((await jwks()).keys.some((k) => k.kid === nextKid) ? true : undefined));
  assert.equal(decodeProtectedHeader(await accessToken()).kid, oldKid, 'a staged key does not sign');

  const listed = await keys('list', '--json');
  const states = JSON.parse(listed.out[0] ?? '[]') as Array<{ kid: string; state: string }>;
  assert.equal(states.find((k) => k.kid === nextKid)?.state, 'next');

  const promoted = await keys('rotate', '--promote', '--retire-after', '20m');
  assert.equal(promoted.code, 0, promoted.err.join('\n'));
  assert.deepEqual(promoted.out, [`active ${nextKid}`]);
  const second = await eventually(async () => {
    const token = await accessToken();
    return decodeProtectedHeader(token).kid === nextKid ? token : undefined;
  });
  const published = (await jwks()).keys.map((k) => k.kid);
  assert.deepEqual(published, [nextKid, oldKid], 'active first, the retired key still published');
  assert.equal((await verify(second)).protectedHeader.kid, nextKid);
  assert.equal((await verify(first)).protectedHeader.kid, oldKid, 'a token signed before the rotation still verifies');
  assert.ok(t.logs.some((l) => l.reason === 'signing_key_changed'));

  // the service's own verifier (JSON API, introspection) follows too
  const web = await clientConfig(t, 'web', t.secrets.web);
  assert.equal((await oidc.tokenIntrospection(web, first)).active, true);
  assert.equal((await oidc.tokenIntrospection(web, second)).active, true);
});

test('usage errors exit 2; promote without a staged key fails with exit 1', async () => {
  assert.equal((await keys('rotate', '--stage', '--now')).code, 2);
  assert.equal((await keys('rotate', '--use', 'nope')).code, 2);
  assert.equal((await keys('frobnicate')).code, 2);
  const promote = await keys('rotate', '--promote');
  assert.equal(promote.code, 1);
  assert.match(promote.err.join('\n'), /stage one first/);
});

test('--now rotates in one step (RS256) and the service follows', async () => {
  const before = decodeProtectedHeader(await accessToken()).kid;
  const r = await keys('rotate', '--now', '--alg', 'RS256');
  assert.equal(r.code, 0, r.err.join('\n'));
  const kid = r.out[0]?.replace(/^active /, '');
  const token = await eventually(async () => {
    const tok = await accessToken();
    return decodeProtectedHeader(tok).kid === kid ? tok : undefined;
  });
  assert.notEqual(kid, before);
  const { protectedHeader } = await verify(token);
  assert.equal(protectedHeader.alg, 'RS256');
});
