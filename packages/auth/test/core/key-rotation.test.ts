// Signing-key rotation with `edgepass keys rotate` (run in-process, as an operator would, on the service's
// database and Redis): the next key is published in the JWKS before it signs; after --promote the running
// service signs with it (it learns through `keys.changed`); tokens signed before and after verify with plain
// jose against the published JWKS.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { createKeysCommand } from '../../../cli/src/commands/keys.ts';
import { clientConfig, eventually, startTestAuth, type TestAuth } from './harness.ts';

let t: TestAuth;
let env: NodeJS.ProcessEnv;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgepass-keys-'));
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
  rmSync(dir, { recursive: true, force: true });
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
  const promote = await keys('rotate', '--promote', '--retire-after', '1h');
  assert.equal(promote.code, 1);
  assert.match(promote.err.join('\n'), /stage one first/);
});

test('retiring an access-token key without --config or --retire-after is refused: the lifetimes are unknown', async () => {
  const before = await keys('list', '--json');
  for (const step of ['--promote', '--now']) {
    const r = await keys('rotate', step);
    assert.equal(r.code, 2, step);
    assert.match(r.err.join('\n'), /needs the token lifetimes: pass --config <file>.*or --retire-after/);
  }
  assert.deepEqual((await keys('list', '--json')).out, before.out, 'no key changed');
});

test('--config: the retired key stays published for the configured token lifetimes; --alg from signingAlg', async () => {
  const file = join(dir, 'auth.yaml');
  writeFileSync(
    file,
    'issuer: http://127.0.0.1:0\nsigningAlg: RS256\nttl:\n  accessTokenSec: 7200\n  idTokenSec: 3600\n',
  );
  const started = Date.now();
  const r = await keys('rotate', '--now', '--config', file);
  assert.equal(r.code, 0, r.err.join('\n'));
  const listed = JSON.parse((await keys('list', '--json')).out[0] ?? '[]') as Array<{
    kid: string;
    alg: string;
    state: string;
    notAfter: string | null;
  }>;
  const active = listed.find((k) => k.state === 'active');
  assert.equal(active?.alg, 'RS256');
  assert.equal(`active ${active?.kid}`, r.out[0]);
  const retired = listed.find((k) => k.state === 'retired' && r.err.join('').includes(`${k.kid} retired`));
  const publishedSec = (new Date(retired?.notAfter ?? 0).getTime() - started) / 1000;
  assert.ok(
    publishedSec >= 7260 && publishedSec < 7270,
    `max(access, ID token TTL) + 60 s, not 3660 (${publishedSec})`,
  );
  assert.match(r.err.join('\n'), /published for 7260 s more/);

  // without --alg or --config, staging keeps the algorithm of the key that signs now
  const staged = await keys('rotate', '--stage');
  assert.equal(staged.code, 0, staged.err.join('\n'));
  assert.match(staged.err.join('\n'), /\(RS256\) is published but does not sign yet/);
});

test('prune deletes exactly the retired keys whose period has ended, and the JWKS drops them', async () => {
  const kept = await keys('rotate', '--now', '--retire-after', '1h');
  assert.equal(kept.code, 0, kept.err.join('\n'));
  const ending = await keys('rotate', '--now', '--retire-after', '0s');
  assert.equal(ending.code, 0, ending.err.join('\n'));
  const goneKid = /; (\S+) retired/.exec(ending.err.join('\n'))?.[1] ?? assert.fail('no key retired');
  const keptKid = /; (\S+) retired/.exec(kept.err.join('\n'))?.[1] ?? assert.fail('no key retired');
  await eventually(async () => ((await jwks()).keys.some((k) => k.kid === keptKid) ? true : undefined));

  const pruned = await keys('prune');
  assert.equal(pruned.code, 0, pruned.err.join('\n'));
  assert.deepEqual(pruned.out, ['pruned 1']);
  const kids = (JSON.parse((await keys('list', '--json')).out[0] ?? '[]') as Array<{ kid: string }>).map((k) => k.kid);
  assert.ok(!kids.includes(goneKid), 'the key whose period ended is deleted');
  assert.ok(kids.includes(keptKid), 'a key still within its period stays');
  await eventually(async () => ((await jwks()).keys.some((k) => k.kid === goneKid) ? undefined : true));
  assert.ok((await jwks()).keys.some((k) => k.kid === keptKid));
  assert.deepEqual((await keys('prune')).out, ['pruned 0'], 'nothing left to prune');
});

test('--now rotates in one step (RS256) and the service follows', async () => {
  const before = decodeProtectedHeader(await accessToken()).kid;
  const r = await keys('rotate', '--now', '--alg', 'RS256', '--retire-after', '1h');
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
