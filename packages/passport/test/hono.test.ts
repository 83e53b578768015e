import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { type PassportEnv, passport, requireKind, requireRole, requireScope } from '../src/adapters/hono.ts';
import { identityJson, listen, runAdapterSuite } from './support/adapter-suite.ts';

runAdapterSuite('hono', async (verifier, onRefused) => {
  const app = new Hono<PassportEnv>();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('*', passport({ verifier, onRefused: (error) => onRefused(error) }));
  app.get('/me', (c) => c.json(identityJson(c.get('identity'))));
  app.get('/write', requireScope('vocab:write'), (c) => c.json({ ok: true, sub: c.get('identity').sub }));
  app.get('/admin', requireRole('admin'), (c) => c.json({ ok: true }));
  app.get('/workers', requireKind('service'), (c) => c.json({ ok: true }));
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
});
