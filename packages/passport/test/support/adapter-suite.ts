// One security suite for every adapter: each adapter test builds the same small app (routes below) on a
// real server bound to 127.0.0.1:0 and this suite speaks HTTP to it with fetch.
//   GET /me       passport required; answers identityJson(identity)
//   GET /write    + requireScope('vocab:write')
//   GET /admin    + requireRole('admin')
//   GET /workers  + requireKind('service')
//   GET /healthz  public: no passport needed
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../../../test/support/servers.ts';
import type { PassportError } from '../../src/errors.ts';
import type { Identity } from '../../src/identity.ts';
import { createTestPassportIssuer, type TestPassportIssuer } from '../../src/testing.ts';
import type { PassportVerifier, PassportVerifierOptions } from '../../src/verify.ts';
import { fixedClock, NOW, payloadOf, replaceSegment } from './craft.ts';

export const AUDIENCE = 'vocabulary';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

export type StartApp = (
  verifier: PassportVerifier | PassportVerifierOptions,
  onRefused: (error: PassportError) => void,
) => Promise<RunningApp>;

export function identityJson(identity: Identity): Record<string, unknown> {
  return {
    sub: identity.sub,
    kind: identity.kind,
    via: identity.via,
    roles: identity.roles,
    scopes: [...identity.scopes],
    plan: identity.plan ?? null,
    tenant: identity.tenant ?? null,
    src: identity.src,
    issuer: identity.issuer,
    audience: identity.audience,
    writer: identity.hasScope('vocab:write'),
  };
}

/** Listens on 127.0.0.1:0 and returns the base URL and a close() that also drops keep-alive sockets. */
export async function listen(server: Server): Promise<RunningApp> {
  if (!server.listening) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function get(base: string, path: string, passport?: string | string[]): Promise<Answer> {
  const headers = new Headers();
  for (const p of passport === undefined ? [] : [passport].flat()) headers.append('x-passport', p);
  const res = await fetch(`${base}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text === '' ? {} : JSON.parse(text) };
}

function assertProblem(answer: Answer, status: number, code: string, wwwAuthenticate: string | null): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  assert.equal(answer.headers.get('www-authenticate'), wwwAuthenticate);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(answer.json).sort(), ['code', 'detail', 'status', 'title', 'type']);
  assert.equal(answer.json.status, status);
  assert.equal(answer.json.code, code);
  assert.equal(answer.json.type, `https://edgepass.dev/errors/${code.toLowerCase().replaceAll('_', '-')}`);
  assert.equal(typeof answer.json.title, 'string');
  assert.equal(typeof answer.json.detail, 'string');
}

const INVALID = 'Passport error="invalid_passport"';
const LEAK = 'connect ECONNREFUSED db.internal:5432 as admin';

export function runAdapterSuite(name: string, start: StartApp): void {
  describe(`${name} adapter over HTTP`, () => {
    let issuer: TestPassportIssuer;
    let app: RunningApp;
    let unavailable: RunningApp;
    let brokenKeys: RunningApp;
    let faultyVerifier: RunningApp;
    let throwingVerifier: RunningApp;
    const refusals: string[] = [];
    const record = (e: PassportError) => refusals.push(e.code);

    before(async () => {
      issuer = await createTestPassportIssuer({ issuer: 'gw-test', audience: AUDIENCE });
      const verifierOptions = { ...issuer.verifierOptions(AUDIENCE), now: fixedClock };
      app = await start(verifierOptions, record);
      const closedPort = await freePort();
      unavailable = await start(
        { issuer: 'gw-test', audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${closedPort}/jwks`, now: fixedClock },
        record,
      );
      // A published key WebCrypto cannot import (`x` of the wrong length), and a verifier of the
      // application's that breaks the contract by rejecting with a plain Error.
      const unusable = issuer.jwks.keys.map((k) => ({ ...k, x: 'AAAA' }));
      brokenKeys = await start({ ...verifierOptions, jwks: { keys: unusable } }, record);
      faultyVerifier = await start({ verify: () => Promise.reject(new Error(LEAK)) }, record);
      throwingVerifier = await start(
        {
          verify: () => {
            throw new Error(LEAK);
          },
        },
        record,
      );
    });

    after(async () => {
      await Promise.all([app, unavailable, brokenKeys, faultyVerifier, throwingVerifier].map((a) => a?.close()));
    });

    const mint = (overrides: Parameters<TestPassportIssuer['mint']>[0] = {}) =>
      issuer.mint({ now: fixedClock, ...overrides });
    const lastRefusal = () => refusals.at(-1);

    test('a valid passport reaches the handler as a typed identity', async () => {
      const token = await mint({ roles: ['editor'], scope: 'vocab:read vocab:write', plan: 'pro', tenant: 'acme' });
      const answer = await get(app.url, '/me', token);
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, {
        sub: 'test-user',
        kind: 'user',
        via: 'access_token',
        roles: ['editor'],
        scopes: ['vocab:read', 'vocab:write'],
        plan: 'pro',
        tenant: 'acme',
        src: 'test-issuer#test',
        issuer: 'gw-test',
        audience: AUDIENCE,
        writer: true,
      });
    });

    test('no passport: 401 problem+json, PASSPORT_MISSING', async () => {
      const answer = await get(app.url, '/me');
      assertProblem(answer, 401, 'PASSPORT_MISSING', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_MISSING');
    });

    test('an expired passport: 401 PASSPORT_INVALID, the reason only in the log', async () => {
      const token = await mint({ now: () => new Date(NOW.getTime() - 3_600_000) });
      const answer = await get(app.url, '/me', token);
      assertProblem(answer, 401, 'PASSPORT_INVALID', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_EXPIRED');
      assert.doesNotMatch(answer.text, /expir/i);
      assert.equal(answer.text.includes(token.split('.')[1]), false);
    });

    test('a passport for another service: 401 PASSPORT_INVALID', async () => {
      const answer = await get(app.url, '/me', await mint({ audience: 'billing' }));
      assertProblem(answer, 401, 'PASSPORT_INVALID', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_WRONG_AUDIENCE');
      assert.doesNotMatch(answer.text, /audience|billing/i);
    });

    test('a tampered passport: 401 PASSPORT_INVALID', async () => {
      const token = await mint();
      const forged = replaceSegment(token, 1, { ...payloadOf(token), roles: ['admin'] });
      assertProblem(await get(app.url, '/admin', forged), 401, 'PASSPORT_INVALID', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_BAD_SIGNATURE');
    });

    test('two x-passport headers: 401, never one of them picked', async () => {
      const token = await mint();
      assertProblem(await get(app.url, '/me', [token, token]), 401, 'PASSPORT_INVALID', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_MALFORMED');
    });

    test('garbage and oversized passports: 401', async () => {
      assertProblem(await get(app.url, '/me', 'not-a-passport'), 401, 'PASSPORT_INVALID', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_MALFORMED');
      assertProblem(await get(app.url, '/me', 'a'.repeat(9000)), 401, 'PASSPORT_INVALID', INVALID);
      assert.equal(lastRefusal(), 'PASSPORT_TOO_LARGE');
    });

    test('requireScope: 403 FORBIDDEN_SCOPE without the scope, 200 with it', async () => {
      const reader = await mint({ scope: 'vocab:read' });
      assertProblem(
        await get(app.url, '/write', reader),
        403,
        'FORBIDDEN_SCOPE',
        'Passport error="insufficient_scope"',
      );
      assert.equal(lastRefusal(), 'FORBIDDEN_SCOPE', 'a guard refusal goes through the same onRefused hook');
      const writer = await mint({ scope: 'vocab:read vocab:write' });
      const answer = await get(app.url, '/write', writer);
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, { ok: true, sub: 'test-user' });
    });

    test('requireRole: 403 FORBIDDEN_ROLE without the role, 200 with it', async () => {
      assertProblem(await get(app.url, '/admin', await mint({ roles: ['editor'] })), 403, 'FORBIDDEN_ROLE', null);
      assert.equal(lastRefusal(), 'FORBIDDEN_ROLE');
      const answer = await get(app.url, '/admin', await mint({ roles: ['editor', 'admin'] }));
      assert.equal(answer.status, 200, answer.text);
    });

    test('requireKind: 403 FORBIDDEN_KIND for a user, 200 for a service', async () => {
      assertProblem(await get(app.url, '/workers', await mint()), 403, 'FORBIDDEN_KIND', null);
      assert.equal(lastRefusal(), 'FORBIDDEN_KIND');
      const service = await mint({ sub: 'svc:worker', kind: 'service', via: 'api_key', src: 'key:key_1' });
      assert.equal((await get(app.url, '/workers', service)).status, 200);
    });

    test('a guarded route still needs a passport first: 401, not 403', async () => {
      refusals.length = 0;
      assertProblem(await get(app.url, '/write'), 401, 'PASSPORT_MISSING', INVALID);
      assert.deepEqual(refusals, ['PASSPORT_MISSING'], 'reported once');
    });

    test('a public route answers without a passport', async () => {
      const answer = await get(app.url, '/healthz');
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, { ok: true });
    });

    test('keys unavailable (JWKS unreachable, nothing cached): 503 PASSPORT_KEYS_UNAVAILABLE', async () => {
      const answer = await get(unavailable.url, '/me', await mint());
      assertProblem(answer, 503, 'PASSPORT_KEYS_UNAVAILABLE', null);
      assert.equal(lastRefusal(), 'PASSPORT_KEYS_UNAVAILABLE');
    });

    test('a key that cannot be imported, a verifier that throws: 503 problem+json, no internals', async () => {
      for (const broken of [brokenKeys, faultyVerifier, throwingVerifier]) {
        refusals.length = 0;
        const answer = await get(broken.url, '/me', await mint());
        assertProblem(answer, 503, 'PASSPORT_KEYS_UNAVAILABLE', null);
        assert.deepEqual(refusals, ['PASSPORT_KEYS_UNAVAILABLE']);
        assert.doesNotMatch(answer.text, /keyData|ECONNREFUSED|db\.internal|stack/i);
      }
    });
  });
}
