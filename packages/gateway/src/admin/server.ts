// The admin listener (default 127.0.0.1:9090): /healthz (the process is up), /readyz (200 once every
// issuer's keys were fetched and the passport keys are loaded, else 503), /metrics (Prometheus) and
// the passport JWKS. Never exposed on the public listener.
import { type FastifyInstance, fastify } from 'fastify';
import { problemBody } from '../problem.ts';
import { requestIdOf } from '../request-id.ts';

export const PASSPORT_JWKS_PATH = '/.well-known/passport-jwks.json';

export interface AdminHandlers {
  ready(): boolean | Promise<boolean>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** the passport JWKS document (JSON text) */
  jwks(): string | Promise<string>;
}

// Buffers: Fastify appends "; charset=utf-8" to string payloads, the public listener does not.
export function createAdminServer(handlers: AdminHandlers): FastifyInstance {
  const app = fastify({ logger: false, genReqId: (req) => requestIdOf(req.headers['x-request-id']) });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (await handlers.ready()) return reply.send({ status: 'ready' });
    return reply
      .code(503)
      .header('content-type', 'application/problem+json')
      .send(Buffer.from(problemBody('NOT_READY', request.id)));
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await handlers.metrics();
    return reply.type(contentType).send(body);
  });
  app.get(PASSPORT_JWKS_PATH, async (_request, reply) =>
    reply
      .header('content-type', 'application/jwk-set+json')
      .header('cache-control', 'public, max-age=60')
      .send(Buffer.from(await handlers.jwks())),
  );
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .header('content-type', 'application/problem+json')
      .send(Buffer.from(problemBody('ROUTE_NOT_FOUND', request.id)));
  });
  return app;
}
