// `edgepass dev` (what `npm start` runs) as a user meets it: a child process on a fresh data directory and
// free ports; the banner appears within 30 s; every curl command it prints is run as printed and returns
// what the banner says, and the signup it creates is activated by the worker key through the gateway; the
// login demo signs the demo and the premium user in; logout revokes; no secret reaches the logs (at info,
// and on PostgreSQL + Redis at trace); Ctrl-C exits 0; a second run on the same data directory shows (and
// honours) the same credentials; a busy port fails at once with the port and the flag to change it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, decodeEntities, formTo } from '../../packages/auth/test/core/browser.ts';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { CliProcess, cleanEnv } from './support/cli.ts';
import { httpResponse, runCurl, useRealCurl } from './support/curl.ts';

const READY = 'edgepass dev is ready.';
const START_DEADLINE_MS = 30_000;

interface PrintedCommand {
  title: string;
  expect: string;
  command: string;
}

interface Banner {
  gateway: string;
  login: string;
  auth: string;
  admin: string;
  demoEmail: string;
  demoPassword: string;
  premiumEmail: string;
  premiumPassword: string;
  demoKey: string;
  workerKey: string;
  workerKeyId: string;
  commands: PrintedCommand[];
}

function field(text: string, pattern: RegExp, what: string): string {
  const value = pattern.exec(text)?.[1];
  assert.ok(value, `the banner shows ${what}`);
  return value;
}

function parseBanner(text: string): Banner {
  const lines = text.split('\n');
  const commands: PrintedCommand[] = [];
  lines.forEach((line, i) => {
    const head = /^ {2}# \d+\. (.+) → (.+)$/.exec(line);
    const next = lines[i + 1]?.trim() ?? '';
    if (head?.[1] && head[2] && next.startsWith('curl '))
      commands.push({ title: head[1], expect: head[2], command: next });
  });
  return {
    gateway: field(text, /^ {2}gateway +(http:\S+)/m, 'the gateway URL'),
    login: field(text, /^ {2}login demo +(http:\S+)/m, 'the login demo URL'),
    auth: field(text, /^ {2}auth service +(http:\S+)/m, 'the auth service URL'),
    admin: field(text, /^ {2}admin +(http:\S+)\/metrics/m, 'the admin URL'),
    demoEmail: field(text, /^ {2}demo user +(\S+@\S+)/m, 'the demo user'),
    demoPassword: field(text, /^ {2}demo user +\S+ +password: (\S+)/m, 'the demo password'),
    premiumEmail: field(text, /^ {2}premium user +(\S+@\S+)/m, 'the premium user'),
    premiumPassword: field(text, /^ {2}premium user +\S+ +password: (\S+)/m, 'the premium password'),
    demoKey: field(text, /^ {2}demo API key +(ep_\S+)/m, 'the demo API key'),
    workerKey: field(text, /^ {2}worker API key +(ep_\S+)/m, 'the worker API key'),
    workerKeyId: field(text, /^ {2}worker API key +\S+ +\((key_[\w-]+),/m, 'the worker API key id'),
    commands,
  };
}

/** The passwords and keys the banner shows. */
function bannerSecrets(banner: Banner): Record<string, string> {
  const { demoPassword, premiumPassword, demoKey, workerKey } = banner;
  return { demoPassword, premiumPassword, demoKey, workerKey };
}

/** The free plan's daily quota, as the banner's quota command says it. */
function freeQuota(banner: Banner): number {
  return Number(field(banner.commands[4]?.title ?? '', /daily quota \((\d+) requests\)/, 'the free quota'));
}

const sseEvents = (text: string) => [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);

/** Runs the banner's commands as printed (with curl, or replayed with fetch) and checks what each returns. */
async function checkPrintedCommands(banner: Banner, useCurl: boolean): Promise<void> {
  const [stream, anonymous, signup, premium, quota, ...rest] = banner.commands;
  assert.ok(stream && anonymous && signup && premium && quota, 'five commands');
  assert.equal(rest.length, 0);

  assert.match(stream.expect, /^200, text\/event-stream/);
  const words = await runCurl(stream.command, useCurl);
  assert.equal(words.code, 0, words.stderr);
  const events = sseEvents(words.stdout);
  assert.ok(events.length >= 2, words.stdout);
  assert.ok(
    events.slice(0, -1).every((e) => e === 'word'),
    words.stdout,
  );
  assert.equal(events.at(-1), 'done');
  assert.match(words.stdout, /^data: \{"word":"machine","count":2,"rank":1/m);

  assert.equal(anonymous.expect, '401 application/problem+json, WWW-Authenticate: Bearer realm="edgepass"');
  const refused = httpResponse((await runCurl(anonymous.command, useCurl)).stdout);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.equal(refused.headers['www-authenticate'], 'Bearer realm="edgepass"');
  assert.equal((JSON.parse(refused.body) as { status: number }).status, 401);

  assert.match(signup.expect, /^202 /);
  const accepted = httpResponse((await runCurl(signup.command, useCurl)).stdout);
  assert.equal(accepted.status, 202);
  const created = JSON.parse(accepted.body) as { signupId: string; status: string };
  assert.match(created.signupId, /^sgn_/);
  assert.equal(created.status, 'pending');
  // the signup worker's key (scope signup:manage) reads it back through the gateway; the demo key may not
  const asWorker = await fetch(`${banner.gateway}/signups/${created.signupId}`, {
    headers: { 'x-api-key': banner.workerKey },
  });
  assert.equal(asWorker.status, 200);
  assert.equal(((await asWorker.json()) as { requestedBy: string }).requestedBy, 'anonymous');
  const asDemo = await fetch(`${banner.gateway}/signups/${created.signupId}`, {
    headers: { 'x-api-key': banner.demoKey },
  });
  assert.equal(asDemo.status, 403);
  await checkSignupWorkflow(banner, created.signupId);

  assert.match(premium.expect, /^403 /);
  const forbidden = httpResponse((await runCurl(premium.command, useCurl)).stdout);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.headers['content-type'], 'application/problem+json');
  assert.equal((JSON.parse(forbidden.body) as { code: string }).code, 'PLAN_REQUIRED');
  assert.equal(forbidden.headers['www-authenticate'], 'Bearer realm="edgepass", error="insufficient_scope"');

  assert.match(quota.expect, /the last one 402/);
  const statuses = (await runCurl(quota.command, useCurl)).stdout.trim().split('\n');
  // the free plan allows 5 a day and command 1 used one of them
  assert.deepEqual(statuses, ['200', '200', '200', '200', '402', '402']);
}

/** POST `path` at the gateway with an API key and a JSON body; the status and the parsed problem or body. */
async function postWithKey(
  banner: Banner,
  path: string,
  key: string,
  body: unknown = {},
): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
  const response = await fetch(`${banner.gateway}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    json: (await response.json()) as Record<string, unknown>,
  };
}

/** The signup worker's key activates the pending signup once (then 409); the demo key may not mark it failed. */
async function checkSignupWorkflow(banner: Banner, signupId: string): Promise<void> {
  const activated = await postWithKey(banner, `/signups/${signupId}/activate`, banner.workerKey);
  assert.equal(activated.status, 200, JSON.stringify(activated.json));
  assert.equal(activated.json.signupId, signupId);
  assert.equal(activated.json.status, 'active');
  assert.equal(activated.json.requestedBy, 'anonymous');
  assert.match(String(activated.json.decidedBy), /\S/, 'decided by the worker passport’s subject');

  const again = await postWithKey(banner, `/signups/${signupId}/activate`, banner.workerKey);
  assert.equal(again.status, 409);
  assert.match(again.type ?? '', /^application\/problem\+json/);
  assert.deepEqual([again.json.code, again.json.signupStatus], ['SIGNUP_CONFLICT', 'active']);

  const byDemo = await postWithKey(banner, `/signups/${signupId}/fail`, banner.demoKey, { reason: 'not mine' });
  assert.equal(byDemo.status, 403, 'refused by the gateway: the demo key lacks signup:manage');
  assert.equal(byDemo.type, 'application/problem+json', 'the gateway’s own problem document');
  assert.equal(byDemo.json.code, 'INSUFFICIENT_SCOPE');
}

interface DemoLogin {
  browser: Browser;
  /** the login demo's page after the callback */
  page: string;
  accessToken: string;
  sessionCookie: string;
  authorizationCode: string;
}

/** Signs in through the login demo (code + PKCE via the gateway to the auth service's login form). */
async function signInWithLoginDemo(banner: Banner, email: string, password: string): Promise<DemoLogin> {
  const browser = new Browser();
  const loginPage = await browser.follow(`${banner.login}login`);
  assert.equal(loginPage.status, 200);
  assert.ok(
    loginPage.url.startsWith(`${banner.gateway}/interaction/`),
    'the auth service’s login page, through the gateway',
  );
  const form = formTo(loginPage, '/login');
  const back = await browser.follow(
    form.action,
    { form: { ...form.fields, email, password } },
    `${banner.login}callback`,
  );
  const authorizationCode = new URL(back.url).searchParams.get('code') ?? '';
  assert.ok(authorizationCode, 'redirected to the demo callback with a code');
  const signedIn = await browser.request(back.url);
  assert.equal(signedIn.status, 200, signedIn.body.slice(0, 300));
  const accessToken = /<textarea id="token"[^>]*>([^<]+)<\/textarea>/.exec(signedIn.body)?.[1] ?? '';
  assert.match(accessToken, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  const sessionCookie = browser.cookies.get('ep_session') ?? '';
  assert.ok(sessionCookie, 'the login set ep_session');
  return { browser, page: signedIn.body, accessToken, sessionCookie, authorizationCode };
}

/** The auth service's logout page and form, through the gateway. */
async function signOut(banner: Banner, browser: Browser): Promise<void> {
  const logoutPage = await browser.follow(`${banner.auth}/logout`);
  const logout = formTo(logoutPage, '/logout');
  const done = await browser.follow(logout.action, { form: logout.fields });
  assert.equal(done.status, 200);
}

/** The premium user's token opens the premium route and goes past the free plan's daily quota. */
async function checkPremiumUser(banner: Banner, accessToken: string): Promise<void> {
  const post = (path: string) =>
    fetch(`${banner.gateway}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ transcript: 'Machine learning, machine learning and more machine learning.' }),
    });
  const premium = await post('/premium/videos/p/vocabulary');
  assert.equal(premium.status, 200);
  assert.match(premium.headers.get('content-type') ?? '', /^text\/event-stream/);
  const stream = await premium.text();
  assert.equal(sseEvents(stream).at(-1), 'done', stream);
  assert.match(stream, /"collocations":\[\{"phrase":"machine learning"/, 'the premium word list');
  const statuses: number[] = [];
  const quota = freeQuota(banner);
  for (let i = 0; i <= quota; i++) {
    const response = await post(`/videos/premium-${i}/vocabulary`);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, Array(quota + 1).fill(200), 'more than the free plan’s quota');
}

/** None of the secrets is in the process's logs (stderr), and the access tokens are not on stdout either. */
function assertNoSecretsLogged(dev: CliProcess, secrets: Record<string, string>, tokens: string[]): void {
  for (const [name, secret] of Object.entries(secrets)) {
    assert.ok(secret.length >= 10, `${name} was captured`);
    assert.ok(!dev.stderr.includes(secret), `${name} must not appear in the logs`);
  }
  for (const token of tokens) assert.ok(!dev.stdout.includes(token), 'an access token is not printed either');
}

let dataDir: string;
const processes: CliProcess[] = [];
let blocker: Server | undefined;

async function devArgs(): Promise<string[]> {
  const flags = ['gateway-port', 'admin-port', 'auth-port', 'vocabulary-port', 'user-service-port', 'demo-port'];
  const args = ['dev', '--data-dir', dataDir];
  for (const flag of flags) args.push(`--${flag}`, String(await freePort()));
  return args;
}

async function startDev(args: string[]): Promise<{ dev: CliProcess; banner: Banner; startedMs: number }> {
  const t0 = Date.now();
  const dev = new CliProcess('edgepass dev', args, cleanEnv({ EDGEPASS_LOG_LEVEL: 'info' }));
  processes.push(dev);
  const out = await dev.waitFor(READY, { timeoutMs: START_DEADLINE_MS });
  return { dev, banner: parseBanner(out), startedMs: Date.now() - t0 };
}

before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'edgepass-dev-'));
});

after(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('edgepass dev: first run', () => {
  let dev: CliProcess;
  let banner: Banner;
  let accessToken = '';
  let sessionCookie = '';
  let authorizationCode = '';
  let premiumToken = '';

  before(async () => {
    ({ dev, banner } = await startDev(await devArgs()));
  });

  test('comes up within 30 s and prints the URLs, the demo accounts and the keys', async () => {
    assert.equal(banner.demoEmail, 'demo@edgepass.local');
    assert.match(banner.demoKey, /^ep_test_[A-Za-z0-9_-]{20,}$/);
    assert.match(banner.workerKey, /^ep_test_[A-Za-z0-9_-]{20,}$/);
    assert.notEqual(banner.demoKey, banner.workerKey);
    assert.ok(banner.commands.length >= 3, 'at least three copy-paste commands');
    const ready = await fetch(`${banner.admin}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await fetch(`${banner.admin}/metrics`);
    assert.equal(metrics.status, 200);
    const discovery = (await (await fetch(`${banner.auth}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      authorization_endpoint: string;
      token_endpoint: string;
    };
    assert.equal(discovery.issuer, banner.auth);
    // one URL for everything: the auth service is served through the gateway, and says so
    assert.equal(banner.auth, banner.gateway, 'the issuer is the gateway’s URL');
    assert.equal(discovery.authorization_endpoint, `${banner.gateway}/oauth/authorize`);
    assert.equal(discovery.token_endpoint, `${banner.gateway}/oauth/token`);
  });

  test('every printed curl command returns what the banner says it returns', async () => {
    await checkPrintedCommands(banner, useRealCurl());
  });

  test('the login demo signs the demo user in with code + PKCE; its token and the session cookie work at the gateway', async () => {
    const login = await signInWithLoginDemo(banner, banner.demoEmail, banner.demoPassword);
    ({ accessToken, sessionCookie, authorizationCode } = login);
    const { browser } = login;
    assert.match(dev.stderr, /gateway +request .*path=\/oauth\/authorize .*route=auth-oauth +status=303/);
    assert.match(login.page, /plan <strong>free<\/strong>/);

    // the command the page shows, run as shown
    const shown = decodeEntities(/<textarea id="curl"[^>]*>([^<]+)<\/textarea>/.exec(login.page)?.[1] ?? '');
    const withToken = await runCurl(shown);
    assert.equal(sseEvents(withToken.stdout).at(-1), 'done', withToken.stdout + withToken.stderr);

    // the auth service's JSON API gets the Bearer token through the gateway (a passthrough route)
    const me = await fetch(`${banner.gateway}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { email: string }).email, banner.demoEmail);

    // the auth service's session cookie is a credential at the gateway too (same host)
    const bySession = await fetch(`${banner.gateway}/videos/s/vocabulary`, {
      method: 'POST',
      headers: { cookie: `ep_session=${sessionCookie}`, 'content-type': 'application/json' },
      body: JSON.stringify({ transcript: 'sessions work too' }),
    });
    assert.equal(bySession.status, 200);
    await bySession.text();

    // signing out (the page's link) revokes the session and the token at the gateway at once
    await signOut(banner, browser);
    const statusWith = (headers: Record<string, string>) =>
      fetch(`${banner.gateway}/videos/s/vocabulary`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ transcript: 'revoked' }),
      }).then((r) => r.status);
    assert.equal(await statusWith({ authorization: `Bearer ${accessToken}` }), 401);
    assert.equal(await statusWith({ cookie: `ep_session=${sessionCookie}` }), 401);
  });

  test('the premium user, signed in through the login demo, gets the premium route and more than the free quota', async () => {
    const premium = await signInWithLoginDemo(banner, banner.premiumEmail, banner.premiumPassword);
    assert.match(premium.page, /plan <strong>premium<\/strong>/);
    premiumToken = premium.accessToken;
    await checkPremiumUser(banner, premiumToken);
  });

  test('dev-credentials.json is readable by its owner only', () => {
    assert.equal(statSync(join(dataDir, 'dev-credentials.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  });

  test('no password, key, token, code or session id reaches the logs (stderr)', () => {
    assert.match(dev.stderr, /INFO +gateway +request /, 'the logs were written at info level');
    assert.doesNotMatch(dev.stderr, / DEBUG /, 'and not finer');
    assertNoSecretsLogged(
      dev,
      { ...bannerSecrets(banner), accessToken, sessionCookie, authorizationCode, premiumToken },
      [accessToken, premiumToken],
    );
  });

  test('Ctrl-C (SIGINT) stops everything and exits 0', async () => {
    assert.equal(await dev.stop('SIGINT'), 0, dev.stderr.slice(-2000));
    assert.match(dev.stderr, /stopped/);
    const down = await fetch(banner.gateway).then(
      () => 'up',
      () => 'down',
    );
    assert.equal(down, 'down');
  });

  describe('second run on the same data directory, after the worker key was revoked', () => {
    let second: Banner;

    before(async () => {
      // revoked with the CLI on the embedded store while dev is stopped: the next run must replace it
      const revoke = new CliProcess('edgepass api-keys revoke', ['api-keys', 'revoke', banner.workerKeyId], {
        ...cleanEnv(),
        EDGEPASS_DATA_DIR: dataDir,
      });
      processes.push(revoke);
      assert.equal(await revoke.exited, 0, revoke.stderr);
      ({ banner: second } = await startDev(await devArgs()));
    });

    test('shows the same demo user, password and demo key; a new worker key replaces the revoked one', async () => {
      assert.equal(second.demoPassword, banner.demoPassword);
      assert.equal(second.premiumPassword, banner.premiumPassword);
      assert.equal(second.demoKey, banner.demoKey);
      assert.notEqual(second.workerKey, banner.workerKey);
      const saved = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8')) as {
        signupWorkerKey: { key: string };
      };
      assert.equal(saved.signupWorkerKey.key, second.workerKey);
      const withOld = await fetch(`${second.gateway}/signups/sgn_x`, { headers: { 'x-api-key': banner.workerKey } });
      assert.equal(withOld.status, 401);
    });

    test('the printed commands work again (replayed with fetch; quota counters started afresh)', async () => {
      await checkPrintedCommands(second, false);
    });
  });
});

describe('edgepass dev: on a PostgreSQL server and Redis when DATABASE_URL and REDIS_URL are set', () => {
  test('uses them; the printed commands and both logins work, and no secret reaches the logs at trace level', async () => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'edgepass-dev-server-'));
    try {
      const args = await devArgs();
      args[args.indexOf('--data-dir') + 1] = dir;
      const t0 = Date.now();
      const dev = new CliProcess(
        'edgepass dev (server mode)',
        args,
        cleanEnv({
          DATABASE_URL: db.url,
          REDIS_URL: testRedisUrl(),
          EDGEPASS_REDIS_PREFIX: uniquePrefix('dev'),
          EDGEPASS_LOG_LEVEL: 'trace',
        }),
      );
      processes.push(dev);
      const out = await dev.waitFor(READY, { timeoutMs: START_DEADLINE_MS - (Date.now() - t0) });
      assert.match(out, /SQL: postgres, fast state: redis/);
      const banner = parseBanner(out);
      assert.ok(!banner.commands.some((c) => c.expect.includes('in memory')), 'no in-memory note with Redis');
      await checkPrintedCommands(banner, useRealCurl());
      const demo = await signInWithLoginDemo(banner, banner.demoEmail, banner.demoPassword);
      const premium = await signInWithLoginDemo(banner, banner.premiumEmail, banner.premiumPassword);
      await checkPremiumUser(banner, premium.accessToken);
      await signOut(banner, demo.browser);
      assert.equal(await dev.stop('SIGINT'), 0);
      // few components log below info; the gateway's key fetch does, so the level did reach them
      assert.match(dev.stderr, / DEBUG +gateway +issuer keys fetched /, 'the logs were written below info level');
      assert.match(dev.stderr, / DEBUG +gateway +event received +event=session\.revoked/, 'the logout’s event');
      const { accessToken, sessionCookie, authorizationCode } = demo;
      assertNoSecretsLogged(
        dev,
        {
          ...bannerSecrets(banner),
          accessToken,
          sessionCookie,
          authorizationCode,
          premiumToken: premium.accessToken,
          premiumSession: premium.sessionCookie,
          premiumCode: premium.authorizationCode,
        },
        [accessToken, premium.accessToken],
      );
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('edgepass dev: a busy port', () => {
  test('fails at once naming the port, what wanted it and how to move it', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(port, '127.0.0.1', resolve));
    const args = await devArgs();
    args[args.indexOf('--gateway-port') + 1] = String(port);
    const dev = new CliProcess('edgepass dev (busy port)', args, cleanEnv());
    processes.push(dev);
    assert.equal(await dev.exited, 1);
    assert.match(
      dev.stderr,
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 \\(gateway \\(public\\)\\) is already in use`),
    );
    assert.match(dev.stderr, /--gateway-port <n> or EDGEPASS_GATEWAY_PORT=<n>/);
    assert.equal(dev.stdout, '', 'no banner');
  });
});
