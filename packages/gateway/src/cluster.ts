// `workers: auto | n`: a node:cluster primary forks one gateway process per core (they share the public
// port), restarts crashed ones, forwards SIGHUP (reload) and SIGTERM/SIGINT (graceful drain), and serves
// the admin listener itself: readiness of every worker, metrics aggregated over the workers, the JWKS.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { createAdminServer } from './admin/server.ts';
import type { GatewayConfig } from './config/schema.ts';

/** Messages between the primary and its workers (process.send). */
export type ClusterMessage =
  | { edgepass: 'status?'; id: number }
  | { edgepass: 'status'; id: number; ready: boolean; jwks: string }
  | { edgepass: 'reload' }
  | { edgepass: 'shutdown' };

export function isClusterMessage(value: unknown): value is ClusterMessage {
  return typeof value === 'object' && value !== null && typeof (value as { edgepass?: unknown }).edgepass === 'string';
}

export function workerCount(workers: GatewayConfig['gateway']['workers']): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

const WORKER_ENTRY = fileURLToPath(new URL('./cluster-worker.ts', import.meta.url));
/** A worker that dies sooner than this after its start counts as a crash loop: restarts back off. */
const MIN_UPTIME_MS = 5000;
const STATUS_TIMEOUT_MS = 2000;

export interface ClusterOptions {
  configPath: string;
  config: GatewayConfig;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

/** Runs the primary until SIGTERM/SIGINT; resolves with the exit code once every worker has drained. */
export async function runGatewayCluster(options: ClusterOptions): Promise<number> {
  const { config, logger } = options;
  const count = workerCount(config.gateway.workers);
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [options.configPath], silent: false });
  let stopping = false;
  let restartDelay = 100;
  const started = new Map<Worker, number>();

  const fork = () => {
    const worker = cluster.fork(options.env ?? process.env);
    started.set(worker, Date.now());
  };
  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'gateway worker exited: starting a new one');
    restartDelay = uptime < MIN_UPTIME_MS ? Math.min(restartDelay * 2, 30_000) : 100;
    setTimeout(fork, restartDelay).unref();
  });

  // admin listener: the primary asks every worker for its status
  const aggregator = new AggregatorRegistry();
  let nextId = 0;
  const pending = new Map<
    number,
    { left: number; replies: Array<{ ready: boolean; jwks: string }>; done: () => void }
  >();
  cluster.on('message', (_worker, message: unknown) => {
    if (!isClusterMessage(message) || message.edgepass !== 'status') return;
    const request = pending.get(message.id);
    if (!request) return;
    request.replies.push({ ready: message.ready, jwks: message.jwks });
    if (--request.left === 0) request.done();
  });
  const statuses = async (): Promise<Array<{ ready: boolean; jwks: string }>> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
    if (workers.length === 0) return [];
    const id = nextId++;
    const replies: Array<{ ready: boolean; jwks: string }> = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STATUS_TIMEOUT_MS);
      pending.set(id, {
        left: workers.length,
        replies,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const worker of workers) worker.send({ edgepass: 'status?', id } satisfies ClusterMessage);
    });
    pending.delete(id);
    // a worker that did not answer counts as not ready
    while (replies.length < workers.length) replies.push({ ready: false, jwks: '{"keys":[]}' });
    return replies;
  };
  const admin = createAdminServer({
    ready: async () => {
      const all = await statuses();
      return all.length === count && all.every((s) => s.ready);
    },
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
    jwks: async () => (await statuses()).find((s) => s.ready)?.jwks ?? '{"keys":[]}',
  });
  await admin.listen({ host: config.listen.admin.host, port: config.listen.admin.port });

  for (let i = 0; i < count; i++) fork();
  const address = admin.server.address();
  logger.info(
    {
      workers: count,
      admin: typeof address === 'object' && address ? `http://${address.address}:${address.port}` : undefined,
    },
    'gateway cluster started',
  );

  const broadcast = (message: ClusterMessage) => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker?.isConnected()) worker.send(message);
  };
  const onHup = () => {
    logger.info('SIGHUP: reloading every worker');
    broadcast({ edgepass: 'reload' });
  };
  process.on('SIGHUP', onHup);

  return await new Promise<number>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      logger.info('stopping: draining every worker');
      broadcast({ edgepass: 'shutdown' });
      const check = () => {
        if (Object.keys(cluster.workers ?? {}).length > 0) return;
        process.off('SIGHUP', onHup);
        void admin.close().then(() => resolve(0));
      };
      cluster.on('exit', check);
      check();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
