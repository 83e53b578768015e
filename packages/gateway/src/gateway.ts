// startGateway: one gateway process — config, store, passport keys, event subscription, the public and
// admin listeners, hot reload (SIGHUP / file change / reload()) and graceful close. Used by the CLI,
// `edgepass dev`, the benchmark and the tests.
import { type FSWatcher, watch as watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import {
  ApiKeyLastUsedRecorder,
  ensureDevMasterKey,
  loadMasterKey,
  openStore,
  SigningKeyStore,
  type Store,
  storeOptionsFromEnv,
  UsageRecorder,
  unsharedFastStateWarning,
} from '@edgepass/store';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { GatewayMetrics } from './admin/metrics.ts';
import { createAdminServer } from './admin/server.ts';
import type { Authenticator } from './authn/types.ts';
import { TrustedProxies } from './client-address.ts';
import { loadConfigFile, validateConfig } from './config/load.ts';
import type { GatewayConfig, GatewayConfigInput } from './config/schema.ts';
import { ConfigError } from './errors.ts';
import { subscribeToEvents } from './event-subscription.ts';
import type { StoreDownHandler } from './limits/rate-limit.ts';
import { Limiters } from './limits/rate-limit.ts';
import { PassportCache } from './passport/cache.ts';
import { PassportKeys } from './passport/keys.ts';
import { compileRuntime, type GatewayServices, type Runtime } from './runtime.ts';
import { PublicServer } from './server.ts';
import { SharedResources } from './shared-resources.ts';
import { PacedLastUsed, PacedUsage } from './usage/paced-writer.ts';

/** Rows per usage / last-used statement. PGlite runs a statement synchronously on this thread: 100 rows hold the
 *  event loop ~1 ms, 250 rows ~2.5 ms, at the same cost per row (measured); a PostgreSQL server works on its own
 *  CPU, so larger chunks only save round trips. */
const PGLITE_CHUNK_ROWS = 100;
const SERVER_CHUNK_ROWS = 1000;

export interface StartGatewayOptions {
  /** A config object (validated here), or… */
  config?: GatewayConfigInput | GatewayConfig;
  /** …the path of edgepass.yaml (watched for changes unless watch is false). */
  configPath?: string;
  /** Defaults to openStore(storeOptionsFromEnv(env)), closed by close(). A given store is left open. */
  store?: Store;
  /** Master key for the passport signing keys at rest (default EDGEPASS_MASTER_KEY; embedded mode: dev key file). */
  masterKey?: Uint8Array;
  logger?: Logger;
  /** Clock, unix ms (tests pass a fixed one). */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** Reload when the config file changes (default true with configPath). */
  watch?: boolean;
  /** Reload on SIGHUP, drain on SIGTERM/SIGINT (default false; the CLI turns it on). */
  handleSignals?: boolean;
  /** Start the admin listener (default true; cluster workers leave it to the primary). */
  admin?: boolean;
  /** Usage / last-used batching interval (default 5 s). */
  flushIntervalMs?: number;
  /** With Redis: how often the event subscription is probed for interruptions (default 1 s). */
  eventProbeIntervalMs?: number;
}

export interface RunningGateway {
  readonly publicUrl: string;
  /** undefined when the admin listener is off */
  readonly adminUrl: string | undefined;
  readonly metrics: GatewayMetrics;
  /** the config new requests use */
  config(): GatewayConfig;
  /** true once every issuer's keys were fetched and the passport keys are loaded */
  ready(): boolean;
  /** the passport JWKS document (JSON text), as the admin listener serves it */
  jwks(): string;
  /** resolves once close() (or SIGTERM with handleSignals) has finished */
  readonly closed: Promise<void>;
  /** Re-reads the config file (or applies `config`). Resolves false when the new config is invalid (the old one stays). */
  reload(config?: GatewayConfigInput | GatewayConfig): Promise<boolean>;
  /** Graceful: stops accepting, lets in-flight requests finish (up to gateway.shutdownGrace), flushes usage. */
  close(): Promise<void>;
}

function urlOf(app: FastifyInstance, tls: boolean): string {
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
}

function masterKeyFor(store: Store, env: NodeJS.ProcessEnv, given: Uint8Array | undefined): Uint8Array {
  if (given !== undefined) return given;
  if (env.EDGEPASS_MASTER_KEY?.trim()) return loadMasterKey(env);
  if (store.sql.kind === 'pglite') return ensureDevMasterKey(storeOptionsFromEnv(env).dataDir ?? './data');
  return loadMasterKey(env); // throws MASTER_KEY_MISSING with a clear message
}

/** Sections that only take effect on restart. */
const RESTART_ONLY = ['gateway', 'listen', 'passport'] as const;

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const readConfig = async (given?: GatewayConfigInput | GatewayConfig): Promise<GatewayConfig> => {
    if (given !== undefined) return validateConfig(given, { env });
    if (options.configPath !== undefined) return await loadConfigFile(options.configPath, env);
    if (options.config !== undefined) return validateConfig(options.config, { env });
    throw new TypeError('startGateway needs config or configPath');
  };
  const initial = await readConfig();
  // asynchronous stdout writes: the access log must not cost a write(2) per request (flushed on close)
  const ownLogger =
    options.logger === undefined
      ? pino(
          { level: initial.logging.level, base: { pid: process.pid, gateway: initial.gateway.id } },
          pino.destination({ dest: 1, sync: false }),
        )
      : undefined;
  const logger = options.logger ?? (ownLogger as Logger);
  const now = options.now ?? Date.now;
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore(storeOptionsFromEnv(env)));
  const cleanups: Array<() => unknown> = [];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
    cleanups.length = 0;
  };
  if (ownsStore) cleanups.push(() => store.close());
  // PostgreSQL without Redis (several gateways or workers may share the database): counters are per process
  const unshared = unsharedFastStateWarning(store);
  if (unshared !== undefined) logger.warn({ reason: 'fast_state_not_shared' }, unshared);

  try {
    const metrics = new GatewayMetrics();
    const passports = new PassportCache();
    const keyStore =
      initial.passport.alg === 'EdDSA'
        ? await SigningKeyStore.open({
            sql: store.sql,
            masterKey: masterKeyFor(store, env, options.masterKey),
            pubsub: store.fast.pubsub,
          })
        : undefined;
    if (keyStore) cleanups.push(() => keyStore.close());
    const passportKeys = await PassportKeys.open({
      alg: initial.passport.alg,
      issuer: initial.gateway.id,
      ttlMs: initial.passport.ttl,
      cache: passports,
      logger,
      keyStore,
      env,
    });
    cleanups.push(() => passportKeys.close());

    const onFlushError = (err: unknown) =>
      logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'usage flush failed (kept for the next one)',
      );
    // the store's writers write only when told: the paced writers hand them bounded chunks (usage/paced-writer.ts)
    const paced = {
      chunkRows: store.sql.kind === 'pglite' ? PGLITE_CHUNK_ROWS : SERVER_CHUNK_ROWS,
      intervalMs: options.flushIntervalMs ?? 5000,
      onError: onFlushError,
    };
    const usage = new PacedUsage(new UsageRecorder({ sql: store.sql, flushIntervalMs: 0 }), paced);
    const lastUsed = new PacedLastUsed(new ApiKeyLastUsedRecorder({ sql: store.sql, flushIntervalMs: 0 }), paced);
    cleanups.push(
      () => usage.close(),
      () => lastUsed.close(),
    );

    const resources = new SharedResources();
    const services: GatewayServices = {
      store,
      logger,
      metrics,
      now,
      limiters: new Limiters(store.fast),
      resources,
      touchApiKey: (id, at) => lastUsed.touch(id, at),
    };
    const onStoreDown: StoreDownHandler = (check, policy, err) => {
      metrics.storeUnavailable.labels(check, policy).inc();
      logger.warn(
        { check, policy, err: err instanceof Error ? err.message : String(err) },
        policy === 'open'
          ? 'store unavailable: request allowed (fail-open)'
          : 'store unavailable: request refused (fail-closed)',
      );
    };

    let current: Runtime = await compileRuntime(initial, services);
    cleanups.push(() => current.release());

    const authenticators = function* (): Generator<Partial<Authenticator>> {
      for (const resource of resources.values()) yield resource as Partial<Authenticator>;
    };
    const events = await subscribeToEvents({
      pubsub: store.fast.pubsub,
      probeIntervalMs: store.fast.kind === 'redis' ? (options.eventProbeIntervalMs ?? 1000) : undefined,
      onEvent: (event) => {
        logger.debug({ event: event.type }, 'event received');
        for (const a of authenticators()) a.handleEvent?.(event);
      },
      onInterrupted: () => {
        metrics.eventSubscription.labels('interrupted').inc();
        logger.warn('event subscription interrupted: revocations published meanwhile may be missed');
      },
      onResumed: (cause) => {
        for (const a of authenticators()) a.dropCached?.();
        metrics.eventSubscription.labels('resumed').inc();
        logger.warn({ cause }, 'event subscription resumed: cached credentials dropped (events may have been missed)');
      },
    });
    cleanups.push(() => events.close());

    const tlsFiles = initial.listen.public.tls;
    const tls = tlsFiles
      ? { cert: await readFile(tlsFiles.certFile), key: await readFile(tlsFiles.keyFile) }
      : undefined;
    const publicServer = new PublicServer({
      services,
      passports,
      recordUsage: (principal, service, at) => usage.record(principal, service, at),
      onStoreDown,
      logger,
      current: () => current,
      onIdle: (runtime) => void runtime.release(),
      tls,
      trustedProxies: TrustedProxies.from(initial.listen.public.trustedProxies),
    });
    const app = publicServer.app;
    await app.listen({ host: initial.listen.public.host, port: initial.listen.public.port });
    const grace = initial.gateway.shutdownGrace;
    cleanups.push(async () => {
      // stop accepting; keep-alive connections are closed as soon as their last request is done, the
      // rest when the grace period is over
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      const timer = setTimeout(() => app.server.closeAllConnections(), grace);
      await app.close();
      clearInterval(idle);
      clearTimeout(timer);
    });

    let closing = false;
    const ready = () =>
      !closing && passportKeys.loaded && current.readiness.every((a: Authenticator) => a.ready?.() !== false);

    let adminUrl: string | undefined;
    if (options.admin !== false) {
      const admin = createAdminServer({
        ready,
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
        jwks: () => passportKeys.jwks(),
      });
      await admin.listen({ host: initial.listen.admin.host, port: initial.listen.admin.port });
      cleanups.push(() => admin.close());
      adminUrl = urlOf(admin, false);
    }

    let reloading: Promise<boolean> = Promise.resolve(true);
    const applyReload = async (given?: GatewayConfigInput | GatewayConfig): Promise<boolean> => {
      let next: GatewayConfig;
      let runtime: Runtime;
      try {
        next = await readConfig(given);
        for (const section of RESTART_ONLY) {
          if (JSON.stringify(next[section]) !== JSON.stringify(current.config[section])) {
            logger.warn({ section }, 'config section changed: it takes effect on restart only');
          }
        }
        runtime = await compileRuntime(next, services);
      } catch (err) {
        metrics.reloads.labels('invalid').inc();
        if (err instanceof ConfigError) {
          logger.error({ source: err.source, issues: err.issues }, 'config reload refused: the old config stays');
        } else {
          logger.error(
            { err: err instanceof Error ? err.message : String(err) },
            'config reload failed: the old config stays',
          );
        }
        return false;
      }
      const previous = current;
      current = runtime;
      previous.retired = true;
      if (previous.active === 0) await previous.release();
      logger.level = next.logging.level;
      metrics.reloads.labels('ok').inc();
      logger.info({ routes: next.routes.length }, 'config reloaded');
      return true;
    };
    const reload = (given?: GatewayConfigInput | GatewayConfig): Promise<boolean> => {
      reloading = reloading.then(() => (closing ? false : applyReload(given)));
      return reloading;
    };

    if (options.configPath !== undefined && options.watch !== false) {
      const file = basename(options.configPath);
      let timer: NodeJS.Timeout | undefined;
      const watcher: FSWatcher = watchFile(dirname(options.configPath), (_event, name) => {
        if (name !== null && name !== file) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), 50);
      });
      watcher.unref();
      cleanups.push(() => {
        clearTimeout(timer);
        watcher.close();
      });
    }

    let close: () => Promise<void>;
    if (options.handleSignals) {
      const onHup = () => void reload();
      const onTerm = () => void close();
      process.on('SIGHUP', onHup);
      process.once('SIGTERM', onTerm);
      process.once('SIGINT', onTerm);
      cleanups.push(() => {
        process.off('SIGHUP', onHup);
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onTerm);
      });
    }

    let closedPromise: Promise<void> | undefined;
    let markClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    close = () => {
      closing = true;
      closedPromise ??= reloading
        .then(closeAll)
        .then(() => {
          logger.info('gateway closed');
          ownLogger?.flush();
        })
        .finally(markClosed);
      return closedPromise;
    };

    logger.info(
      { public: urlOf(app, tls !== undefined), admin: adminUrl, routes: initial.routes.length },
      'gateway started',
    );
    return {
      publicUrl: urlOf(app, tls !== undefined),
      adminUrl,
      metrics,
      config: () => current.config,
      ready,
      jwks: () => passportKeys.jwks(),
      reload,
      close,
      closed,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
