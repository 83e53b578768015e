// Input validation: strict bodies and queries, bounded lengths, malformed JSON, wrong media types and
// oversized bodies all answer 400/413/415 problem+json naming only the field path, never the value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectProblem, type Harness, startHarness, userWithToken } from './harness.ts';

describe('JSON API input validation', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness();
    token = (await userWithToken(h)).token;
  });
  after(async () => {
    await h.close();
  });

  test('malformed JSON → 400 API_BAD_REQUEST', async () => {
    const res = await h.request('POST', '/api/keys', {
      token,
      rawBody: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    const problem = expectProblem(res, 400, 'API_BAD_REQUEST');
    assert.equal(problem.errors, undefined);
    assert.match(h.logs.join(''), /"reason":"fst_err_ctp_invalid_json_body"/);
  });

  test('unknown fields → 400 with their JSON pointers; the submitted values are not echoed', async () => {
    const secret = 'ep_live_THIS-IS-A-SECRET-VALUE-THAT-MUST-NOT-BE-ECHOED';
    const res = await h.request('POST', '/api/keys', { token, body: { name: 'ok', hash: secret, 'a/b~c': 1 } });
    const problem = expectProblem(res, 400, 'API_VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [
      { in: 'body', pointer: '/hash', code: 'unrecognized_key' },
      { in: 'body', pointer: '/a~1b~0c', code: 'unrecognized_key' },
    ]);
    assert.ok(!res.text.includes(secret));
    assert.ok(!h.logs.join('').includes(secret));
  });

  test('wrong types, bounds and formats name each field', async () => {
    const secret = 'sk-not-a-date-but-a-secret';
    const res = await h.request('POST', '/api/keys', {
      token,
      body: {
        name: 'x'.repeat(101),
        scopes: ['ok', 'has space'],
        rateLimitPerMinute: 0,
        expiresAt: secret,
      },
    });
    const problem = expectProblem(res, 400, 'API_VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [
      { in: 'body', pointer: '/name', code: 'too_big' },
      { in: 'body', pointer: '/scopes/1', code: 'invalid_format' },
      { in: 'body', pointer: '/expiresAt', code: 'invalid_format' },
      { in: 'body', pointer: '/rateLimitPerMinute', code: 'too_small' },
    ]);
    assert.ok(!res.text.includes(secret));
    const many = await h.request('POST', '/api/keys', {
      token,
      body: { scopes: Array.from({ length: 33 }, (_, i) => `s${i}`) },
    });
    assert.deepEqual(expectProblem(many, 400, 'API_VALIDATION_FAILED').errors, [
      { in: 'body', pointer: '/scopes', code: 'too_big' },
    ]);
  });

  test('a missing or non-object body → 400; an empty PATCH → 400', async () => {
    for (const rawBody of ['[]', '"x"', 'null']) {
      const res = await h.request('POST', '/api/keys', {
        token,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      assert.deepEqual(expectProblem(res, 400, 'API_VALIDATION_FAILED').errors, [
        { in: 'body', pointer: '', code: 'invalid_type' },
      ]);
    }
    expectProblem(await h.request('POST', '/api/keys', { token }), 400, 'API_VALIDATION_FAILED');
    const created = await h.request('POST', '/api/keys', { token, body: {} });
    assert.equal(created.status, 201);
    const id = (created.body as { apiKey: { id: string } }).apiKey.id;
    assert.deepEqual(
      expectProblem(await h.request('PATCH', `/api/keys/${id}`, { token, body: {} }), 400, 'API_VALIDATION_FAILED')
        .errors,
      [{ in: 'body', pointer: '', code: 'custom' }],
    );
  });

  test('non-JSON media types → 415; bodies over 16 KiB → 413', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await h.request('POST', '/api/keys', { token, rawBody: 'name=x', headers: { 'content-type': type } });
      expectProblem(res, 415, 'API_UNSUPPORTED_MEDIA_TYPE');
    }
    const big = await h.request('POST', '/api/keys', { token, body: { name: 'x'.repeat(17 * 1024) } });
    expectProblem(big, 413, 'API_PAYLOAD_TOO_LARGE');
  });

  test('query strings are strict and bounded', async () => {
    const cases: [string, { in: string; pointer: string; code: string }[]][] = [
      ['/api/keys?limit=0', [{ in: 'query', pointer: '/limit', code: 'too_small' }]],
      ['/api/keys?limit=201', [{ in: 'query', pointer: '/limit', code: 'too_big' }]],
      ['/api/keys?owner=usr_x', [{ in: 'query', pointer: '/owner', code: 'unrecognized_key' }]],
      ['/api/usage?from=2030-01-01', [{ in: 'query', pointer: '/to', code: 'invalid_type' }]],
      ['/api/usage?from=2030-01-02&to=2030-01-01', [{ in: 'query', pointer: '/to', code: 'custom' }]],
      ['/api/usage?from=2030-01-01&to=2031-01-02', [{ in: 'query', pointer: '/to', code: 'too_big' }]],
      ['/api/usage?from=2030-13-01&to=2030-12-01', [{ in: 'query', pointer: '/from', code: 'invalid_format' }]],
    ];
    for (const [path, errors] of cases) {
      assert.deepEqual(
        expectProblem(await h.request('GET', path, { token }), 400, 'API_VALIDATION_FAILED').errors,
        errors,
        path,
      );
    }
  });

  test('a malformed key id and an unknown path answer 404 problem+json', async () => {
    expectProblem(await h.request('GET', '/api/keys/not-a-key-id', { token }), 404, 'API_NOT_FOUND');
    expectProblem(await h.request('GET', `/api/keys/key_${'A'.repeat(90)}`, { token }), 404, 'API_NOT_FOUND');
    expectProblem(await h.request('GET', '/api/nothing-here', { token }), 404, 'API_NOT_FOUND');
    expectProblem(await h.request('GET', '/admin/api/nothing-here'), 404, 'API_NOT_FOUND');
  });
});
