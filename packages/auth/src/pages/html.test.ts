import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Csrf } from './csrf.ts';
import { escapeHtml, html, page } from './html.ts';
import { loginView } from './views.ts';

test('every interpolation is escaped unless it is already html', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const evil = '"><script>alert(1)</script>';
  assert.equal(html`<p title="${evil}">${evil}</p>`.value, `<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`);
  assert.equal(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.value, '<ul>&lt;a&gt;<li>ok</li></ul>');
  assert.equal(html`${null}${undefined}${false}${0}`.value, '0');
});

test('views escape user-controlled values (client name, email)', () => {
  const body = loginView({
    uid: 'u1',
    csrf: 't',
    clientName: '<img src=x onerror=alert(1)>',
    email: '"onfocus="alert(1)',
    allowSignup: true,
    providers: [{ id: 'acme', name: '<b>Acme</b>' }],
  });
  const out = page({ title: 'Sign in', body, nonce: 'n' });
  assert.doesNotMatch(out, /<img|<b>Acme/);
  assert.match(out, /value="&quot;onfocus=&quot;alert\(1\)"/);
  assert.match(out, /<html lang="en">/);
});

test('CSRF tokens bind to purpose and state, and resist forgery', () => {
  const csrf = new Csrf(new Uint8Array(randomBytes(32)));
  const token = csrf.token('login', 'uid-1');
  assert.equal(csrf.verify('login', 'uid-1', token), true);
  assert.equal(csrf.verify('login', 'uid-2', token), false);
  assert.equal(csrf.verify('logout', 'uid-1', token), false);
  assert.equal(new Csrf(new Uint8Array(randomBytes(32))).verify('login', 'uid-1', token), false);
  for (const bad of [undefined, '', 42, `${token}x`, token.slice(1), 'x'.repeat(500)]) {
    assert.equal(csrf.verify('login', 'uid-1', bad), false);
  }
});
