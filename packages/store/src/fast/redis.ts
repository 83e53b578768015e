// FastState on Redis (ioredis): shared by every gateway and auth instance. Two connections per handle:
// one for commands, one in subscriber mode. No offline queue: while Redis is down every operation
// rejects at once (or after commandTimeoutMs for a silent peer) with StoreUnavailableError, and the
// clients keep reconnecting in the background; subscriptions are restored on reconnect, and
// onResubscribed listeners learn that messages may have been missed.
import { Redis, type RedisOptions } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { StoreError, StoreUnavailableError } from '../errors.ts';
import type { FastState, KeyValue, PubSub, RateLimiter, RateLimiterOptions, SetOptions } from '../types.ts';
import { checkServiceUrl } from '../url.ts';
import { checkIncrement, checkTtlMs } from './arguments.ts';
import { consumeWith } from './rate-limit.ts';

export const DEFAULT_KEY_PREFIX = 'edgepass:';

export interface RedisFastStateOptions {
  /** redis://[user:password@]host:port[/db] or rediss://... */
  url: string;
  /** Prefix of every key and channel (default `edgepass:`). */
  keyPrefix?: string;
  /** A command without an answer fails after this long (default 1000 ms). */
  commandTimeoutMs?: number;
  /** Opening fails when Redis is not ready within this time (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts (default 500 ms). */
  maxReconnectDelayMs?: number;
  /** Connection errors, for logging (messages carry host:port, never the password). */
  onError?: (err: Error) => void;
  /** Called when a subscriber's handler throws (default: ignored); an onResubscribed listener's error comes with
   *  channel ''. */
  onHandlerError?: (err: unknown, channel: string) => void;
}

type Handler = (message: string) => void;

/** Replies that mean "Redis cannot serve now" rather than "this command is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|MASTERDOWN|READONLY|BUSY|CLUSTERDOWN|TRYAGAIN)\b/;

function whenReady(client: Redis, timeoutMs: number, where: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new StoreUnavailableError(`Redis at ${where} did not become ready within ${timeoutMs} ms`, {
          cause: lastError,
        }),
      );
    }, timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

export async function openRedisFastState(options: RedisFastStateOptions): Promise<FastState> {
  const where = checkServiceUrl(options.url, 'REDIS_URL', ['redis:', 'rediss:']);
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  const maxDelay = options.maxReconnectDelayMs ?? 500;
  const redisOptions: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: true,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout,
    retryStrategy: (attempt) => Math.min(50 * attempt, maxDelay),
  };
  const client = new Redis(options.url, redisOptions);
  const subscriber = client.duplicate();
  // every 'ready' of the subscriber after its first is a reconnection (wired before the first can happen)
  let connectedOnce = false;
  let onReconnected: () => void = () => {};
  subscriber.on('ready', () => {
    if (connectedOnce) onReconnected();
    connectedOnce = true;
  });
  const onError = options.onError ?? (() => {});
  client.on('error', onError);
  subscriber.on('error', onError);
  const disconnect = () => {
    client.disconnect();
    subscriber.disconnect();
  };
  try {
    await Promise.all([whenReady(client, connectTimeout, where), whenReady(subscriber, connectTimeout, where)]);
  } catch (err) {
    disconnect();
    throw err;
  }

  let closed = false;
  const guard = async <T>(op: () => Promise<T>): Promise<T> => {
    if (closed) throw new StoreError('STORE_CLOSED', 'the fast state has been closed');
    try {
      return await op();
    } catch (err) {
      throw toStoreError(err);
    }
  };
  const toStoreError = (err: unknown): unknown => {
    if (err instanceof StoreError) return err;
    const reply = err instanceof Error && err.name === 'ReplyError';
    if (reply && !UNAVAILABLE_REPLY.test(err.message)) return err;
    return new StoreUnavailableError(`Redis at ${where} is unavailable`, { cause: err });
  };

  const kv: KeyValue = {
    get: (key) => guard(() => client.get(prefix + key)),
    getAndDelete: (key) => guard(() => client.getdel(prefix + key)),
    set: async (key: string, value: string, opts: SetOptions = {}) => {
      const { ttlMs, onlyIfAbsent } = opts;
      checkTtlMs(ttlMs);
      return await guard(async () => {
        const k = prefix + key;
        let reply: string | null;
        if (ttlMs !== undefined && onlyIfAbsent) reply = await client.set(k, value, 'PX', ttlMs, 'NX');
        else if (ttlMs !== undefined) reply = await client.set(k, value, 'PX', ttlMs);
        else if (onlyIfAbsent) reply = await client.set(k, value, 'NX');
        else reply = await client.set(k, value);
        return reply === 'OK';
      });
    },
    delete: (key) =>
      guard(async () => {
        await client.del(prefix + key);
      }),
    incr: async (key, by = 1, ttlMs) => {
      checkIncrement(by);
      checkTtlMs(ttlMs);
      return await guard(async () => {
        const k = prefix + key;
        if (ttlMs === undefined) return await client.incrby(k, by);
        // SET NX creates the key with its expiry only when new; MULTI makes both one atomic step.
        const results = await client.multi().set(k, '0', 'PX', ttlMs, 'NX').incrby(k, by).exec();
        const [created, incr] = results ?? [];
        if (!created || !incr) throw new Error('MULTI was aborted');
        if (created[0]) throw created[0];
        if (incr[0]) throw incr[0];
        return Number(incr[1]);
      });
    },
    ttl: (key) => guard(() => client.pttl(prefix + key)),
  };

  const channels = new Map<string, { handlers: Set<Handler>; ready: Promise<unknown> }>();
  const resubscribedListeners = new Set<() => void>();
  /** a reconnection whose listeners have not been told yet */
  let resubscribing: object | undefined;
  const announceResubscribed = () => {
    resubscribing = undefined;
    for (const listener of [...resubscribedListeners]) {
      try {
        listener();
      } catch (err) {
        options.onHandlerError?.(err, '');
      }
    }
  };
  onReconnected = () => {
    if (closed) return;
    const attempt = {};
    resubscribing = attempt;
    // ioredis resubscribes our channels right after emitting 'ready'; subscribing them again here (idempotent)
    // resolves once Redis has them all, which is when the listeners are told. A message can only come after
    // that too: one that arrives first announces the reconnection before it is delivered (below).
    const names = [...channels.keys()];
    const subscribed = names.length > 0 ? subscriber.subscribe(...names) : Promise.resolve();
    subscribed.then(
      () => {
        if (resubscribing === attempt) announceResubscribed();
      },
      () => {}, // lost again: the next 'ready' starts over
    );
  };
  subscriber.on('message', (channel: string, message: string) => {
    if (resubscribing !== undefined) announceResubscribed();
    const entry = channels.get(channel);
    if (!entry) return;
    for (const handler of entry.handlers) {
      try {
        handler(message);
      } catch (err) {
        options.onHandlerError?.(err, channel.slice(prefix.length));
      }
    }
  });

  const pubsub: PubSub = {
    publish: (channel, message) =>
      guard(async () => {
        await client.publish(prefix + channel, message);
      }),
    subscribe: (channel, handler) =>
      guard(async () => {
        const full = prefix + channel;
        let entry = channels.get(full);
        if (!entry) {
          const created = { handlers: new Set<Handler>(), ready: subscriber.subscribe(full) };
          created.ready.catch(() => {
            if (channels.get(full) === created) channels.delete(full);
          });
          channels.set(full, created);
          entry = created;
        }
        const own: Handler = (message) => handler(message);
        entry.handlers.add(own);
        try {
          await entry.ready;
        } catch (err) {
          entry.handlers.delete(own);
          throw err;
        }
        const current = entry;
        return async () => {
          current.handlers.delete(own);
          if (current.handlers.size > 0 || channels.get(full) !== current) return;
          channels.delete(full);
          // While Redis is down this fails; the channel is then re-subscribed on reconnect and its
          // messages are dropped here, since no handler is left.
          await subscriber.unsubscribe(full).catch(() => {});
        };
      }),
    onResubscribed(listener) {
      const own = () => listener();
      resubscribedListeners.add(own);
      return async () => {
        resubscribedListeners.delete(own);
      };
    },
  };

  return {
    kind: 'redis',
    kv,
    pubsub,
    createRateLimiter(opts: RateLimiterOptions): RateLimiter {
      const limiter = new RateLimiterRedis({
        storeClient: client,
        keyPrefix: prefix + opts.keyPrefix,
        points: opts.points,
        duration: opts.durationSec,
        rejectIfRedisNotReady: true,
      });
      return {
        consume: (key, points = 1) => guard(() => consumeWith(limiter, opts.points, key, points)),
      };
    },
    async ping() {
      if (closed) return false;
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([client.quit(), subscriber.quit()]);
      disconnect();
    },
  };
}
