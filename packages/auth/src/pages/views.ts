// The HTML views: login, signup, account linking, consent, logout, signed-out and error pages. Accessible by
// construction: lang, labels tied to inputs, autocomplete attributes, an error summary (role=alert) whose entries
// link to the fields, aria-invalid/aria-describedby on fields in error; plain forms that work without JavaScript.
import { html, type SafeHtml } from './html.ts';

export interface FieldErrors {
  [field: string]: string;
}

export interface ExternalLink {
  id: string;
  name: string;
}

/**
 * Where a login with an external provider starts: under the interaction's path, the only one the browser sends
 * oidc-provider's interaction cookie to (GET /auth/:provider/start redirects here too).
 */
export const externalLoginPath = (uid: string, provider: string): string =>
  `/interaction/${encodeURIComponent(uid)}/external/${encodeURIComponent(provider)}`;

function errorSummary(errors: FieldErrors, general?: string): SafeHtml {
  const entries = Object.entries(errors);
  if (entries.length === 0 && !general) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">There is a problem</h2>
<ul>
${general ? html`<li>${general}</li>` : ''}
${entries.map(([field, message]) => html`<li><a href="#${field}">${message}</a></li>`)}
</ul>
</div>`;
}

interface InputOptions {
  id: string;
  label: string;
  type: string;
  autocomplete: string;
  value?: string;
  required?: boolean;
  hint?: string;
  errors: FieldErrors;
  extra?: SafeHtml;
}

function input(o: InputOptions): SafeHtml {
  const error = o.errors[o.id];
  const describedBy = [o.hint ? `${o.id}-hint` : '', error ? `${o.id}-error` : ''].filter(Boolean).join(' ');
  return html`<label for="${o.id}">${o.label}</label>
${o.hint ? html`<p class="hint" id="${o.id}-hint">${o.hint}</p>` : ''}
${error ? html`<p class="field-error" id="${o.id}-error">${error}</p>` : ''}
<input id="${o.id}" name="${o.id}" type="${o.type}" autocomplete="${o.autocomplete}"${o.required === false ? '' : html` required`}${o.value ? html` value="${o.value}"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${error ? html` aria-invalid="true"` : ''}${o.extra ?? ''}>`;
}

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** The button that ends an interaction with access_denied (Cancel, Deny). */
const abortForm = (
  uid: string,
  csrf: string,
  label: string,
) => html`<form method="post" action="/interaction/${uid}/abort">
${csrfField(csrf)}
<button type="submit" class="secondary">${label}</button>
</form>`;

export interface LoginView {
  uid: string;
  csrf: string;
  clientName: string;
  email?: string;
  errors?: FieldErrors;
  general?: string;
  notice?: string;
  allowSignup: boolean;
  providers: readonly ExternalLink[];
}

export function loginView(v: LoginView): SafeHtml {
  const errors = v.errors ?? {};
  return html`<h1>Sign in</h1>
<p>to continue to ${v.clientName}</p>
${v.notice ? html`<div class="notice" role="status">${v.notice}</div>` : ''}
${errorSummary(errors, v.general)}
<form method="post" action="/interaction/${v.uid}/login">
${csrfField(v.csrf)}
${input({ id: 'email', label: 'Email address', type: 'email', autocomplete: 'username', value: v.email, errors, extra: html` spellcheck="false" autocapitalize="none"` })}
${input({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', errors })}
<button type="submit">Sign in</button>
</form>
${
  v.providers.length > 0
    ? html`<div class="alt"><h2>Or sign in with</h2><ul>${v.providers.map(
        (p) => html`<li><a href="${externalLoginPath(v.uid, p.id)}">${p.name}</a></li>`,
      )}</ul></div>`
    : ''
}
${v.allowSignup ? html`<p class="alt">No account yet? <a href="/interaction/${v.uid}/signup">Create an account</a></p>` : ''}
${abortForm(v.uid, v.csrf, 'Cancel')}`;
}

export interface SignupView {
  uid: string;
  csrf: string;
  clientName: string;
  email?: string;
  name?: string;
  errors?: FieldErrors;
  general?: string;
}

export function signupView(v: SignupView): SafeHtml {
  const errors = v.errors ?? {};
  return html`<h1>Create an account</h1>
<p>to continue to ${v.clientName}</p>
${errorSummary(errors, v.general)}
<form method="post" action="/interaction/${v.uid}/signup">
${csrfField(v.csrf)}
${input({ id: 'name', label: 'Name (optional)', type: 'text', autocomplete: 'name', value: v.name, required: false, errors })}
${input({ id: 'email', label: 'Email address', type: 'email', autocomplete: 'email', value: v.email, errors, extra: html` spellcheck="false" autocapitalize="none"` })}
${input({ id: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', hint: 'At least 12 characters. A passphrase of several words works well.', errors, extra: html` minlength="12" maxlength="128"` })}
<button type="submit">Create account</button>
</form>
<p class="alt">Already have an account? <a href="/interaction/${v.uid}">Sign in</a></p>`;
}

export interface LinkAccountView {
  uid: string;
  csrf: string;
  clientName: string;
  /** The existing local account's email address (the one the external provider asserted). */
  email: string;
  providerName: string;
  errors?: FieldErrors;
  general?: string;
}

/** Linking an external login to an existing account whose email is unverified: prove it is yours. */
export function linkAccountView(v: LinkAccountView): SafeHtml {
  const errors = v.errors ?? {};
  return html`<h1>Link your ${v.providerName} sign-in</h1>
<p>An account for <strong>${v.email}</strong> already exists. Enter its password to link it to ${v.providerName} and continue to ${v.clientName}.</p>
${errorSummary(errors, v.general)}
<form method="post" action="/interaction/${v.uid}/link">
${csrfField(v.csrf)}
${input({ id: 'password', label: 'Password of this account', type: 'password', autocomplete: 'current-password', errors })}
<button type="submit">Link and continue</button>
</form>
${abortForm(v.uid, v.csrf, 'Cancel')}`;
}

export interface ConsentView {
  uid: string;
  csrf: string;
  clientName: string;
  scopes: string[];
}

export function consentView(v: ConsentView): SafeHtml {
  return html`<h1>Allow access?</h1>
<p>${v.clientName} wants to access your account${v.scopes.length ? ':' : '.'}</p>
${v.scopes.length ? html`<ul>${v.scopes.map((s) => html`<li><code>${s}</code></li>`)}</ul>` : ''}
<form method="post" action="/interaction/${v.uid}/consent">
${csrfField(v.csrf)}
<button type="submit">Allow</button>
</form>
${abortForm(v.uid, v.csrf, 'Deny')}`;
}

export function logoutView(csrf: string, redirect?: { clientId: string; uri: string }): SafeHtml {
  return html`<h1>Sign out</h1>
<p>Sign out of edgepass on this device? Applications you signed in to lose access.</p>
<form method="post" action="/logout">
${csrfField(csrf)}
${redirect ? html`<input type="hidden" name="client_id" value="${redirect.clientId}"><input type="hidden" name="post_logout_redirect_uri" value="${redirect.uri}">` : ''}
<button type="submit">Sign out</button>
</form>`;
}

export function signedOutView(): SafeHtml {
  return html`<h1>Signed out</h1>
<p role="status">You have been signed out. You can close this window.</p>`;
}

export function errorView(title: string, requestId: string): SafeHtml {
  return html`<h1>Something went wrong</h1>
<p role="alert">${title}</p>
<p class="hint">Reference: <code>${requestId}</code></p>`;
}
