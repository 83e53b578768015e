// `edgepass dev` (what `npm start` runs) as a user meets it: a child process on a fresh data directory and
// free ports; the banner appears within 30 s; every curl command it prints is run as printed and returns
// what the banner says; the login demo signs the demo user in; logout revokes; no secret reaches the logs;
// Ctrl-C exits 0; a second run on the same data directory shows (and honours) the same credentials; a busy
// port fails at once with the port and the flag to change it.
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
import { hasCurl, httpResponse, runCurl } from './support/curl.ts';

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
    premiumPassword: field(text, /^ {2}premium user +\S+ +password: (\S+)/m, 'the premium password'),
    demoKey: field(text, /^ {2}demo API key +(ep_\S+)/m, 'the demo API key'),
    workerKey: field(text, /^ {2}worker API key +(ep_\S+)/m, 'the worker API key'),
    workerKeyId: field(text, /^ {2}worker API key +\S+ +\((key_[\w-]+),/m, 'the worker API key id'),
    commands,
  };
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

  assert.match(anonymous.expect, /^401 application\/problem\+json, WWW-Authenticate: Bearer/);
  const refused = httpResponse((await runCurl(anonymous.command, useCurl)).stdout);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.match(refused.headers['www-authenticate'] ?? '', /^Bearer /);
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
    await checkPrintedCommands(banner, hasCurl());
  });

  test('the login demo signs the demo user in with code + PKCE; its token and the session cookie work at the gateway', async () => {
    const browser = new Browser();
    const loginPage = await browser.follow(`${banner.login}login`);
    assert.equal(loginPage.status, 200);
    assert.ok(
      loginPage.url.startsWith(`${banner.gateway}/interaction/`),
      'the auth service’s login page, through the gateway',
    );
    assert.match(dev.stderr, /gateway +request .*path=\/oauth\/authorize .*route=auth-oauth +status=303/);
    const form = formTo(loginPage, '/login');
    const back = await browser.follow(
      form.action,
      { form: { ...form.fields, email: banner.demoEmail, password: banner.demoPassword } },
      `${banner.login}callback`,
    );
    authorizationCode = new URL(back.url).searchParams.get('code') ?? '';
    assert.ok(authorizationCode, 'redirected to the demo callback with a code');
    const signedIn = await browser.request(back.url);
    assert.equal(signedIn.status, 200, signedIn.body.slice(0, 300));
    assert.match(signedIn.body, /plan <strong>free<\/strong>/);
    accessToken = /<textarea id="token"[^>]*>([^<]+)<\/textarea>/.exec(signedIn.body)?.[1] ?? '';
    assert.match(accessToken, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    // the command the page shows, run as shown
    const shown = decodeEntities(/<textarea id="curl"[^>]*>([^<]+)<\/textarea>/.exec(signedIn.body)?.[1] ?? '');
    const withToken = await runCurl(shown);
    assert.equal(sseEvents(withToken.stdout).at(-1), 'done', withToken.stdout + withToken.stderr);

    // the auth service's JSON API gets the Bearer token through the gateway (a passthrough route)
    const me = await fetch(`${banner.gateway}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { email: string }).email, banner.demoEmail);

    // the auth service's session cookie is a credential at the gateway too (same host)
    sessionCookie = browser.cookies.get('ep_session') ?? '';
    assert.ok(sessionCookie, 'the login set ep_session');
    const bySession = await fetch(`${banner.gateway}/videos/s/vocabulary`, {
      method: 'POST',
      headers: { cookie: `ep_session=${sessionCookie}`, 'content-type': 'application/json' },
      body: JSON.stringify({ transcript: 'sessions work too' }),
    });
    assert.equal(bySession.status, 200);
    await bySession.text();

    // signing out (the page's link) revokes the session and the token at the gateway at once
    const logoutPage = await browser.follow(`${banner.auth}/logout`);
    const logout = formTo(logoutPage, '/logout');
    await browser.follow(logout.action, { form: logout.fields });
    const statusWith = (headers: Record<string, string>) =>
      fetch(`${banner.gateway}/videos/s/vocabulary`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ transcript: 'revoked' }),
      }).then((r) => r.status);
    assert.equal(await statusWith({ authorization: `Bearer ${accessToken}` }), 401);
    assert.equal(await statusWith({ cookie: `ep_session=${sessionCookie}` }), 401);
  });

  test('dev-credentials.json is readable by its owner only', () => {
    assert.equal(statSync(join(dataDir, 'dev-credentials.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  });

  test('no password, key, token, code or session id reaches the logs (stderr)', () => {
    assert.match(dev.stderr, /INFO +gateway +request /, 'the logs were written at info level');
    const secrets = {
      demoPassword: banner.demoPassword,
      premiumPassword: banner.premiumPassword,
      demoKey: banner.demoKey,
      workerKey: banner.workerKey,
      accessToken,
      sessionCookie,
      authorizationCode,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(secret.length >= 10, `${name} was captured`);
      assert.ok(!dev.stderr.includes(secret), `${name} must not appear in the logs`);
    }
    assert.ok(!dev.stdout.includes(accessToken), 'the access token is not printed either');
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
  test('uses them, and the printed commands work', async () => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'edgepass-dev-server-'));
    try {
      const args = await devArgs();
      args[args.indexOf('--data-dir') + 1] = dir;
      const t0 = Date.now();
      const dev = new CliProcess(
        'edgepass dev (server mode)',
        args,
        cleanEnv({ DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), EDGEPASS_REDIS_PREFIX: uniquePrefix('dev') }),
      );
      processes.push(dev);
      const out = await dev.waitFor(READY, { timeoutMs: START_DEADLINE_MS - (Date.now() - t0) });
      assert.match(out, /SQL: postgres, fast state: redis/);
      const banner = parseBanner(out);
      assert.ok(!banner.commands.some((c) => c.expect.includes('in memory')), 'no in-memory note with Redis');
      await checkPrintedCommands(banner, hasCurl());
      assert.equal(await dev.stop('SIGINT'), 0);
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
