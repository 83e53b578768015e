import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { createAuthenticator, requireKind, requireRole, requireScope, sendProblem } from '../src/adapters/node.ts';
import { PassportError } from '../src/errors.ts';
import type { Identity } from '../src/identity.ts';
import { identityJson, listen, runAdapterSuite } from './support/adapter-suite.ts';

const GUARDS: Record<string, (identity: Identity) => unknown> = {
  '/me': (identity) => identityJson(identity),
  '/write': (identity) => ({ ok: true, sub: requireScope(identity, 'vocab:write').sub }),
  '/admin': (identity) => ({ ok: requireRole(identity, 'admin') === identity }),
  '/workers': (identity) => ({ ok: requireKind(identity, 'service') === identity }),
};

runAdapterSuite('node:http', async (verifier, onRefused) => {
  const authenticate = createAuthenticator(verifier);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    try {
      const identity = await authenticate(req);
      const handler = GUARDS[path];
      const body = handler === undefined ? { missing: path } : handler(identity);
      res
        .writeHead(handler === undefined ? 404 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify(body));
    } catch (error) {
      if (error instanceof PassportError) onRefused(error);
      sendProblem(res, error);
    }
  });
  return listen(server);
});

test('node: sendProblem answers an unexpected error with a bare 500 that leaks nothing', async () => {
  const server = createServer((_req, res) => sendProblem(res, new Error('database password is hunter2')));
  const app = await listen(server);
  const res = await fetch(`${app.url}/`);
  const text = await res.text();
  assert.equal(res.status, 500);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual(JSON.parse(text), {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: 'The request could not be processed.',
  });
  await app.close();
});

test('node: guards throw PASSPORT_MISSING without an identity and TypeError when misused', () => {
  assert.throws(
    () => requireScope(undefined, 'a'),
    (e: unknown) => e instanceof PassportError && e.code === 'PASSPORT_MISSING',
  );
  assert.throws(() => requireScope(undefined), TypeError);
  assert.throws(() => requireRole(undefined, ''), TypeError);
  assert.throws(() => requireKind(undefined, 'robot' as 'user'), TypeError);
});
