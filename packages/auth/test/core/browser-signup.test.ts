// A real browser (Debian's Chromium via playwright-core): start at the authorization endpoint, create an
// account on the signup page, sign in, and land at the client's redirect_uri (a local server) with a code
// that redeems for tokens.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as oidc from 'openid-client';
import { type BrowserContext, chromium } from 'playwright-core';
import { startTestAuth } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';

test('sign up, log in and land at the client with a code (Chromium)', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`,
}, async () => {
  const arrivals: URL[] = [];
  const client: Server = createServer((req, res) => {
    arrivals.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>client</title><h1 id="arrived">Back at the client</h1></html>');
  });
  await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
  const address = client.address();
  const redirectUri = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/callback`;
  const t = await startTestAuth({
    config: {
      clients: [
        { clientId: 'browser-app', name: 'Browser App', public: true, firstParty: true, redirectUris: [redirectUri] },
      ],
    },
  });
  // a fresh user-data-dir per run (playwright takes it as launchPersistentContext's first argument)
  const profile = mkdtempSync(join(tmpdir(), 'edgepass-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const config = await oidc.discovery(new URL(t.issuer), 'browser-app', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(url.href);
    assert.equal(await page.title(), 'Sign in — edgepass');

    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name (optional)').fill('Olivia');
    await page.getByLabel('Email address').fill('olivia@example.com');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // the browser's own validation (minlength) or ours: either way no account yet
    assert.equal(await t.service.accounts.findByEmail('olivia@example.com'), undefined);
    await page.getByLabel('Password').fill('a passphrase long enough');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('status').filter({ hasText: 'Sign in with your email address and password' }).waitFor();
    assert.equal(await page.getByLabel('Email address').inputValue(), 'olivia@example.com');

    await page.getByLabel('Password').fill('a passphrase long enough');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#arrived').waitFor();

    const landed = new URL(page.url());
    assert.equal(`${landed.origin}${landed.pathname}`, redirectUri);
    assert.equal(landed.searchParams.get('state'), state);
    const code = landed.searchParams.get('code');
    assert.ok(code);
    const received = arrivals.find((u) => u.pathname === '/callback');
    assert.equal(received?.searchParams.get('code'), code, 'the client server received the code');
    const cookies = await context.cookies(t.issuer);
    const session = cookies.find((c) => c.name === 'ep_session');
    assert.ok(session?.httpOnly);
    assert.equal(session?.sameSite, 'Lax');

    const tokens = await oidc.authorizationCodeGrant(config, landed, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const user = await t.service.accounts.findByEmail('olivia@example.com');
    assert.equal(tokens.claims()?.sub, user?.id);
  } finally {
    await context?.close();
    await t.close();
    await new Promise((resolve) => client.close(resolve));
    rmSync(profile, { recursive: true, force: true });
  }
});
