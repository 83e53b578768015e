import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSignupStore, parseFailure, parseSignupRequest } from './signups.ts';

function fixedStore() {
  let tick = 0;
  let n = 0;
  return createSignupStore({
    now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)),
    newId: () => `sgn_test${++n}`,
  });
}

describe('signup store', () => {
  it('creates a pending signup with the requester and timestamps', () => {
    const store = fixedStore();
    const signup = store.create({ email: 'ada@example.com', name: 'Ada' }, 'anon-1');
    assert.deepEqual(signup, {
      id: 'sgn_test1',
      email: 'ada@example.com',
      name: 'Ada',
      status: 'pending',
      requestedBy: 'anon-1',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    assert.equal(store.get('sgn_test1'), signup);
    assert.ok(Object.isFrozen(signup));
  });

  it('activates a pending signup once; any second transition is a conflict', () => {
    const store = fixedStore();
    const { id } = store.create({ email: 'a@example.com', name: 'A' }, 'anon');
    const activated = store.activate(id, 'svc:worker');
    assert.equal(activated.ok, true);
    assert.equal(activated.ok && activated.signup.status, 'active');
    assert.equal(activated.ok && activated.signup.decidedBy, 'svc:worker');
    assert.equal(activated.ok && activated.signup.updatedAt, '2025-01-01T00:00:01.000Z');
    assert.deepEqual(store.activate(id, 'svc:worker'), { ok: false, error: 'conflict', status: 'active' });
    assert.deepEqual(store.fail(id, 'svc:worker', 'late'), { ok: false, error: 'conflict', status: 'active' });
    assert.equal(store.get(id)?.status, 'active');
  });

  it('fails a pending signup with its reason; failed is final too', () => {
    const store = fixedStore();
    const { id } = store.create({ email: 'a@example.com', name: 'A' }, 'anon');
    const failed = store.fail(id, 'svc:worker', 'mailbox does not exist');
    assert.equal(failed.ok && failed.signup.failureReason, 'mailbox does not exist');
    assert.deepEqual(store.activate(id, 'svc:worker'), { ok: false, error: 'conflict', status: 'failed' });
  });

  it('reports an unknown id', () => {
    const store = fixedStore();
    assert.deepEqual(store.activate('sgn_nope', 's'), { ok: false, error: 'not_found' });
    assert.deepEqual(store.fail('sgn_nope', 's', 'r'), { ok: false, error: 'not_found' });
    assert.equal(store.get('sgn_nope'), undefined);
  });

  it('gives unguessable default ids', () => {
    const store = createSignupStore();
    const a = store.create({ email: 'a@example.com', name: 'A' }, 'x').id;
    const b = store.create({ email: 'a@example.com', name: 'A' }, 'x').id;
    assert.match(a, /^sgn_[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a, b);
  });
});

describe('request validation', () => {
  it('accepts an email and a name, trims the name and lower-cases the domain', () => {
    assert.deepEqual(parseSignupRequest({ email: 'Ada.L@Example.COM', name: '  Ada Lovelace ' }), {
      ok: true,
      value: { email: 'Ada.L@example.com', name: 'Ada Lovelace' },
    });
  });

  it('names the first bad field', () => {
    const cases: [unknown, string][] = [
      [null, 'body'],
      [[], 'body'],
      [{ name: 'A' }, 'email'],
      [{ email: 'no-at-sign', name: 'A' }, 'email'],
      [{ email: 'a b@example.com', name: 'A' }, 'email'],
      [{ email: `${'a'.repeat(250)}@example.com`, name: 'A' }, 'email'],
      [{ email: 'a@example.com' }, 'name'],
      [{ email: 'a@example.com', name: '   ' }, 'name'],
      [{ email: 'a@example.com', name: 'x'.repeat(101) }, 'name'],
      [{ email: 'a@example.com', name: 'bell\u0007' }, 'name'],
    ];
    for (const [body, field] of cases) assert.deepEqual(parseSignupRequest(body), { ok: false, field }, field);
  });

  it('parses a failure reason', () => {
    assert.deepEqual(parseFailure({ reason: ' bounced ' }), { ok: true, value: 'bounced' });
    assert.deepEqual(parseFailure({}), { ok: false, field: 'reason' });
    assert.deepEqual(parseFailure({ reason: '' }), { ok: false, field: 'reason' });
    assert.deepEqual(parseFailure({ reason: 'r'.repeat(501) }), { ok: false, field: 'reason' });
  });
});
