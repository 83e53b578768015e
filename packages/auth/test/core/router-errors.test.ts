// Errors Fastify raises before any route runs (a URL that does not decode, an over-long path parameter), no
// route at all, and a method a path does not have: each answers in the auth service's own format for the
// surface of the URL — problem+json with AUTH_* or API_* codes, or the HTML error page under the page paths —
// with generic text (never the URL, never Fastify's message) and the reason in the log only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type LogLine, startTestAuth, type TestAuth } from './harness.ts';

let t: TestAuth;

before(async () => {
  t = await startTestAuth({ embedded: true });
});

after(async () => {
  await t.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  log: LogLine | undefined;
}

async function send(method: string, path: string): Promise<Answer> {
  const seen = t.logs.length;
  const response = await fetch(`${t.base}${path}`, { method });
  const body = await response.text();
  const requestId = response.headers.get('x-request-id') ?? '';
  assert.match(requestId, /^req_/, `${method} ${path}: every answer carries the request id`);
  const log = t.logs.slice(seen).find((l) => l.reqId === requestId && l.msg === 'request refused');
  return { status: response.status, headers: response.headers, body, log };
}

/** A problem+json answer with the code, its generic title and the request id — and nothing from the URL. */
function assertProblem(answer: Answer, status: number, code: string, title: string, reason: string): void {
  assert.equal(answer.status, status);
  assert.equal(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.deepEqual(JSON.parse(answer.body), {
    type: `https://edgepass.dev/errors#${code.toLowerCase()}`,
    title,
    status,
    code,
    requestId: answer.headers.get('x-request-id'),
  });
  assert.equal(answer.log?.reason, reason, 'the reason is in the log');
  assert.equal(answer.log?.errorCode, code);
}

/** The HTML error page with the generic title, the security headers and the request id. */
function assertErrorPage(answer: Answer, status: number, title: string, reason: string): void {
  assert.equal(answer.status, status);
  assert.equal(answer.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.ok(answer.body.includes(title), answer.body);
  assert.ok(answer.body.includes(answer.headers.get('x-request-id') ?? '-'), 'the page shows the request id');
  assert.equal(answer.log?.reason, reason);
}

const LONG = 'a'.repeat(101);

describe('router-level errors answer in the service’s format, never Fastify’s', () => {
  test('400: a URL that does not decode', async () => {
    const answer = await send('GET', '/.well-known/%zz');
    assertProblem(answer, 400, 'AUTH_BAD_REQUEST', 'The request is not valid.', 'fst_err_bad_url');
    assert.doesNotMatch(answer.body, /%zz|FST_|valid url/);
    const api = await send('GET', '/api/keys/%zz');
    assertProblem(api, 400, 'API_BAD_REQUEST', 'The request is not valid.', 'fst_err_bad_url');
    assert.doesNotMatch(api.body, /%zz|FST_/);
    const admin = await send('DELETE', '/admin/api/keys/%E0%A4%A');
    assertProblem(admin, 400, 'API_BAD_REQUEST', 'The request is not valid.', 'fst_err_bad_url');
    const page = await send('GET', '/interaction/%zz');
    assertErrorPage(page, 400, 'The request is not valid.', 'fst_err_bad_url');
    assert.doesNotMatch(page.body, /%zz|FST_/);
  });

  test('414: a path parameter over 100 characters', async () => {
    const api = await send('GET', `/api/keys/${LONG}`);
    assertProblem(api, 414, 'API_URL_TOO_LONG', 'The URL is too long.', 'fst_err_max_param_length');
    assert.doesNotMatch(api.body, /aaaa|FST_/);
    const admin = await send('PUT', `/admin/api/users/${LONG}/plan`);
    assertProblem(admin, 414, 'API_URL_TOO_LONG', 'The URL is too long.', 'fst_err_max_param_length');
    const page = await send('GET', `/interaction/${LONG}`);
    assertErrorPage(page, 414, 'The URL is too long.', 'fst_err_max_param_length');
    assert.doesNotMatch(page.body, /aaaa|FST_/);
    // 100 characters are a parameter like any other: an unknown key id
    assertProblem(
      await send('GET', `/api/keys/${LONG.slice(1)}`),
      401,
      'API_INVALID_TOKEN',
      'The access token is missing or not valid.',
      'token_missing',
    );
  });

  test('404: no route', async () => {
    assertProblem(await send('GET', '/nothing-here'), 404, 'AUTH_NOT_FOUND', 'Not found.', 'route_not_found');
    assertProblem(await send('GET', '/.well-known/nothing'), 404, 'AUTH_NOT_FOUND', 'Not found.', 'route_not_found');
    assertProblem(await send('GET', '/api/nothing-here'), 404, 'API_NOT_FOUND', 'Not found.', 'no_route');
    assertErrorPage(await send('GET', '/logout/nothing-here'), 404, 'Not found.', 'route_not_found');
  });

  test('a method the path does not have: 404 like no route (Fastify never answers 405)', async () => {
    assertProblem(await send('DELETE', '/healthz'), 404, 'AUTH_NOT_FOUND', 'Not found.', 'route_not_found');
    assertProblem(await send('POST', '/.well-known/jwks.json'), 404, 'AUTH_NOT_FOUND', 'Not found.', 'route_not_found');
    assertProblem(await send('PATCH', '/api/me'), 404, 'API_NOT_FOUND', 'Not found.', 'no_route');
    assertProblem(await send('PUT', '/admin/api/keys'), 404, 'API_NOT_FOUND', 'Not found.', 'no_route');
    assertErrorPage(await send('DELETE', '/logout'), 404, 'Not found.', 'route_not_found');
  });
});
