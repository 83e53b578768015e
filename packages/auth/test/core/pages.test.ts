// The login, signup, consent and abort pages over real HTTP: accessible markup, CSRF, validation errors,
// generic login failures (no account enumeration), throttling per account and per IP, escaping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as oidc from 'openid-client';
import { Browser, decodeEntities, formTo, type PageResult } from './browser.ts';
import {
  clientConfig,
  codeFlowTokens,
  createUser,
  loginThroughForm,
  openLogin,
  PASSWORD,
  REDIRECT_URI,
  startTestAuth,
  type TestAuth,
} from './harness.ts';

let t: TestAuth;
let web: oidc.Configuration;

before(async () => {
  t = await startTestAuth({
    config: {
      throttle: {
        account: { points: 3, durationSec: 900 },
        ip: { points: 40, durationSec: 900 },
        signupIp: { points: 6, durationSec: 3600 },
      },
    },
  });
  web = await clientConfig(t, 'web', t.secrets.web);
  await createUser(t, 'carol@example.com');
});

after(async () => {
  await t.close();
});

/** A fresh login page plus a submit helper for it (each call = one browser, one client IP: 127.0.0.1). */
async function loginPage() {
  const flow = await openLogin(web);
  assert.equal(flow.loginPage.status, 200);
  const form = formTo(flow.loginPage, '/login');
  const submit = (fields: Record<string, string>) =>
    flow.browser.follow(form.action, { form: { ...form.fields, ...fields } }, REDIRECT_URI);
  return { ...flow, form, submit };
}

const generalError = (page: PageResult) =>
  /<div class="error-summary" role="alert"[\s\S]*?<\/div>/.exec(page.body)?.[0] ?? '';

describe('login page', () => {
  test('is accessible HTML with security headers', async () => {
    const { loginPage: page } = await loginPage();
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.body, /<html lang="en">/);
    assert.match(page.body, /<label for="email">/);
    assert.match(page.body, /<input id="email" name="email" type="email" autocomplete="username" required/);
    assert.match(page.body, /<label for="password">/);
    assert.match(page.body, /autocomplete="current-password"/);
    assert.match(page.body, /to continue to Web App/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'.*frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('x-request-id') ?? '', /^req_/);
    const [csrfInput] = /name="csrf" value="[^"]+"/.exec(page.body) ?? [];
    assert.ok(csrfInput, 'a CSRF token in the form');
  });

  test('missing fields: 400 with an error summary linking to the fields', async () => {
    const { submit } = await loginPage();
    const page = await submit({ email: '', password: '' });
    assert.equal(page.status, 400);
    assert.match(page.body, /<a href="#email">Enter your email address<\/a>/);
    assert.match(page.body, /<a href="#password">Enter your password<\/a>/);
    assert.match(page.body, /id="email" [^>]*aria-describedby="email-error"[^>]* aria-invalid="true"/);
  });

  test('wrong password and unknown email get the same generic answer (401); the log has the reason', async () => {
    const wrong = await (await loginPage()).submit({ email: 'carol@example.com', password: 'not the password at all' });
    const unknown = await (await loginPage()).submit({
      email: 'nobody@example.com',
      password: 'not the password at all',
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.match(generalError(wrong), /Invalid email or password\./);
    assert.equal(generalError(wrong), generalError(unknown));
    assert.ok(t.logs.some((l) => l.reason === 'password_mismatch'));
    assert.ok(t.logs.some((l) => l.reason === 'unknown_email'));
    assert.ok(!JSON.stringify(t.logs).includes('not the password at all'), 'passwords never reach the log');
    // the email stays in the form (escaped), the password does not
    assert.match(wrong.body, /value="carol@example.com"/);
    assert.doesNotMatch(wrong.body, /not the password/);
  });

  test('a forged or missing CSRF token is refused with 403 and no login happens', async () => {
    const { submit, browser } = await loginPage();
    for (const csrf of ['', 'forged-token']) {
      const page = await submit({ csrf, email: 'carol@example.com', password: PASSWORD });
      assert.equal(page.status, 403);
      assert.match(page.body, /The form has expired/);
      assert.equal(browser.cookies.has('ep_session'), false);
    }
    // a token minted for another interaction does not work either
    const other = await loginPage();
    const page = await submit({ csrf: other.form.fields.csrf ?? '', email: 'carol@example.com', password: PASSWORD });
    assert.equal(page.status, 403);
  });

  test('posting without the interaction cookie (another browser) is refused', async () => {
    const { form } = await loginPage();
    const page = await new Browser().request(form.action, {
      form: { ...form.fields, email: 'carol@example.com', password: PASSWORD },
    });
    assert.equal(page.status, 400);
    assert.match(page.body, /The sign-in request has expired/);
    assert.ok(t.logs.some((l) => l.reason === 'interaction_not_found'));
  });

  test('success sets ep_session (HttpOnly, SameSite=Lax) and returns to the client with a code', async () => {
    const { submit, browser } = await loginPage();
    const page = await submit({ email: 'CAROL@example.com', password: PASSWORD });
    assert.ok(page.url.startsWith(REDIRECT_URI), 'case-insensitive email');
    assert.ok(new URL(page.url).searchParams.get('code'));
    assert.ok(browser.cookies.get('ep_session'));
  });
});

describe('throttling', () => {
  test('per account: after the limit even the right password is refused with 429 + Retry-After; other accounts unaffected', async () => {
    await createUser(t, 'dave@example.com');
    for (let i = 0; i < 3; i++) {
      const page = await (await loginPage()).submit({ email: 'dave@example.com', password: `wrong password ${i}!` });
      assert.equal(page.status, 401);
    }
    const blocked = await (await loginPage()).submit({ email: 'dave@example.com', password: PASSWORD });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.match(generalError(blocked), /Too many attempts/);
    assert.ok(t.logs.some((l) => l.reason === 'login_throttled' && l.limit === 'account'));
    const other = await (await loginPage()).submit({ email: 'carol@example.com', password: PASSWORD });
    assert.ok(other.url.startsWith(REDIRECT_URI));
  });

  test('a successful login resets the account counter', async () => {
    await createUser(t, 'erin@example.com');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) {
        assert.equal(
          (await (await loginPage()).submit({ email: 'erin@example.com', password: 'wrong password!!' })).status,
          401,
        );
      }
      const ok = await (await loginPage()).submit({ email: 'erin@example.com', password: PASSWORD });
      assert.ok(ok.url.startsWith(REDIRECT_URI), `round ${round}: 2 failures + success stays under the limit of 3`);
    }
  });

  test('per IP: failures across many accounts hit the IP limit', async () => {
    const fresh = await startTestAuth({ config: { throttle: { ip: { points: 4, durationSec: 900 } } } });
    try {
      const config = await clientConfig(fresh, 'web', fresh.secrets.web);
      const attempt = async (email: string) => {
        const { loginPage: page, browser } = await openLogin(config);
        const form = formTo(page, '/login');
        return await browser.follow(
          form.action,
          { form: { ...form.fields, email, password: 'wrong password!!' } },
          REDIRECT_URI,
        );
      };
      for (let i = 0; i < 4; i++) assert.equal((await attempt(`user${i}@example.com`)).status, 401);
      const blocked = await attempt('user9@example.com');
      assert.equal(blocked.status, 429);
      assert.ok(fresh.logs.some((l) => l.reason === 'login_throttled' && l.limit === 'ip'));
    } finally {
      await fresh.close();
    }
  });

  test('per IP: successful logins to an account of ones own do not buy more guesses at others', async () => {
    const fresh = await startTestAuth({ config: { throttle: { ip: { points: 4, durationSec: 900 } } } });
    try {
      await createUser(fresh, 'mallory@example.com');
      const config = await clientConfig(fresh, 'web', fresh.secrets.web);
      const attempt = async (email: string, password: string) => {
        const { loginPage: page, browser } = await openLogin(config);
        const form = formTo(page, '/login');
        return await browser.follow(form.action, { form: { ...form.fields, email, password } }, REDIRECT_URI);
      };
      for (let i = 0; i < 2; i++) {
        assert.equal((await attempt(`victim${i}@example.com`, 'guessed password')).status, 401);
        const own = await attempt('mallory@example.com', PASSWORD);
        assert.ok(own.url.startsWith(REDIRECT_URI), 'the attacker’s own login succeeds');
      }
      const blocked = await attempt('victim9@example.com', 'guessed password');
      assert.equal(blocked.status, 429, 'four attempts from the IP, whatever their outcome, use its four slots');
      assert.ok(fresh.logs.some((l) => l.reason === 'login_throttled' && l.limit === 'ip'));
    } finally {
      await fresh.close();
    }
  });
});

describe('signup', () => {
  async function signupPage(browser?: Browser) {
    const flow = await openLogin(web, undefined, browser);
    const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(flow.loginPage.body)?.[1];
    assert.ok(link, 'the login page links to signup');
    const page = await flow.browser.request(new URL(link, t.issuer).href);
    assert.equal(page.status, 200);
    const form = formTo(page, '/signup');
    return {
      ...flow,
      page,
      form,
      submit: (f: Record<string, string>) => flow.browser.request(form.action, { form: { ...form.fields, ...f } }),
    };
  }

  test('the form is accessible: new-password autocomplete, hint tied to the field', async () => {
    const { page } = await signupPage();
    assert.match(page.body, /autocomplete="new-password"/);
    assert.match(page.body, /autocomplete="email"/);
    assert.match(page.body, /id="password-hint"/);
    assert.match(page.body, /aria-describedby="password-hint"/);
  });

  test('validation: invalid email, short password, password equal to the email (400, fields linked)', async () => {
    const { submit } = await signupPage();
    const bad = await submit({ email: 'not-an-email', password: 'short' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<a href="#email">Enter an email address like name@example.com<\/a>/);
    assert.match(bad.body, /<a href="#password">Use at least 12 characters for your password<\/a>/);
    const same = await submit({ email: 'frank.long.name@example.com', password: 'frank.long.name@example.com' });
    assert.equal(same.status, 400);
    assert.match(same.body, /must not be your email address/);
    const long = await submit({ email: 'frank@example.com', password: 'x'.repeat(129) });
    assert.match(long.body, /at most 128 characters/);
  });

  test('sign up, then log in, then land at the client with a code', async () => {
    const { submit, browser, verifier, state } = await signupPage();
    const done = await submit({
      name: 'Grace <Hopper>',
      email: 'grace@example.com',
      password: 'a long enough passphrase',
    });
    assert.equal(done.status, 200);
    assert.match(done.body, /role="status">Thanks\. Sign in/);
    assert.match(done.body, /value="grace@example.com"/);
    const user = await t.service.accounts.findByEmail('grace@example.com');
    assert.equal(user?.name, 'Grace <Hopper>');
    assert.equal(user?.plan, 'free');
    const form = formTo(done, '/login');
    const back = await browser.follow(
      form.action,
      { form: { ...form.fields, password: 'a long enough passphrase' } },
      REDIRECT_URI,
    );
    assert.ok(back.url.startsWith(REDIRECT_URI));
    const tokens = await codeFlowTokens(web, {
      browser,
      callback: new URL(back.url),
      verifier,
      state,
      loginPage: done,
    });
    assert.equal(tokens.claims()?.sub, user?.id);
  });

  test('an existing email answers exactly like a new one (no enumeration) and changes nothing', async () => {
    const before = await t.service.accounts.findByEmail('carol@example.com');
    const taken = await (await signupPage()).submit({ email: 'Carol@Example.com', password: 'another long password' });
    const fresh = await (await signupPage()).submit({ email: 'heidi@example.com', password: 'another long password' });
    assert.equal(taken.status, fresh.status);
    const notice = (p: PageResult) => /<div class="notice" role="status">[^<]*<\/div>/.exec(p.body)?.[0];
    assert.equal(notice(taken), notice(fresh));
    assert.ok(t.logs.some((l) => l.reason === 'signup_email_taken'));
    const after = await t.service.accounts.findByEmail('carol@example.com');
    assert.deepEqual(after, before);
    const login = await loginThroughForm(web, 'carol@example.com');
    assert.ok(login.callback.searchParams.get('code'), 'the original password still works');
  });

  test('values are escaped when the form is re-rendered', async () => {
    const { submit } = await signupPage();
    const page = await submit({ name: '"><script>alert(1)</script>', email: 'bad', password: 'short' });
    assert.equal(page.status, 400);
    assert.doesNotMatch(page.body, /<script>alert/);
    assert.match(page.body, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.equal(decodeEntities('&quot;&gt;&lt;script&gt;'), '"><script>');
  });

  test('signup is throttled per IP', async () => {
    let last: PageResult | undefined;
    for (let i = 0; i < 8 && last?.status !== 429; i++) {
      last = await (await signupPage()).submit({ email: `bulk${i}@example.com`, password: 'a long enough passphrase' });
    }
    assert.equal(last?.status, 429);
    assert.ok(Number(last?.headers.get('retry-after')) > 0);
  });

  test('signup CSRF failure is refused', async () => {
    const { submit } = await signupPage();
    const page = await submit({ csrf: 'nope', email: 'ivan@example.com', password: 'a long enough passphrase' });
    assert.equal(page.status, 403);
    assert.equal(await t.service.accounts.findByEmail('ivan@example.com'), undefined);
  });
});

describe('consent and abort', () => {
  test('a third-party client shows the consent page; Allow returns a code', async () => {
    const spa = await clientConfig(t, 'spa');
    const { browser, loginPage: page } = await openLogin(spa, 'openid usage:read');
    const form = formTo(page, '/login');
    const consent = await browser.follow(
      form.action,
      { form: { ...form.fields, email: 'carol@example.com', password: PASSWORD } },
      REDIRECT_URI,
    );
    assert.equal(consent.status, 200);
    assert.match(consent.body, /Third-party SPA wants to access your account/);
    assert.match(consent.body, /<code>usage:read<\/code>/);
    const allow = formTo(consent, '/consent');
    const forged = await browser.request(allow.action, { form: { ...allow.fields, csrf: 'x' } });
    assert.equal(forged.status, 403);
    const back = await browser.follow(allow.action, { form: allow.fields }, REDIRECT_URI);
    assert.ok(new URL(back.url).searchParams.get('code'));
  });

  test('Cancel on the login page returns access_denied to the client', async () => {
    const { browser, loginPage: page } = await openLogin(web);
    const abort = formTo(page, '/abort');
    const back = await browser.follow(abort.action, { form: abort.fields }, REDIRECT_URI);
    const params = new URL(back.url).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('code'), null);
  });

  test('an unknown interaction is an HTML error page, not a stack trace', async () => {
    const page = await new Browser().request(`${t.issuer}/interaction/nope`);
    assert.equal(page.status, 400);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.body, /Reference: <code>req_/);
    assert.doesNotMatch(page.body, /at .*\.ts:\d+/);
  });
});
