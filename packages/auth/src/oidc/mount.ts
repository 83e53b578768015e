// Mounts oidc-provider (a Koa app) into Fastify: its paths are routes in an encapsulated scope whose only
// content-type parser leaves the body stream untouched (oidc-provider reads it itself), and the handler
// hands the raw request/response to the current provider instance (reply.hijack()).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../errors.ts';
import { sendProblem } from '../problem.ts';
import type { ProviderHolder } from './provider-holder.ts';

const WELL_KNOWN = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];

export async function mountProvider(app: FastifyInstance, holder: ProviderHolder): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!holder.ready) {
        return sendProblem(reply, new AuthError('AUTH_UNAVAILABLE', { reason: 'provider_not_ready' }), request.id);
      }
      request.raw.headers['x-request-id'] = request.id;
      reply.raw.setHeader('x-request-id', request.id);
      reply.hijack();
      await holder.handler(request.raw, reply.raw);
    };

    scope.all('/oauth/*', forward);
    for (const url of WELL_KNOWN) scope.route({ method: ['GET', 'OPTIONS'], url, handler: forward });
  });
}
