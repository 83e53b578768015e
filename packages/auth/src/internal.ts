// @edgepass/auth/internal: helpers for first-party packages only (the `edgepass` CLI's dev pages and log),
// not a public API: they may change with any release. Server-rendered HTML (escaping, the page shell, its
// security headers) and the log paths the auth service redacts.

export { REDACT_PATHS } from './logger.ts';
export { escapeHtml, html, newNonce, type PageOptions, page, pageHeaders, SafeHtml } from './pages/html.ts';
