import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { fastifyPassport, optionalIdentity, requireKind, requireRole, requireScope } from '../src/adapters/fastify.ts';
import { createTestPassportIssuer, type TestPassportIssuer } from '../src/testing.ts';
import { identityJson, listen, runAdapterSuite } from './support/adapter-suite.ts';
import { fixedClock } from './support/craft.ts';

/** The issuer's verifier options on the suite's fixed clock (passports are minted with `now: fixedClock`). */
const fixedVerifier = (issuer: TestPassportIssuer) => ({ ...issuer.verifierOptions(), now: fixedClock });

runAdapterSuite('fastify', async (verifier, onRefused) => {
  const app = Fastify();
  await app.register(fastifyPassport, { verifier, publicRoutes: ['/healthz'], onRefused });
  app.get('/me', async (request) => identityJson(request.identity));
  app.get('/write', { preHandler: requireScope('vocab:write') }, async (request) => ({
    ok: true,
    sub: request.identity.sub,
  }));
  app.get('/admin', { preHandler: requireRole('admin') }, async () => ({ ok: true }));
  app.get('/workers', { preHandler: requireKind('service') }, async () => ({ ok: true }));
  app.get('/healthz', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return listen(app.server);
});

test('fastify: refusals are logged through request.log with the reason code and never the passport', async () => {
  const issuer = await createTestPassportIssuer({ issuer: 'gw-test' });
  const lines: string[] = [];
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } });
  await app.register(fastifyPassport, { verifier: fixedVerifier(issuer) });
  app.get('/me', async (request) => ({ sub: request.identity.sub }));
  const token = await issuer.mint({ audience: 'billing', now: fixedClock });
  const res = await app.inject({ url: '/me', headers: { 'x-passport': token } });
  assert.equal(res.statusCode, 401);
  const refusal = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'passport refused');
  assert.equal(refusal?.reason, 'PASSPORT_WRONG_AUDIENCE');
  assert.equal(refusal?.claim, 'aud');
  assert.equal(refusal?.status, 401);
  assert.equal(lines.join('\n').includes(token.split('.')[2]), false, 'the passport never reaches the log');
  await app.close();
});

test('fastify: reading request.identity on a public route throws; optionalIdentity returns undefined', async () => {
  const issuer = await createTestPassportIssuer();
  const app = Fastify();
  await app.register(fastifyPassport, { verifier: fixedVerifier(issuer), publicRoutes: ['/open', '/peek'] });
  app.get('/open', async (request) => ({ sub: request.identity.sub }));
  app.get('/peek', async (request) => ({ present: optionalIdentity(request) !== undefined }));
  const open = await app.inject({ url: '/open' });
  assert.equal(open.statusCode, 401);
  assert.equal(open.json().code, 'PASSPORT_MISSING');
  assert.deepEqual((await app.inject({ url: '/peek' })).json(), { present: false });
  await app.close();
});

test('fastify: unmatched routes are not public (404s need a passport too)', async () => {
  const issuer = await createTestPassportIssuer();
  const app = Fastify();
  await app.register(fastifyPassport, { verifier: fixedVerifier(issuer), publicRoutes: ['/healthz'] });
  app.get('/healthz', async () => ({ ok: true }));
  assert.equal((await app.inject({ url: '/nowhere' })).statusCode, 401);
  const passport = await issuer.mint({ now: fixedClock });
  assert.equal((await app.inject({ url: '/nowhere', headers: { 'x-passport': passport } })).statusCode, 404);
  await app.close();
});

test('fastify: routes registered before the plugin and inside child plugins are protected too', async () => {
  const issuer = await createTestPassportIssuer();
  const app = Fastify();
  app.get('/early', async () => ({ ok: true }));
  await app.register(fastifyPassport, { verifier: fixedVerifier(issuer) });
  await app.register(async (child) => {
    child.get('/child', async (request) => ({ sub: request.identity.sub }));
  });
  assert.equal((await app.inject({ url: '/early' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/child' })).statusCode, 401);
  const child = await app.inject({ url: '/child', headers: { 'x-passport': await issuer.mint({ now: fixedClock }) } });
  assert.deepEqual(child.json(), { sub: 'test-user' });
  await app.close();
});

test("fastify: the plugin sets no error handler; the application's own errors reach its handler untouched", async () => {
  const issuer = await createTestPassportIssuer();
  // With overriding disallowed, setErrorHandler throws if the plugin had set one in the same (root) scope.
  const app = Fastify({ allowErrorHandlerOverride: false });
  await app.register(fastifyPassport, { verifier: fixedVerifier(issuer) });
  const thrown = new Error('the database is down');
  let handled: unknown;
  app.setErrorHandler((error, _request, reply) => {
    handled = error;
    return reply.code(500).type('application/problem+json').send({ status: 500, title: 'app' });
  });
  app.get('/boom', async () => {
    throw thrown;
  });
  const res = await app.inject({ url: '/boom', headers: { 'x-passport': await issuer.mint({ now: fixedClock }) } });
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), { status: 500, title: 'app' });
  assert.equal(handled, thrown);
  const refused = await app.inject({ url: '/boom' });
  assert.equal(refused.statusCode, 401, 'refusals are answered by the plugin, not the error handler');
  assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
  assert.equal(refused.json().code, 'PASSPORT_MISSING');
  await app.close();
});
