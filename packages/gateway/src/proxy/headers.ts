// Header rewriting between the client and the upstream, both directions.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Connection-specific request fields (RFC 9110 §7.6.1 and the classic RFC 2616 list), never forwarded:
 * the gateway's connection to the upstream is its own. `expect` is answered by the gateway's HTTP server
 * (100-continue) and `host` is the target's (the client's is sent as x-forwarded-host); `forwarded` and the
 * x-forwarded-* fields are rewritten below.
 */
const REQUEST_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/** Connection-specific response fields, never passed back to the client. */
const RESPONSE_HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const;

export interface UpstreamHeaderOptions {
  /** Lower-case names of further request headers to drop (credentials the gateway consumed, x-passport). */
  remove: ReadonlySet<string>;
  /** Name of a cookie to drop from Cookie (the session cookie); the other cookies pass. */
  removeCookie?: string;
  /** Set last, overriding anything copied (x-passport, x-request-id, traceparent, ...). Names are lower-cased. */
  set: Record<string, string>;
  /**
   * Whether the client is a trusted proxy (a load balancer in front of the gateway): then its x-forwarded-for
   * is appended to and its x-forwarded-proto/-host and Forwarded are kept. Default false: at the edge these are
   * client-controlled, so they are replaced by what the gateway saw itself.
   */
  trustForwarded?: boolean;
}

/** Lower-cased, trimmed field names listed in a Connection header value ("close" and "keep-alive" included). */
export function connectionTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  if (joined === 'keep-alive' || joined === 'close' || joined === 'Keep-Alive' || joined === 'Close') return [];
  const tokens: string[] = [];
  for (const token of joined.split(',')) {
    const t = token.trim().toLowerCase();
    if (t !== '') tokens.push(t);
  }
  return tokens;
}

/** Removes every `name=value` pair named `name` from a Cookie header value; undefined when none is left. */
export function dropCookie(cookie: string, name: string): string | undefined {
  if (!cookie.includes(name)) return cookie;
  const kept: string[] = [];
  for (const pair of cookie.split(';')) {
    const eq = pair.indexOf('=');
    const key = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    if (key !== name && pair.trim() !== '') kept.push(pair.trim());
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * The upstream request headers for a client request: the client's headers minus hop-by-hop fields (including
 * those the client listed in Connection), minus `remove`, minus the cookie `removeCookie`; then
 * x-forwarded-for/-proto/-host; then `set`. `host` is not copied: the upstream sees its own host name (as
 * nginx's default `proxy_set_header Host $proxy_host`) unless `set.host` says otherwise.
 */
export function buildUpstreamHeaders(req: IncomingMessage, options: UpstreamHeaderOptions): OutgoingHttpHeaders {
  const src = req.headers;
  const out: OutgoingHttpHeaders = {};
  const listed = src.connection === undefined ? undefined : connectionTokens(src.connection);
  const remove = options.remove;
  for (const name in src) {
    if (REQUEST_DROPPED.has(name) || remove.has(name)) continue;
    if (listed !== undefined && listed.length > 0 && listed.includes(name)) continue;
    out[name] = src[name];
  }
  if (options.removeCookie !== undefined && typeof out.cookie === 'string') {
    const cookie = dropCookie(out.cookie, options.removeCookie);
    if (cookie === undefined) delete out.cookie;
    else out.cookie = cookie;
  }

  const socket = req.socket;
  const clientAddress = socket.remoteAddress ?? '';
  const proto = (socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
  if (options.trustForwarded === true) {
    const xff = src['x-forwarded-for'];
    out['x-forwarded-for'] = xff === undefined || xff === '' ? clientAddress : `${xff}, ${clientAddress}`;
    out['x-forwarded-proto'] = src['x-forwarded-proto'] ?? proto;
    out['x-forwarded-host'] = src['x-forwarded-host'] ?? src.host ?? '';
    if (src.forwarded !== undefined) out.forwarded = src.forwarded;
  } else {
    out['x-forwarded-for'] = clientAddress;
    out['x-forwarded-proto'] = proto;
    if (src.host !== undefined) out['x-forwarded-host'] = src.host;
  }

  const set = options.set;
  for (const name in set) out[name.toLowerCase()] = set[name];
  return out;
}

/**
 * Removes the hop-by-hop fields (and those the upstream listed in Connection) from a parsed upstream response
 * header object, in place. Everything else, including repeated Set-Cookie, stays.
 */
export function stripResponseHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const name of connectionTokens(connection)) delete headers[name];
  }
  for (const name of RESPONSE_HOP_BY_HOP) {
    if (headers[name] !== undefined) delete headers[name];
  }
  return headers;
}
