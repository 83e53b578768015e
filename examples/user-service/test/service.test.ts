// The user service over real HTTP on 127.0.0.1:0, with passports from @edgepass/passport/testing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPassportIssuer, type TestPassportIssuer } from '@edgepass/passport/testing';
import { createSignupStore, jsonLinesLogger, startUserService } from '../src/index.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const now = () => NOW;
const ISSUER = 'gw-test';
const AUDIENCE = 'user-service';

type Overrides = Parameters<TestPassportIssuer['mint']>[0];

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

describe('user-service', () => {
  let issuer: TestPassportIssuer;
  let url: string;
  let close: () => Promise<void>;
  const logs: LogLine[] = [];
  const mint = (overrides: Overrides = {}) => issuer.mint({ audience: AUDIENCE, now, ...overrides });
  const anonymous = () => mint({ sub: 'anon-1', kind: 'anonymous', via: 'anonymous', src: 'anonymous' });
  const worker = (overrides: Overrides = {}) =>
    mint({
      sub: 'svc:signup-worker',
      kind: 'service',
      via: 'api_key',
      scope: 'signup:manage',
      src: 'key:k1',
      ...overrides,
    });

  before(async () => {
    issuer = await createTestPassportIssuer({ issuer: ISSUER });
    // audience left out on purpose: the service's own name is the default
    const { audience: _audience, ...verifierOptions } = issuer.verifierOptions('unused');
    const service = await startUserService({
      passport: { ...verifierOptions, now },
      logger: jsonLinesLogger((line) => logs.push(JSON.parse(line))),
      signups: createSignupStore({ now }),
    });
    url = service.url;
    close = service.close;
  });
  after(() => close());

  function call(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
    return fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { 'x-passport': token } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  }

  async function problemOf(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
    assert.equal(res.status, status, `${res.status} ${code}`);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.code, code);
    assert.equal(body.status, status);
    return body;
  }

  async function signUp(email = 'ada@example.com'): Promise<string> {
    const res = await call('POST', '/signup', await anonymous(), { email, name: 'Ada' });
    assert.equal(res.status, 202);
    return ((await res.json()) as { signupId: string }).signupId;
  }

  it('GET /health is public', async () => {
    const res = await call('GET', '/health');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', service: 'user-service' });
  });

  describe('POST /signup', () => {
    it('accepts an anonymous passport and creates a pending signup', async () => {
      const res = await call('POST', '/signup', await anonymous(), { email: 'Ada@Example.com', name: ' Ada ' });
      assert.equal(res.status, 202);
      const body = (await res.json()) as { signupId: string; status: string };
      assert.equal(body.status, 'pending');
      assert.match(body.signupId, /^sgn_[A-Za-z0-9_-]{22}$/);
      const read = await call('GET', `/signups/${body.signupId}`, await worker());
      assert.deepEqual(await read.json(), {
        signupId: body.signupId,
        email: 'Ada@example.com',
        name: 'Ada',
        status: 'pending',
        requestedBy: 'anon-1',
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
    });

    it('accepts a signed-in user too', async () => {
      const res = await call('POST', '/signup', await mint({ sub: 'user-9' }), { email: 'u@example.com', name: 'U' });
      assert.equal(res.status, 202);
    });

    it('refuses a request without a passport before reading its body', async () => {
      const res = await call('POST', '/signup', undefined, '{ not json');
      await problemOf(res, 401, 'PASSPORT_MISSING');
      assert.equal(res.headers.get('www-authenticate'), 'Passport error="invalid_passport"');
    });

    it('refuses an anonymous passport minted for another service', async () => {
      const token = await mint({
        audience: 'vocabulary-service',
        kind: 'anonymous',
        via: 'anonymous',
        src: 'anonymous',
      });
      await problemOf(
        await call('POST', '/signup', token, { email: 'a@example.com', name: 'A' }),
        401,
        'PASSPORT_INVALID',
      );
    });

    it('validates the body: 400 naming the field, 400 for broken JSON, 413 for a huge body', async () => {
      const token = await anonymous();
      const bad = await problemOf(
        await call('POST', '/signup', token, { email: 'nope', name: 'A' }),
        400,
        'SIGNUP_INVALID_REQUEST',
      );
      assert.equal(bad.field, 'email');
      const noName = await problemOf(
        await call('POST', '/signup', token, { email: 'a@example.com' }),
        400,
        'SIGNUP_INVALID_REQUEST',
      );
      assert.equal(noName.field, 'name');
      await problemOf(await call('POST', '/signup', token, '{"email":'), 400, 'SIGNUP_INVALID_REQUEST');
      await problemOf(
        await call('POST', '/signup', token, { email: 'a@example.com', name: 'x'.repeat(20_000) }),
        413,
        'SIGNUP_BODY_TOO_LARGE',
      );
      const notJson = await call('POST', '/signup', token, 'email=a@example.com', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal((await problemOf(notJson, 400, 'SIGNUP_INVALID_REQUEST')).field, 'body');
    });
  });

  describe('activateUser / markSignupFailed / GET: only the signup worker', () => {
    const endpoints = [
      ['POST', 'activate'],
      ['POST', 'fail'],
      ['GET', ''],
    ] as const;
    const pathOf = (id: string, action: string) => `/signups/${id}${action ? `/${action}` : ''}`;
    const refusals: [string, () => Promise<string | undefined>, number, string][] = [
      ['no passport', async () => undefined, 401, 'PASSPORT_MISSING'],
      ['an anonymous passport', () => anonymous(), 403, 'FORBIDDEN_KIND'],
      ['a user passport, even with signup:manage', () => mint({ scope: 'signup:manage' }), 403, 'FORBIDDEN_KIND'],
      ['a service passport without signup:manage', () => worker({ scope: 'signup:read' }), 403, 'FORBIDDEN_SCOPE'],
      [
        'a worker passport for another service',
        () => worker({ audience: 'vocabulary-service' }),
        401,
        'PASSPORT_INVALID',
      ],
      [
        'an expired worker passport',
        () => worker({ now: () => new Date(NOW.getTime() - 120_000) }),
        401,
        'PASSPORT_INVALID',
      ],
      ['a worker passport from another issuer', () => worker({ issuer: 'evil-gateway' }), 401, 'PASSPORT_INVALID'],
      [
        'a worker passport signed by an unknown key',
        async () =>
          (await createTestPassportIssuer({ issuer: ISSUER })).mint({
            audience: AUDIENCE,
            now,
            kind: 'service',
            via: 'api_key',
            scope: 'signup:manage',
            src: 'key:x',
          }),
        401,
        'PASSPORT_INVALID',
      ],
      [
        'an anonymous passport edited to look like the worker',
        async () => {
          const [h, p, s] = (await anonymous()).split('.');
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
          const forged = { ...claims, kind: 'service', via: 'api_key', scope: 'signup:manage' };
          return [h, Buffer.from(JSON.stringify(forged)).toString('base64url'), s].join('.');
        },
        401,
        'PASSPORT_INVALID',
      ],
    ];

    for (const [name, make, status, code] of refusals) {
      it(`refuses ${name} with ${status} ${code} on every worker endpoint, and changes nothing`, async () => {
        const id = await signUp();
        const token = await make();
        for (const [method, action] of endpoints) {
          const body = action === 'fail' ? { reason: 'bounced' } : method === 'POST' ? {} : undefined;
          const res = await call(method, pathOf(id, action), token, body);
          await problemOf(res, status, code);
          if (code === 'FORBIDDEN_SCOPE') {
            assert.equal(res.headers.get('www-authenticate'), 'Passport error="insufficient_scope"');
          }
        }
        const read = await call('GET', pathOf(id, ''), await worker());
        assert.equal(((await read.json()) as { status: string }).status, 'pending');
      });
    }
  });

  describe('the signup state machine', () => {
    /** activateUser or markSignupFailed as the worker; the answer's JSON body */
    async function decide(id: string, action: 'activate' | 'fail', status: number, reason = 'bounced') {
      const res = await call('POST', `/signups/${id}/${action}`, await worker(), action === 'fail' ? { reason } : {});
      assert.equal(res.status, status);
      assert.equal(
        res.headers.get('content-type')?.split(';')[0],
        status === 200 ? 'application/json' : 'application/problem+json',
      );
      return (await res.json()) as Record<string, unknown>;
    }

    it('pending → active; then neither activate nor fail again (409)', async () => {
      const id = await signUp('bob@example.com');
      const body = await decide(id, 'activate', 200);
      assert.equal(body.status, 'active');
      assert.equal(body.decidedBy, 'svc:signup-worker');
      assert.deepEqual(
        [await decide(id, 'activate', 409), await decide(id, 'fail', 409)].map((p) => [p.code, p.signupStatus]),
        [
          ['SIGNUP_CONFLICT', 'active'],
          ['SIGNUP_CONFLICT', 'active'],
        ],
      );
    });

    it('pending → failed with a reason; then activate is a conflict', async () => {
      const id = await signUp('eve@example.com');
      const body = await decide(id, 'fail', 200, 'mailbox does not exist');
      assert.equal(body.status, 'failed');
      assert.equal(body.failureReason, 'mailbox does not exist');
      const conflict = await decide(id, 'activate', 409);
      assert.deepEqual([conflict.code, conflict.signupStatus], ['SIGNUP_CONFLICT', 'failed']);
    });

    it('markSignupFailed needs a reason', async () => {
      const id = await signUp();
      const res = await call('POST', `/signups/${id}/fail`, await worker(), {});
      assert.equal((await problemOf(res, 400, 'SIGNUP_INVALID_REQUEST')).field, 'reason');
      const read = await call('GET', `/signups/${id}`, await worker());
      assert.equal(((await read.json()) as { status: string }).status, 'pending');
    });

    it('an unknown signup is 404 for the worker', async () => {
      await problemOf(await call('POST', '/signups/sgn_nope/activate', await worker(), {}), 404, 'SIGNUP_NOT_FOUND');
      await problemOf(
        await call('POST', '/signups/sgn_nope/fail', await worker(), { reason: 'x' }),
        404,
        'SIGNUP_NOT_FOUND',
      );
      await problemOf(await call('GET', '/signups/sgn_nope', await worker()), 404, 'SIGNUP_NOT_FOUND');
    });

    it('an unknown route is 404 with a passport, 401 without', async () => {
      await problemOf(await call('GET', '/users', await worker()), 404, 'SIGNUP_NOT_FOUND');
      await problemOf(await call('GET', '/users'), 401, 'PASSPORT_MISSING');
    });
  });

  it('logs each request with the caller and every refusal with its reason, never a passport', async () => {
    const token = await worker({ sub: 'svc:logged' });
    await call('GET', '/signups/sgn_logged', token);
    // the access line is written on the response's 'finish', which may come just after the client has it
    const deadline = Date.now() + 5000;
    let line = logs.find((l) => l.msg === 'request' && l.sub === 'svc:logged');
    while (!line && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      line = logs.find((l) => l.msg === 'request' && l.sub === 'svc:logged');
    }
    assert.equal(line?.kind, 'service');
    assert.equal(line?.via, 'api_key');
    assert.equal(line?.status, 404);
    assert.equal(line?.path, '/signups/sgn_logged');
    const refusedToken = await worker({ audience: 'billing' });
    await call('GET', '/signups/x', refusedToken);
    assert.ok(
      logs.some((l) => l.msg === 'passport refused' && l.reason === 'PASSPORT_WRONG_AUDIENCE' && l.claim === 'aud'),
    );
    const all = JSON.stringify(logs);
    for (const t of [token, refusedToken]) assert.equal(all.includes(t.split('.')[2]), false);
  });
});
