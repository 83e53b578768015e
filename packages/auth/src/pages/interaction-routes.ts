// The interaction pages oidc-provider sends the browser to (/interaction/:uid): login, signup, consent
// (auto-approved for first-party clients) and abort. Every POST checks a CSRF token bound to the
// interaction; login is throttled per account and per IP; errors re-render the form with a generic message.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from 'oidc-provider';
import { isValidEmail, normalizeEmail } from '../accounts/email.ts';
import { checkPasswordPolicy, type PasswordProblem } from '../accounts/password.ts';
import { AUTH_ERRORS, AuthError, isAuthError } from '../errors.ts';
import { CLIENT_FIRST_PARTY } from '../oidc/adapter.ts';
import type { AuthRuntime } from '../runtime.ts';
import type { CsrfPurpose } from './csrf.ts';
import { attemptPasswordLogin } from './password-login.ts';
import { sendPage } from './respond.ts';
import { consentView, type FieldErrors, loginView, signupView } from './views.ts';

type Params = { uid: string };
type Body = Record<string, unknown> | undefined;

const PASSWORD_MESSAGES: Record<PasswordProblem, string> = {
  too_short: 'Use at least 12 characters for your password',
  too_long: 'Use at most 128 characters for your password',
  equals_email: 'Your password must not be your email address',
};

/** A form field as a string ('' when absent, not a string, or longer than max). */
export function field(body: Body, name: string, max = 1024): string {
  const value = body?.[name];
  return typeof value === 'string' && value.length <= max ? value : '';
}

/** The interaction of this browser (its interaction cookie), which must be the one named in the URL. */
export async function loadInteraction(
  rt: AuthRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  uid: string,
): Promise<Interaction> {
  let details: Interaction;
  try {
    details = await rt.provider().interactionDetails(request.raw, reply.raw);
  } catch (cause) {
    throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: 'interaction_not_found', cause });
  }
  if (details.uid !== uid) throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: 'interaction_uid_mismatch' });
  return details;
}

/** Refuses a form post for an interaction that is not (or no longer) at its login prompt. */
export function requireLoginPrompt(details: Interaction): void {
  if (details.prompt.name !== 'login')
    throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: 'not_a_login_prompt' });
}

/** Refuses a form post without a CSRF token for one of `purposes`, bound to this interaction. */
export function requireCsrf(rt: AuthRuntime, purposes: CsrfPurpose[], uid: string, body: Body): void {
  if (!purposes.some((p) => rt.csrf.verify(p, uid, body?.csrf))) {
    throw new AuthError('AUTH_CSRF_FAILED', { reason: 'csrf_token_invalid' });
  }
}

/** The client's display name for the pages of an interaction. */
export async function clientName(rt: AuthRuntime, details: Interaction): Promise<string> {
  const id = details.params.client_id ?? '';
  const client = await rt.provider().Client.find(id);
  return client?.clientName ?? id;
}

/** Sets the gateways' browser-session cookie. */
export function setSessionCookie(rt: AuthRuntime, reply: FastifyReply, value: string): void {
  reply.setCookie(rt.config.cookies.session, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: rt.cookieSecure,
    maxAge: rt.sessions.ttlSec,
  });
}

/** Completes the login prompt: a browser session for gateways, then back to oidc-provider. */
export async function completeLogin(
  rt: AuthRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  amr: string[],
): Promise<FastifyReply> {
  const { value } = await rt.sessions.create(userId);
  setSessionCookie(rt, reply, value);
  const returnTo = await rt
    .provider()
    .interactionResult(
      request.raw,
      reply.raw,
      { login: { accountId: userId, amr } },
      { mergeWithLastSubmission: false },
    );
  return reply.redirect(returnTo, 303);
}

export function registerInteractionRoutes(app: FastifyInstance, rt: AuthRuntime): void {
  const providers = rt.config.providers.map((p) => ({ id: p.id, name: p.name ?? p.id }));

  async function renderLogin(
    reply: FastifyReply,
    details: Interaction,
    status: number,
    extra: { email?: string; errors?: FieldErrors; general?: string; notice?: string } = {},
  ): Promise<FastifyReply> {
    const body = loginView({
      uid: details.uid,
      csrf: rt.csrf.token('login', details.uid),
      clientName: await clientName(rt, details),
      allowSignup: rt.config.allowSignup,
      providers,
      ...extra,
    });
    return sendPage(reply, status, 'Sign in', body);
  }

  /** Grants what the consent prompt asks for; returns the grant id. */
  async function approve(request: FastifyRequest, details: Interaction): Promise<string> {
    const provider = rt.provider();
    const accountId = details.session?.accountId;
    const clientId = details.params.client_id;
    if (!accountId || !clientId) throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: 'consent_without_login' });
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    const cookie = request.cookies[rt.config.cookies.session];
    if (cookie) await rt.sessions.addGrant(cookie, grantId);
    return grantId;
  }

  async function finishConsent(
    request: FastifyRequest,
    reply: FastifyReply,
    details: Interaction,
  ): Promise<FastifyReply> {
    const grantId = await approve(request, details);
    const returnTo = await rt
      .provider()
      .interactionResult(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return reply.redirect(returnTo, 303);
  }

  app.get<{ Params: Params }>('/interaction/:uid', async (request, reply) => {
    const details = await loadInteraction(rt, request, reply, request.params.uid);
    if (details.prompt.name === 'login') return await renderLogin(reply, details, 200);
    if (details.prompt.name === 'consent') {
      const client = await rt.provider().Client.find(details.params.client_id ?? '');
      if (client?.[CLIENT_FIRST_PARTY] === true) return await finishConsent(request, reply, details);
      const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details;
      const scopes = [...missingOIDCScope, ...Object.values(missingResourceScopes).flat()].filter(
        (s) => s !== 'openid',
      );
      return sendPage(
        reply,
        200,
        'Allow access',
        consentView({
          uid: details.uid,
          csrf: rt.csrf.token('consent', details.uid),
          clientName: client?.clientName ?? client?.clientId ?? '',
          scopes,
        }),
      );
    }
    throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: `prompt_unsupported_${details.prompt.name}` });
  });

  app.post<{ Params: Params; Body: Body }>('/interaction/:uid/login', async (request, reply) => {
    const details = await loadInteraction(rt, request, reply, request.params.uid);
    requireCsrf(rt, ['login'], details.uid, request.body);
    requireLoginPrompt(details);
    const email = normalizeEmail(field(request.body, 'email', 254));
    const password = field(request.body, 'password', 1024);
    const errors: FieldErrors = {};
    if (!email) errors.email = 'Enter your email address';
    if (!password) errors.password = 'Enter your password';
    if (Object.keys(errors).length > 0) return await renderLogin(reply, details, 400, { email, errors });

    const attempt = await attemptPasswordLogin(rt, request, reply, email, password);
    if (attempt.outcome === 'throttled')
      return await renderLogin(reply, details, 429, { email, general: AUTH_ERRORS.AUTH_THROTTLED.title });
    if (attempt.outcome === 'failed')
      return await renderLogin(reply, details, 401, { email, general: AUTH_ERRORS.AUTH_LOGIN_FAILED.title });
    request.log.info({ reason: 'login_succeeded', userId: attempt.user.id }, 'login');
    return await completeLogin(rt, request, reply, attempt.user.id, ['pwd']);
  });

  if (rt.config.allowSignup) {
    app.get<{ Params: Params }>('/interaction/:uid/signup', async (request, reply) => {
      const details = await loadInteraction(rt, request, reply, request.params.uid);
      const body = signupView({
        uid: details.uid,
        csrf: rt.csrf.token('signup', details.uid),
        clientName: await clientName(rt, details),
      });
      return sendPage(reply, 200, 'Create an account', body);
    });

    app.post<{ Params: Params; Body: Body }>('/interaction/:uid/signup', async (request, reply) => {
      const details = await loadInteraction(rt, request, reply, request.params.uid);
      requireCsrf(rt, ['signup'], details.uid, request.body);
      const email = normalizeEmail(field(request.body, 'email', 254));
      const name = field(request.body, 'name', 200).trim();
      const password = field(request.body, 'password', 1024);
      const errors: FieldErrors = {};
      if (!isValidEmail(email)) errors.email = 'Enter an email address like name@example.com';
      const problem = password ? checkPasswordPolicy(password, email) : 'too_short';
      if (problem) errors.password = PASSWORD_MESSAGES[problem];
      const rerender = async (status: number, extra: { errors?: FieldErrors; general?: string }) =>
        sendPage(
          reply,
          status,
          'Create an account',
          signupView({
            uid: details.uid,
            csrf: rt.csrf.token('signup', details.uid),
            clientName: await clientName(rt, details),
            email,
            name,
            ...extra,
          }),
        );
      if (Object.keys(errors).length > 0) {
        request.log.info({ reason: 'signup_invalid', fields: Object.keys(errors) }, 'signup refused');
        return await rerender(400, { errors });
      }
      const decision = await rt.throttle.beginSignup(request.ip);
      if (!decision.allowed) {
        request.log.warn({ reason: 'signup_throttled' }, 'signup refused');
        reply.header('retry-after', String(decision.retryAfterSec));
        return await rerender(429, { general: AUTH_ERRORS.AUTH_THROTTLED.title });
      }
      try {
        const user = await rt.accounts.create({ email, password, ...(name ? { name } : {}) });
        request.log.info({ reason: 'signup_succeeded', userId: user.id }, 'account created');
      } catch (err) {
        // An existing email answers exactly like a new one (no account enumeration through signup).
        if (!isAuthError(err) || err.code !== 'AUTH_EMAIL_TAKEN') throw err;
        request.log.info({ reason: 'signup_email_taken' }, 'signup for an existing email');
      }
      return await renderLogin(reply, details, 200, {
        email,
        notice: 'Thanks. Sign in with your email address and password to continue.',
      });
    });
  }

  app.post<{ Params: Params; Body: Body }>('/interaction/:uid/consent', async (request, reply) => {
    const details = await loadInteraction(rt, request, reply, request.params.uid);
    requireCsrf(rt, ['consent'], details.uid, request.body);
    if (details.prompt.name !== 'consent')
      throw new AuthError('AUTH_INTERACTION_EXPIRED', { reason: 'not_a_consent_prompt' });
    return await finishConsent(request, reply, details);
  });

  app.post<{ Params: Params; Body: Body }>('/interaction/:uid/abort', async (request, reply) => {
    const details = await loadInteraction(rt, request, reply, request.params.uid);
    requireCsrf(rt, ['login', 'consent', 'link'], details.uid, request.body);
    const returnTo = await rt
      .provider()
      .interactionResult(
        request.raw,
        reply.raw,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
    return reply.redirect(returnTo, 303);
  });
}
