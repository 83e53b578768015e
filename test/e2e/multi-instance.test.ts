// The standalone deployment of docs/deploy.md, exactly: ONE auth service and THREE gateways, each a separate
// OS process started through the real CLI (`edgepass auth|gateway --config examples/deploy/...`), on one
// PostgreSQL database and one Redis (own key prefix) with one master key, in front of a recording upstream.
// The auth service sits behind the gateways (their passthrough routes); the public URL — the issuer — is
// gateway 1's (standing in for the load balancer), and the gateways fetch its JWKS from it directly.
//   - a login (code + PKCE, following the login form) made entirely through gateway 1 yields an access token
//     and an ep_session cookie that every gateway accepts; the passports of all three verify against one
//     gateway's passport JWKS; the auth service's JSON API takes the token through any gateway;
//   - an RFC 7009 revocation (through gateway 3), a logout (through gateway 2) and an API-key revocation
//     through the CLI, each performed once, are enforced by all three gateways within 1 s (caches warm);
//   - one rate limit and one quota hold across the three (requests round-robin over them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Accounts } from '@edgepass/auth';
import { createPassportVerifier } from '@edgepass/passport';
import { generateMasterKey, type OpenedStore, openStore } from '@edgepass/store';
import { parse } from 'yaml';
import { formTo } from '../../packages/auth/test/core/browser.ts';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { waitFor } from '../support/wait.ts';
import { CliProcess, cleanEnv } from './support/cli.ts';
import { type LoggedIn, loginWithPkce } from './support/login.ts';
import { RecordingUpstream } from './support/upstream.ts';

const AUTH_CONFIG = fileURLToPath(new URL('../../examples/deploy/auth.yaml', import.meta.url));
const GATEWAY_CONFIG = fileURLToPath(new URL('../../examples/deploy/edgepass.yaml', import.meta.url));
const PROPAGATION_DEADLINE_MS = 1000;
const PASSWORD = 'correct horse battery staple';

interface Gateway {
  process: CliProcess;
  url: string;
  admin: string;
}

let db: { url: string; drop(): Promise<void> };
let store: OpenedStore;
let upstream: RecordingUpstream;
let sharedEnv: NodeJS.ProcessEnv;
let auth: CliProcess;
/** the public URL: gateway 1's; the issuer of every token */
let issuer: string;
/** where the auth service itself listens (only the gateways talk to it) */
let authUrl: string;
const gateways: Gateway[] = [];
const cliRuns: CliProcess[] = [];

const webClient = (() => {
  const client = (
    parse(readFileSync(AUTH_CONFIG, 'utf8')) as { auth: { clients: { clientId: string; redirectUris: string[] }[] } }
  ).auth.clients[0];
  assert.ok(client?.redirectUris[0]);
  return { clientId: client.clientId, redirectUri: client.redirectUris[0] };
})();

async function startGatewayProcess(n: number, port = 0): Promise<Gateway> {
  const child = new CliProcess(`gateway ${n}`, ['gateway', '--config', GATEWAY_CONFIG], {
    ...sharedEnv,
    EDGEPASS_GATEWAY_HOST: '127.0.0.1',
    EDGEPASS_GATEWAY_PORT: String(port),
    EDGEPASS_ADMIN_PORT: '0',
    EDGEPASS_AUTH_ISSUER: issuer,
    EDGEPASS_AUTH_URL: authUrl,
    VOCABULARY_SERVICE_URL: upstream.url,
    USER_SERVICE_URL: upstream.url,
  });
  const out = await child.waitFor('"msg":"gateway started"', { timeoutMs: 20_000 });
  const line = out.split('\n').find((l) => l.includes('"msg":"gateway started"')) ?? '';
  const started = JSON.parse(line) as { public: string; admin: string };
  await waitFor(async () => (await fetch(`${started.admin}/readyz`)).status === 200, {
    timeoutMs: 15_000,
    what: `gateway ${n} /readyz`,
  });
  return { process: child, url: started.public, admin: started.admin };
}

/** `edgepass <args>` as its own process on the shared store; resolves with its stdout (exit code 0 asserted). */
async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const run = new CliProcess(`edgepass ${args[0]}`, args, sharedEnv);
  cliRuns.push(run);
  const code = await run.exited;
  assert.equal(code, 0, run.stderr);
  return { stdout: run.stdout, stderr: run.stderr };
}

async function createKey(owner: string): Promise<{ key: string; id: string }> {
  const { stdout, stderr } = await cli(['api-keys', 'create', '--owner', owner, '--scope', 'vocabulary:read']);
  const id = /created (key_[A-Za-z0-9_-]+)/.exec(stderr)?.[1];
  assert.ok(id, stderr);
  return { key: stdout.trim(), id };
}

function vocabulary(gateway: Gateway, credential: Record<string, string>, requestId?: string): Promise<Response> {
  return fetch(`${gateway.url}/videos/multi/vocabulary`, {
    method: 'POST',
    headers: { ...credential, 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify({ transcript: 'one gateway, three gateways' }),
  });
}

async function statusOf(gateway: Gateway, credential: Record<string, string>): Promise<number> {
  const response = await vocabulary(gateway, credential);
  await response.arrayBuffer();
  return response.status;
}

/** Every gateway answers `status` for the credential within the deadline, polled from `since`. */
async function allWithin(credential: Record<string, string>, status: number, since: number): Promise<number[]> {
  return await Promise.all(
    gateways.map(async (g, i) => {
      await waitFor(async () => (await statusOf(g, credential)) === status, {
        timeoutMs: PROPAGATION_DEADLINE_MS - (Date.now() - since),
        intervalMs: 10,
        what: `gateway ${i + 1} answering ${status}`,
      });
      return Date.now() - since;
    }),
  );
}

before(async () => {
  db = await createTestDatabase();
  const prefix = uniquePrefix('multi');
  // the test's own connection: migrates the database and creates the accounts
  store = await openStore({ databaseUrl: db.url, redisUrl: testRedisUrl(), keyPrefix: prefix });
  const accounts = new Accounts({ store, plans: ['free', 'premium'] });
  await accounts.create({ email: 'premium@example.com', password: PASSWORD, plan: 'premium' });
  await accounts.create({ email: 'free@example.com', password: PASSWORD, plan: 'free' });
  upstream = await new RecordingUpstream().start();
  sharedEnv = cleanEnv({
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    EDGEPASS_REDIS_PREFIX: prefix,
    EDGEPASS_MASTER_KEY: generateMasterKey(),
  });

  // the issuer names gateway 1, so its port (and the auth service's) is chosen before anything starts
  const [authPort, publicPort] = [await freePort(), await freePort()];
  issuer = `http://127.0.0.1:${publicPort}`;
  authUrl = `http://127.0.0.1:${authPort}`;
  auth = new CliProcess('auth', ['auth', '--config', AUTH_CONFIG], {
    ...sharedEnv,
    EDGEPASS_ISSUER: issuer,
    EDGEPASS_AUTH_PORT: String(authPort),
  });
  const out = await auth.waitFor('auth service listening at ', { timeoutMs: 20_000 });
  assert.equal(/auth service listening at (http:\/\/\S+)/.exec(out)?.[1], issuer);
  gateways.push(
    ...(await Promise.all([startGatewayProcess(1, publicPort), startGatewayProcess(2), startGatewayProcess(3)])),
  );
  assert.equal(gateways[0]?.url, issuer);
});

after(async () => {
  await Promise.all([...gateways.map((g) => g.process.kill()), auth?.kill(), ...cliRuns.map((r) => r.kill())]);
  await upstream?.close();
  await store?.close();
  await db?.drop();
});

describe('one auth service, three gateways, one PostgreSQL, one Redis', () => {
  let premium: LoggedIn;

  before(async () => {
    // the issuer's URL is gateway 1's: the whole login goes through it
    premium = await loginWithPkce({
      issuer,
      ...webClient,
      scope: 'openid vocabulary:read',
      email: 'premium@example.com',
      password: PASSWORD,
    });
  });

  test('all three are separate processes on their own ports, ready', () => {
    assert.equal(new Set(gateways.map((g) => g.process.child.pid)).size, 3);
    assert.equal(new Set(gateways.map((g) => g.url)).size, 3);
  });

  test('the login went through gateway 1 only: authorize, the login page and form, the token endpoint', (t) => {
    const [first] = gateways;
    assert.ok(first);
    assert.ok(premium.requested.length >= 4, premium.requested.join('\n'));
    t.diagnostic(premium.requested.map((url) => new URL(url).pathname).join(' → '));
    for (const url of premium.requested) assert.equal(new URL(url).origin, first.url, url);
    const routes = first.process.stdout
      .split('\n')
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as { route?: string; status: number });
    for (const route of ['auth-oauth', 'auth-interaction']) {
      assert.ok(
        routes.some((r) => r.route === route && r.status < 400),
        `gateway 1 proxied ${route} (passthrough to the auth service)`,
      );
    }
  });

  test('the access token and the session cookie of one login work on every gateway; passports share keys', async () => {
    const verifier = createPassportVerifier({
      issuer: 'edgepass',
      audience: 'vocabulary-service',
      jwksUrl: `${gateways[0]?.admin}/.well-known/passport-jwks.json`,
    });
    const user = await new Accounts({ store }).findByEmail('premium@example.com');
    for (const [i, g] of gateways.entries()) {
      for (const [via, credential] of [
        ['access_token', { authorization: `Bearer ${premium.accessToken}` }],
        ['session', { cookie: `ep_session=${premium.session}; theme=dark` }],
      ] as const) {
        const id = `multi-${via}-${i}`;
        const response = await vocabulary(g, credential, id);
        assert.equal(response.status, 200, `gateway ${i + 1}, ${via}`);
        await response.arrayBuffer();
        const seen = upstream.byRequestId(id);
        assert.ok(seen, 'the upstream got the request');
        assert.equal(seen.headers.authorization, undefined);
        assert.equal(
          seen.headers.cookie,
          via === 'session' ? 'theme=dark' : undefined,
          'only the session cookie is stripped',
        );
        const identity = await verifier.verify(seen.headers['x-passport'] as string);
        assert.equal(identity.sub, user?.id);
        assert.equal(identity.via, via);
        assert.equal(identity.plan, 'premium');
      }
      // the auth service's JSON API behind this gateway gets the Bearer token (a passthrough route)
      const me = await fetch(`${g.url}/api/me`, { headers: { authorization: `Bearer ${premium.accessToken}` } });
      assert.equal(me.status, 200, `gateway ${i + 1}, /api/me`);
      assert.equal(((await me.json()) as { email: string }).email, 'premium@example.com');
    }
  });

  test('an RFC 7009 revocation (through gateway 3) of the access token is enforced by all three within 1 s', async (t) => {
    const bearer = { authorization: `Bearer ${premium.accessToken}` };
    for (const g of gateways) assert.equal(await statusOf(g, bearer), 200, 'warm: every gateway has it cached');
    const revoke = await fetch(`${gateways[2]?.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: premium.accessToken, client_id: webClient.clientId }),
    });
    assert.equal(revoke.status, 200);
    const took = await allWithin(bearer, 401, Date.now());
    t.diagnostic(`refused after ${took.join(', ')} ms`);
    // the session is another credential: still good everywhere
    for (const g of gateways) assert.equal(await statusOf(g, { cookie: `ep_session=${premium.session}` }), 200);
  });

  test('a logout through gateway 2 ends the session on all three within 1 s', async (t) => {
    const cookie = { cookie: `ep_session=${premium.session}` };
    const second = gateways[1]?.url ?? '';
    const page = await premium.browser.follow(`${second}/logout`);
    const form = formTo(page, '/logout');
    assert.equal(new URL(form.action).origin, second, 'the form posts back through gateway 2');
    const done = await premium.browser.follow(form.action, { form: form.fields });
    assert.equal(done.status, 200);
    t.diagnostic(`refused after ${(await allWithin(cookie, 401, Date.now())).join(', ')} ms`);
  });

  test('an API key revoked once through the CLI is refused by all three within 1 s', async (t) => {
    const { key, id } = await createKey('free@example.com');
    const header = { 'x-api-key': key };
    for (const g of gateways) assert.equal(await statusOf(g, header), 200, 'warm: every gateway has it cached');
    await cli(['api-keys', 'revoke', id]);
    t.diagnostic(`refused after ${(await allWithin(header, 401, Date.now())).join(', ')} ms`);
  });

  test('one rate limit (60 a minute per principal) holds across all three', async () => {
    const { key } = await createKey('premium@example.com');
    const header = { 'x-api-key': key };
    const responses = await Promise.all(
      Array.from({ length: 75 }, async (_, i) => {
        const g = gateways[i % gateways.length];
        assert.ok(g);
        const response = await vocabulary(g, header);
        await response.arrayBuffer();
        return response;
      }),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 60, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 15, statuses.join(' '));
    const limited = responses.find((r) => r.status === 429);
    assert.ok(Number(limited?.headers.get('retry-after')) >= 1);
  });

  test('one daily quota (free plan: 5) holds across all three', async () => {
    const { key } = await createKey('free@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const g = gateways[i % gateways.length];
      assert.ok(g);
      statuses.push(await statusOf(g, { 'x-api-key': key }));
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 402, 402, 402, 402]);
  });
});
