// Per-target state, computed once when an upstream is created: parsed URL parts, the Host header, the undici
// Pool (keep-alive connections), and the passive-health counters the balancer keeps.
import type { SecureContext } from 'node:tls';
import { Pool } from 'undici';
import type { BalancedTarget } from './balancer.ts';

export interface Target extends BalancedTarget {
  /** As configured (for reports). */
  readonly url: string;
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number;
  /** Host header value for the target: host[:port], port omitted when it is the scheme's default. */
  readonly host: string;
  /** The target URL's path without a trailing slash ('' for '/'): prefixed to every forwarded path. */
  readonly basePath: string;
  readonly pool: Pool;
}

export interface PoolSettings {
  timeoutMs: number;
  connectTimeoutMs: number;
  connections: number | undefined;
  secureContext: SecureContext | undefined;
}

export function parseTarget(raw: string, upstream: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`upstream "${upstream}": target ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`upstream "${upstream}": target ${raw} must be http:// or https://`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`upstream "${upstream}": target URLs must not carry credentials`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`upstream "${upstream}": target ${url.origin} must not have a query or fragment`);
  }
  return url;
}

export function createTarget(url: URL, settings: PoolSettings): Target {
  const secure = url.protocol === 'https:';
  const pool = new Pool(url.origin, {
    connections: settings.connections ?? null,
    pipelining: 1,
    allowH2: false,
    connectTimeout: settings.connectTimeoutMs,
    // no response headers within timeoutMs -> 504; once streaming, timeoutMs is the idle time between chunks
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    strictContentLength: true,
    connect: settings.secureContext === undefined ? undefined : { secureContext: settings.secureContext },
  });
  const pathname = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return {
    url: url.href,
    secure,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    host: url.host,
    basePath: pathname,
    pool,
    failures: 0,
    downUntil: 0,
    trial: false,
  };
}
