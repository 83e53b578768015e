// The login demo of `edgepass dev`: a tiny web app that is a real OAuth client of the auth service
// (public, first-party, authorization code + PKCE S256). `/` explains, `/login` starts an authorization
// request, `/callback` redeems the code at the token endpoint and shows the access token with a curl
// command that uses it at the gateway. Pending logins live in memory (bounded, 10 minutes); nothing is logged
// but the outcome.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OIDC_ROUTES } from '@edgepass/auth';
import { html, newNonce, page, pageHeaders, type SafeHtml } from '@edgepass/auth/internal';
import type { Logger } from 'pino';
import { vocabularyCurl } from './demo-commands.ts';

export const DEMO_SCOPE = 'openid vocabulary:read';
const PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 1000;

export interface DemoClientOptions {
  host: string;
  port: number;
  clientId: string;
  logger: Logger;
  /** the auth service's issuer and the gateway's public URL (known once they listen) */
  authIssuer: () => string;
  gatewayUrl: () => string;
}

export interface RunningDemoClient {
  readonly url: string;
  readonly callbackUrl: string;
  close(): Promise<void>;
}

interface Pending {
  verifier: string;
  until: number;
}

interface TokenResponse {
  access_token?: unknown;
  expires_in?: unknown;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

function claimsOf(jwt: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function send(res: ServerResponse, status: number, title: string, body: SafeHtml): void {
  const nonce = newNonce();
  res.writeHead(status, pageHeaders(nonce)).end(page({ title, body, nonce }));
}

export async function startDemoClient(options: DemoClientOptions): Promise<RunningDemoClient> {
  const pending = new Map<string, Pending>();
  let url = '';
  const callbackUrl = () => `${url}/callback`;

  function home(res: ServerResponse): void {
    send(
      res,
      200,
      'Login demo',
      html`<h1>edgepass login demo</h1>
<p>This page is an OAuth client of the auth service. Signing in runs the authorization code flow with PKCE and
shows you the access token, ready to use at the gateway.</p>
<p class="hint">Demo accounts and their passwords are printed in the terminal where <code>edgepass dev</code> runs.</p>
<a class="button" href="/login">Sign in</a>`,
    );
  }

  function login(res: ServerResponse): void {
    const now = Date.now();
    for (const [state, p] of pending) if (p.until <= now) pending.delete(state);
    if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value ?? '');
    const state = base64url(randomBytes(16));
    const verifier = base64url(randomBytes(32));
    pending.set(state, { verifier, until: now + PENDING_TTL_MS });
    const authorize = new URL(`${options.authIssuer()}${OIDC_ROUTES.authorization}`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: options.clientId,
      redirect_uri: callbackUrl(),
      scope: DEMO_SCOPE,
      state,
      code_challenge: base64url(createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256',
    }).toString();
    res.writeHead(303, { location: authorize.href, 'cache-control': 'no-store' }).end();
  }

  async function callback(res: ServerResponse, query: URLSearchParams): Promise<void> {
    const state = query.get('state') ?? '';
    const entry = pending.get(state);
    pending.delete(state);
    const code = query.get('code');
    if (!entry || entry.until <= Date.now() || !code) {
      options.logger.info({ reason: query.get('error') ?? 'unknown_state' }, 'login demo: sign-in not completed');
      return send(
        res,
        400,
        'Not signed in',
        html`<h1>Not signed in</h1><p>The sign-in did not complete${query.get('error') ? html` (${query.get('error')})` : ''}.</p><a class="button" href="/login">Try again</a>`,
      );
    }
    const response = await fetch(`${options.authIssuer()}${OIDC_ROUTES.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callbackUrl(),
        client_id: options.clientId,
        code_verifier: entry.verifier,
      }),
    });
    const tokens = (await response.json().catch(() => ({}))) as TokenResponse;
    if (!response.ok || typeof tokens.access_token !== 'string') {
      options.logger.warn({ status: response.status, reason: 'token_request_failed' }, 'login demo: no token');
      return send(res, 502, 'Not signed in', html`<h1>Not signed in</h1><p>The token request failed.</p>`);
    }
    const token = tokens.access_token;
    const claims = claimsOf(token);
    const premium = claims.plan === 'premium';
    const path = premium ? '/premium/videos/demo/vocabulary' : '/videos/demo/vocabulary';
    const command = vocabularyCurl(`${options.gatewayUrl()}${path}`, ['-N', '-H', `authorization: Bearer ${token}`]);
    const logout = new URL(`${options.authIssuer()}/logout`);
    logout.search = new URLSearchParams({
      client_id: options.clientId,
      post_logout_redirect_uri: `${url}/`,
    }).toString();
    options.logger.info({ sub: claims.sub, plan: claims.plan }, 'login demo: signed in');
    send(
      res,
      200,
      'Signed in',
      html`<h1>Signed in</h1>
<p>user <code>${String(claims.sub ?? '?')}</code>, plan <strong>${String(claims.plan ?? '-')}</strong>, scope <code>${String(claims.scope ?? '')}</code>,
valid for ${String(tokens.expires_in ?? '?')} s.</p>
<label for="token">Access token (JWT)</label>
<textarea id="token" readonly rows="6" cols="40">${token}</textarea>
<label for="curl">Use it at the gateway${premium ? ' (the premium route)' : ''}</label>
<textarea id="curl" readonly rows="8" cols="40">${command}</textarea>
<p class="alt"><a href="${logout.href}">Sign out</a> (ends the session and revokes this token at every gateway)</p>`,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', 'http://demo');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (target.pathname === '/') return home(res);
    if (target.pathname === '/login') return login(res);
    if (target.pathname === '/callback') return await callback(res, target.searchParams);
    send(res, 404, 'Not found', html`<h1>Not found</h1><a href="/">Home</a>`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger.error({ err }, 'login demo: request failed');
      if (!res.headersSent) send(res, 500, 'Error', html`<h1>Something went wrong</h1>`);
      else res.destroy();
    });
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  return {
    url,
    callbackUrl: callbackUrl(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
