// Server-rendered HTML without a framework. One rule: every interpolated value goes through the `html`
// tagged template, which escapes it unless it is already SafeHtml (the output of another `html` call).
import { randomBytes } from 'node:crypto';

export class SafeHtml {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: literal parts are trusted markup, interpolations are escaped. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** CSP nonce for the inline stylesheet. */
  nonce: string;
}

const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
body{margin:0;display:flex;justify-content:center;padding:2rem 1rem}
main{width:100%;max-width:24rem}
h1{font-size:1.5rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin-top:1rem}
input{display:block;width:100%;box-sizing:border-box;padding:.6rem;font:inherit;border:1px solid #767676;border-radius:4px}
input[aria-invalid=true]{border-color:#b00020;border-width:2px}
.hint,.field-error{font-size:.9rem;margin:.25rem 0 0}
.field-error{color:#b00020}
button,.button{display:inline-block;margin-top:1.25rem;padding:.6rem 1rem;font:inherit;font-weight:600;border-radius:4px;border:0;background:#1a56db;color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:transparent;color:inherit;border:1px solid #767676}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.error-summary{border:2px solid #b00020;padding:.75rem 1rem;margin-bottom:1rem}
.error-summary h2{font-size:1.1rem;margin:0 0 .5rem}
.notice{border:2px solid #1a7f37;padding:.75rem 1rem;margin-bottom:1rem}
.alt{margin-top:1.5rem}
`;

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function page({ title, body, nonce }: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} — edgepass</title>
<style nonce="${nonce}">${new SafeHtml(STYLE)}</style>
</head>
<body>
<main id="main">
${body}
</main>
</body>
</html>
`.value;
}

/** Security headers for every HTML page (no caching: pages carry CSRF tokens). */
export function pageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
