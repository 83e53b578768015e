// edgepass: OUR gateway, one process — access-token auth (RS256/ES256 against the bench issuer's JWKS, served
// by the upstream nginx), passport minting (EdDSA, keys in an in-memory PGlite store), proxy to the upstream.
// PORT, ADMIN_PORT, UPSTREAM_URL, JWKS_URL, ACCESS_LOG (1 = pino access log to stdout) from the environment.
// Event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and memory: on SIGUSR2 the delays since
// the last SIGUSR2 (ms) and the resident set size (MB) are written to LOOP_STATS_FILE (JSON), and the histogram
// starts again; the harness brackets the measured run with it.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startGateway } from '../../packages/gateway/src/gateway.ts';
import { AUDIENCE, ISSUER } from '../lib/tokens.ts';

export const SERVICE = 'bench-api';
export const GATEWAY_ID = 'bench-gateway';

const env = process.env;
const accessLog = env.ACCESS_LOG === '1';
const upstream = env.UPSTREAM_URL ?? 'http://127.0.0.1:9100';

const gateway = await startGateway({
  config: {
    gateway: { id: GATEWAY_ID },
    listen: {
      public: { host: '127.0.0.1', port: Number(env.PORT) },
      admin: { host: '127.0.0.1', port: Number(env.ADMIN_PORT) },
    },
    passport: { alg: 'EdDSA' },
    issuers: [
      {
        id: 'bench',
        issuer: ISSUER,
        jwksUri: env.JWKS_URL ?? `${upstream}/.well-known/jwks.json`,
        audiences: [AUDIENCE],
        algorithms: ['RS256', 'ES256'],
      },
    ],
    routes: [
      {
        name: 'api',
        match: { pathPrefix: '/' },
        service: SERVICE,
        upstream: { targets: [upstream] },
        accept: ['access_token'],
      },
    ],
    logging: { level: accessLog ? 'info' : 'warn', access: accessLog },
  },
  // memory store: PGlite memory:// and in-memory fast state, a throwaway master key
  env: { EDGEPASS_DATA_DIR: 'memory://' },
  watch: false,
  handleSignals: false,
});

const deadline = Date.now() + 20_000;
while (!gateway.ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({ ready: gateway.ready(), publicUrl: gateway.publicUrl, adminUrl: gateway.adminUrl }));

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
process.on('SIGUSR2', () => {
  const ms = (ns: number) => ns / 1e6;
  // in the shape of bench/lib/targets.ts LoopDelay
  const stats = {
    p50Ms: ms(loopDelay.percentile(50)),
    p99Ms: ms(loopDelay.percentile(99)),
    maxMs: ms(loopDelay.max),
    rssMb: process.memoryUsage.rss() / 2 ** 20,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
    externalMb: process.memoryUsage().external / 2 ** 20,
  };
  loopDelay.reset();
  if (env.LOOP_STATS_FILE) writeFileSync(env.LOOP_STATS_FILE, JSON.stringify(stats));
});

process.once('SIGTERM', () => {
  void gateway.close().finally(() => process.exit(0));
});
