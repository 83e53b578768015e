// Linking an external login to an existing account whose email is not verified (like Keycloak's "first broker
// login"). Signup never verifies the email, so that account may have been registered by someone else, with a
// password of their choosing, before its owner first signed in through an IdP: linking it silently would leave
// them a way in. Instead the user proves control of the account by entering its password:
//   the IdP callback   → a pending link (KV, sealed, bound to the interaction uid, 10 min)
//                        → 303 /interaction/<uid>/link
//   GET  …/link        → the password page (its CSRF token is bound to the interaction)
//   POST …/link        → throttled exactly like a login (the same per-account and per-IP slots); the right
//                        password consumes the pending link (atomically), links the identity, marks the email
//                        verified and completes the login; a wrong one re-renders the page (401).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from 'oidc-provider';
import type { User } from '../accounts/accounts.ts';
import { AUTH_ERRORS } from '../errors.ts';
import {
  clientName,
  completeLogin,
  field,
  loadInteraction,
  requireCsrf,
  requireLoginPrompt,
} from '../pages/interaction-routes.ts';
import { attemptPasswordLogin } from '../pages/password-login.ts';
import { sendPage } from '../pages/respond.ts';
import { type FieldErrors, linkAccountView } from '../pages/views.ts';
import type { AuthRuntime } from '../runtime.ts';
import { externalLoginFailed } from './failed.ts';
import { SealedValues } from './sealed-values.ts';

export interface ExternalIdentity {
  provider: string;
  subject: string;
  email?: string;
}

/** An external identity waiting to be linked to `userId` once the user enters that account's password. */
export interface PendingLink {
  userId: string;
  identity: ExternalIdentity;
}

const PENDING_TTL_MS = 10 * 60 * 1000;

export const linkPath = (uid: string): string => `/interaction/${uid}/link`;

/** Pending links, one per interaction (by its uid). */
export type PendingLinks = SealedValues<PendingLink>;

export function pendingLinks(rt: AuthRuntime): PendingLinks {
  return new SealedValues<PendingLink>({
    kv: rt.store.fast.kv,
    key: rt.stateKey,
    namespace: 'ext:link',
    ttlMs: PENDING_TTL_MS,
  });
}

interface LinkRequest {
  details: Interaction;
  link: PendingLink;
  user: User;
}

export function registerLinkAccountRoutes(app: FastifyInstance, rt: AuthRuntime, links: PendingLinks): void {
  type Params = { uid: string };
  type Body = Record<string, unknown> | undefined;

  /** The pending link of this browser's login interaction and its (active) account. */
  async function pending(details: Interaction): Promise<LinkRequest> {
    requireLoginPrompt(details);
    const link = await links.peek(details.uid);
    if (!link) throw externalLoginFailed('external_link_unknown');
    const user = await rt.accounts.findById(link.userId);
    if (user?.status !== 'active') throw externalLoginFailed('external_account_disabled');
    return { details, link, user };
  }

  async function render(
    reply: FastifyReply,
    status: number,
    { details, link, user }: LinkRequest,
    extra: { errors?: FieldErrors; general?: string } = {},
  ): Promise<FastifyReply> {
    const provider = rt.config.providers.find((p) => p.id === link.identity.provider);
    const body = linkAccountView({
      uid: details.uid,
      csrf: rt.csrf.token('link', details.uid),
      clientName: await clientName(rt, details),
      email: user.email,
      providerName: provider?.name ?? link.identity.provider,
      ...extra,
    });
    return sendPage(reply, status, 'Link your account', body);
  }

  app.get<{ Params: Params }>('/interaction/:uid/link', async (request, reply) => {
    const details = await loadInteraction(rt, request, reply, request.params.uid);
    return await render(reply, 200, await pending(details));
  });

  app.post<{ Params: Params; Body: Body }>('/interaction/:uid/link', async (request, reply) => {
    const details = await loadInteraction(rt, request, reply, request.params.uid);
    requireCsrf(rt, ['link'], details.uid, request.body);
    const req = await pending(details);
    const password = field(request.body, 'password', 1024);
    if (!password) return await render(reply, 400, req, { errors: { password: 'Enter your password' } });
    return await confirm(request, reply, req, password);
  });

  async function confirm(
    request: FastifyRequest,
    reply: FastifyReply,
    req: LinkRequest,
    password: string,
  ): Promise<FastifyReply> {
    const { user, link } = req;
    const fields = { userId: user.id, provider: link.identity.provider };
    const refused = 'account link refused';
    const attempt = await attemptPasswordLogin(rt, request, reply, user.email, password, {
      throttled: refused,
      failed: refused,
      fields,
    });
    if (attempt.outcome === 'throttled')
      return await render(reply, 429, req, { general: AUTH_ERRORS.AUTH_THROTTLED.title });
    if (attempt.outcome !== 'ok' || attempt.user.id !== user.id) {
      if (attempt.outcome === 'ok') request.log.info({ reason: 'link_account_mismatch', ...fields }, refused);
      return await render(reply, 401, req, { errors: { password: 'The password is not correct' } });
    }
    if (!(await links.take(req.details.uid))) throw externalLoginFailed('external_link_unknown');
    await rt.accounts.linkExternalIdentity(user.id, link.identity);
    await rt.accounts.markEmailVerified(user.id);
    request.log.info(
      { reason: 'external_link_confirmed', provider: link.identity.provider, userId: user.id },
      'external identity linked after the account password was entered',
    );
    return await completeLogin(rt, request, reply, user.id, ['ext', 'pwd']);
  }
}
