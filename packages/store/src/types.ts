// The storage contracts every other package codes against. Implementations live beside this file:
// SQL on PGlite (embedded) or a PostgreSQL server; fast state (key/value, counters, rate limiters,
// pub/sub) on Redis or in memory. Both fast-state implementations pass the same test suite.

/** Rows returned by a query. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** One SQL dialect (PostgreSQL's) for both PGlite and a server. Placeholders are $1, $2, ... */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

export interface Sql extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction (BEGIN/COMMIT, ROLLBACK on throw). */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** true when a trivial query succeeds. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SetOptions {
  /** Expire the key after this many milliseconds: a positive integer (Redis refuses anything else). */
  ttlMs?: number;
  /** Only set when the key does not exist (SET NX). */
  onlyIfAbsent?: boolean;
}

/** Shared fast state. Keys are namespaced by the store's key prefix; callers pass bare keys. */
export interface KeyValue {
  get(key: string): Promise<string | null>;
  /** Atomically reads and deletes the key (Redis GETDEL): of concurrent callers exactly one gets the value. */
  getAndDelete(key: string): Promise<string | null>;
  /** Returns false when onlyIfAbsent was set and the key already existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomic increment by an integer (default 1); when ttlMs (a positive integer) is given and the key is new, the key
   * expires after ttlMs. Returns the new value.
   */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** Remaining time to live in ms; -1 when the key has no expiry, -2 when it does not exist. */
  ttl(key: string): Promise<number>;
}

export type Unsubscribe = () => Promise<void>;

/** Fan-out to every process that shares the store (all gateways and auth services). At-most-once. */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
  /**
   * Optional. Calls `listener` each time the subscriptions were re-established after the connection carrying them
   * was lost: whatever was published meanwhile was missed. Redis: once the subscriber connection is ready again
   * and every channel is subscribed again — before any message that arrives after it; memory: never (it loses
   * nothing).
   */
  onResubscribed?(listener: () => void): Unsubscribe;
}

export interface RateLimiterOptions {
  /** Namespace of the limiter's counters, e.g. `rl:route:vocabulary`. */
  keyPrefix: string;
  /** Allowed points per window. */
  points: number;
  /** Window length in seconds (fixed window, as rate-limiter-flexible counts). */
  durationSec: number;
}

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** ms until the current window resets. */
  resetMs: number;
}

/** Backed by rate-limiter-flexible (RateLimiterMemory / RateLimiterRedis). Throws StoreUnavailableError when Redis is down. */
export interface RateLimiter {
  consume(key: string, points?: number): Promise<RateLimitResult>;
}

export interface FastState {
  readonly kind: 'memory' | 'redis';
  readonly kv: KeyValue;
  readonly pubsub: PubSub;
  createRateLimiter(options: RateLimiterOptions): RateLimiter;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://... to use a server; otherwise PGlite. */
  databaseUrl?: string;
  /** Data directory of the embedded mode (default ./data): PGlite keeps its files in <dataDir>/pg, the dev
   * master key is <dataDir>/master.key. `memory://` for a throwaway in-memory database. */
  dataDir?: string;
  /** redis://... to use Redis; otherwise in-memory fast state (single process only). */
  redisUrl?: string;
  /** Prefix for every Redis key and channel (default `edgepass:`). */
  keyPrefix?: string;
  /** Apply pending SQL migrations on open (default true). */
  migrate?: boolean;
}

export interface Store {
  readonly sql: Sql;
  readonly fast: FastState;
  close(): Promise<void>;
}
