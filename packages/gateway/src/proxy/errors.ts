// The proxy's failure modes before anything was written to the client. The gateway maps `code` to its
// problem+json answer (`status`); the target and the underlying error go to the log via `target`/`cause`.

export type ProxyErrorCode = 'UPSTREAM_CONNECT_FAILED' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT';

export const PROXY_ERROR_STATUS = {
  UPSTREAM_CONNECT_FAILED: 502,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const satisfies Record<ProxyErrorCode, 502 | 503 | 504>;

const TITLES: Record<ProxyErrorCode, string> = {
  UPSTREAM_CONNECT_FAILED: 'Bad Gateway',
  UPSTREAM_UNAVAILABLE: 'Service Unavailable',
  UPSTREAM_TIMEOUT: 'Gateway Timeout',
};

export class ProxyError extends Error {
  override name = 'ProxyError';
  readonly code: ProxyErrorCode;
  readonly status: 502 | 503 | 504;
  /** The upstream's configured name. */
  readonly upstream: string;
  /** The target URL the failure happened on (absent when no target could be chosen). */
  readonly target: string | undefined;

  constructor(code: ProxyErrorCode, upstream: string, target?: string, options?: { cause?: unknown }) {
    super(`${TITLES[code]}: upstream "${upstream}"${target ? ` target ${target}` : ''}`, options);
    this.code = code;
    this.status = PROXY_ERROR_STATUS[code];
    this.upstream = upstream;
    this.target = target;
  }

  /** The status line's reason phrase for this error (also used on raw sockets for WebSocket upgrades). */
  get title(): string {
    return TITLES[this.code];
  }
}
