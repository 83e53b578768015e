import { createServer } from 'node:http';
import express from 'express';
import { passport, requireKind, requireRole, requireScope } from '../src/adapters/express.ts';
import { identityJson, listen, runAdapterSuite } from './support/adapter-suite.ts';

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
