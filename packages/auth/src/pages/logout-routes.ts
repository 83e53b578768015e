// Logout: GET /logout asks for confirmation (a form with a CSRF token bound to the browser's session),
// POST /logout ends everything that session authorised:
//   - the gateways' browser session (sessions.revoked_at, `session.revoked` event),
//   - oidc-provider's session and every grant created in either session (refresh tokens, codes, grants),
//   - the live JWT access tokens issued under those grants (jti denylisted until exp, `token.revoked`).
// Optional ?client_id=…&post_logout_redirect_uri=… redirects afterwards when the URI is registered for
// that client (exact match); otherwise a "signed out" page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../errors.ts';
import { OIDC_COOKIES } from '../oidc/provider.ts';
import type { AuthRuntime } from '../runtime.ts';
import { hashSessionValue } from '../sessions/browser-sessions.ts';
import { field } from './interaction-routes.ts';
import { sendPage } from './respond.ts';
import { logoutView, signedOutView } from './views.ts';

type Body = Record<string, unknown> | undefined;
type Query = { client_id?: string; post_logout_redirect_uri?: string };

export function registerLogoutRoutes(app: FastifyInstance, rt: AuthRuntime): void {
  const sessionCookie = rt.config.cookies.session;

  /** What the CSRF token is bound to: the browser session, else oidc-provider's session cookie. */
  function binding(request: FastifyRequest): string | undefined {
    const ours = request.cookies[sessionCookie];
    if (ours) return `ep:${hashSessionValue(ours)}`;
    const theirs = request.cookies[OIDC_COOKIES.session];
    return theirs ? `op:${theirs}` : undefined;
  }

  async function redirectTarget(clientId: string, uri: string): Promise<string | undefined> {
    if (!clientId || !uri) return undefined;
    const client = await rt.clients.find(clientId);
    return client?.postLogoutRedirectUris.includes(uri) ? uri : undefined;
  }

  async function done(reply: FastifyReply, clientId: string, uri: string): Promise<FastifyReply> {
    const target = await redirectTarget(clientId, uri);
    return target ? reply.redirect(target, 303) : sendPage(reply, 200, 'Signed out', signedOutView());
  }

  app.get<{ Querystring: Query }>('/logout', async (request, reply) => {
    const bound = binding(request);
    const clientId = request.query.client_id ?? '';
    const uri = request.query.post_logout_redirect_uri ?? '';
    if (!bound) return await done(reply, clientId, uri);
    const target = await redirectTarget(clientId, uri);
    return sendPage(
      reply,
      200,
      'Sign out',
      logoutView(rt.csrf.token('logout', bound), target ? { clientId, uri } : undefined),
    );
  });

  app.post<{ Body: Body }>('/logout', async (request, reply) => {
    const bound = binding(request);
    const clientId = field(request.body, 'client_id', 200);
    const uri = field(request.body, 'post_logout_redirect_uri', 2000);
    if (!bound) return await done(reply, clientId, uri);
    if (!rt.csrf.verify('logout', bound, request.body?.csrf))
      throw new AuthError('AUTH_CSRF_FAILED', { reason: 'csrf_token_invalid' });

    const grantIds = new Set<string>();
    const cookie = request.cookies[sessionCookie];
    const revoked = cookie ? await rt.sessions.revoke(cookie) : undefined;
    for (const id of revoked?.grantIds ?? []) grantIds.add(id);

    const oidcSession = await rt.provider().Session.get({ req: request.raw, res: reply.raw });
    if (oidcSession.accountId) {
      for (const auth of Object.values(oidcSession.authorizations ?? {})) if (auth.grantId) grantIds.add(auth.grantId);
      await oidcSession.destroy();
    }
    const denied = await rt.revokeGrants(grantIds);
    request.log.info(
      {
        reason: 'logout',
        userId: revoked?.userId ?? oidcSession.accountId,
        grants: grantIds.size,
        deniedAccessTokens: denied,
      },
      'signed out',
    );
    for (const name of [sessionCookie, OIDC_COOKIES.session, `${OIDC_COOKIES.session}.sig`]) {
      reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure: rt.cookieSecure });
    }
    return await done(reply, clientId, uri);
  });
}
