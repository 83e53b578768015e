import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import { passport, requireKind, requireRole, requireScope } from '../src/adapters/express.ts';
import { createTestPassportIssuer } from '../src/testing.ts';
import { identityJson, listen, runAdapterSuite } from './support/adapter-suite.ts';
import { fixedClock } from './support/craft.ts';

runAdapterSuite('express', async (verifier, onRefused) => {
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(passport({ verifier, onRefused: (error) => onRefused(error) }));
  app.get('/me', (req, res) => {
    res.json(req.identity === undefined ? null : identityJson(req.identity));
  });
  app.get('/write', requireScope('vocab:write'), (req, res) => {
    res.json({ ok: true, sub: req.identity?.sub });
  });
  app.get('/admin', requireRole('admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/workers', requireKind('service'), (_req, res) => {
    res.json({ ok: true });
  });
  return listen(createServer(app));
});

test("express: the application's own errors go to its error middleware; refusals never do", async () => {
  const issuer = await createTestPassportIssuer();
  const app = express();
  const thrown = new Error('the database is down');
  const handled: unknown[] = [];
  app.use(passport({ verifier: { ...issuer.verifierOptions(), now: fixedClock } }));
  app.get('/boom', () => {
    throw thrown;
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    handled.push(error);
    res.status(500).json({ title: 'app' });
  });
  const running = await listen(createServer(app));
  const passportHeader = { 'x-passport': await issuer.mint({ now: fixedClock }) };
  const boom = await fetch(`${running.url}/boom`, { headers: passportHeader });
  assert.equal(boom.status, 500);
  assert.deepEqual(await boom.json(), { title: 'app' });
  const refused = await fetch(`${running.url}/boom`);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  assert.deepEqual(handled, [thrown]);
  await running.close();
});
