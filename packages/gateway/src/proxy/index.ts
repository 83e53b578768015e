// The gateway's upstream proxy: undici pools per target, round robin with passive health, streaming in both
// directions, WebSocket tunnels. The rest of the gateway calls it only through this module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import { Balancer, DEFAULT_PASSIVE_HEALTH, type PassiveHealth } from './balancer.ts';
import { type ForwardOptions, type ForwardResult, forward } from './forward.ts';
import { createTarget, parseTarget, type Target } from './targets.ts';
import { upstreamSecureContext } from './tls.ts';
import { proxyUpgrade, type UpgradeContext } from './websocket.ts';

export { PROXY_ERROR_STATUS, ProxyError, type ProxyErrorCode } from './errors.ts';
export type { ForwardOptions, ForwardResult } from './forward.ts';
export { buildUpstreamHeaders, type UpstreamHeaderOptions } from './headers.ts';

export interface UpstreamOptions {
  name: string;
  /** http:// or https:// URLs; a path in a target URL is prefixed to every forwarded path. */
  targets: string[];
  /** No response headers within this time → 504; once streaming, the longest silence between two chunks. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Most connections per target (default: no limit; idle ones are kept alive). */
  connections?: number;
  /** Default { failures: 3, cooldownMs: 10000 }. */
  passiveHealth?: { failures: number; cooldownMs: number };
  /** Extra trusted CA certificates (PEM) for https:// targets, on top of Node's bundled and the system CAs. */
  ca?: string | readonly string[];
  /** Clock for the passive-health cooldown (ms). Default Date.now. */
  now?: () => number;
}

export interface TargetStatus {
  url: string;
  healthy: boolean;
  consecutiveFailures: number;
}

export interface Upstream {
  /** Streams req → upstream → res. Resolves when the response is finished or the client went away (upstream
   *  aborted). Rejects with ProxyError BEFORE anything was written to res (caller writes the problem+json):
   *  code UPSTREAM_CONNECT_FAILED (502), UPSTREAM_UNAVAILABLE (503: every target marked down), UPSTREAM_TIMEOUT (504). */
  forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<ForwardResult>;
  /** WebSocket: proxies an (already authenticated) upgrade request; writes an HTTP error on the socket if it fails. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, options: ForwardOptions): void;
  targets(): TargetStatus[];
  /** Graceful: in-flight requests finish, new ones are refused (503). Established WebSocket tunnels are left
   *  to end on their own. */
  close(): Promise<void>;
}

class UpstreamImpl implements Upstream, UpgradeContext {
  readonly name: string;
  readonly balancer: Balancer<Target>;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly secureContext: SecureContext | undefined;
  closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: UpstreamOptions) {
    const { name, timeoutMs, connectTimeoutMs, connections } = options;
    if (typeof name !== 'string' || name === '') throw new TypeError('upstream name must be a non-empty string');
    if (!Array.isArray(options.targets) || options.targets.length === 0) {
      throw new TypeError(`upstream "${name}": at least one target is required`);
    }
    for (const [key, value] of [
      ['timeoutMs', timeoutMs],
      ['connectTimeoutMs', connectTimeoutMs],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`upstream "${name}": ${key} must be > 0`);
    }
    if (connections !== undefined && !(Number.isInteger(connections) && connections > 0)) {
      throw new TypeError(`upstream "${name}": connections must be a positive integer`);
    }
    const urls = options.targets.map((t) => parseTarget(t, name));
    const ca = options.ca === undefined ? [] : typeof options.ca === 'string' ? [options.ca] : [...options.ca];
    this.name = name;
    this.timeoutMs = timeoutMs;
    this.connectTimeoutMs = connectTimeoutMs;
    this.secureContext = urls.some((u) => u.protocol === 'https:') ? upstreamSecureContext(ca) : undefined;
    const settings = { timeoutMs, connectTimeoutMs, connections, secureContext: this.secureContext };
    const health: PassiveHealth = options.passiveHealth ?? DEFAULT_PASSIVE_HEALTH;
    this.balancer = new Balancer(
      urls.map((u) => createTarget(u, settings)),
      health,
      options.now ?? Date.now,
    );
  }

  forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<ForwardResult> {
    return forward(this, req, res, options);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, options: ForwardOptions): void {
    proxyUpgrade(this, req, socket, head, options);
  }

  targets(): TargetStatus[] {
    return this.balancer.targets.map((t) => ({
      url: t.url,
      healthy: this.balancer.healthy(t),
      consecutiveFailures: t.failures,
    }));
  }

  close(): Promise<void> {
    this.closed = true;
    this.#closing ??= Promise.all(this.balancer.targets.map((t) => t.pool.close())).then(() => undefined);
    return this.#closing;
  }
}

export function createUpstream(options: UpstreamOptions): Upstream {
  return new UpstreamImpl(options);
}
