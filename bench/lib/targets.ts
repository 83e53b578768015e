// The benchmark targets. Each one starts a server on 127.0.0.1:<port> that proxies to the upstream nginx;
// the auth targets verify `Authorization: Bearer <JWT>` first. A target whose binary is missing is skipped
// with a note saying how to install it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { BenchKeys } from './keys.ts';
import { hasCommand, type Running, startProcess } from './proc.ts';
import { AUDIENCE, ISSUER, type TokenAlg } from './tokens.ts';

export interface BenchContext {
  benchDir: string;
  runDir: string;
  logDir: string;
  keys: BenchKeys;
  upstreamUrl: string;
  upstreamPort: number;
  /** the upstream nginx (the `direct` target's process) */
  upstreamPid: number;
  node: string;
  accessLog: boolean;
  /** When set, Node targets write a CPU profile (node --cpu-prof) into this directory. */
  cpuProfDir?: string | undefined;
}

export interface StartedTarget {
  /** The process whose CPU time is measured (with its direct children). */
  pid: number;
  /** Admin listener of edgepass (its passport JWKS), for the checks. */
  adminUrl?: string;
  stop(): Promise<void>;
  alive(): boolean;
  /** The target's event-loop delay since the previous call (which restarts it) and its RSS; edgepass only. */
  loopDelay?(): Promise<LoopDelay | undefined>;
}

export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
  rssMb: number;
  /** V8 heap in use, and memory outside it (PGlite's WebAssembly memory, buffers) */
  heapMb: number;
  externalMb: number;
}

export interface TargetDefinition {
  name: string;
  what: string;
  /** What the auth checks expect: which identity the upstream must receive, which algorithms must pass. */
  auth?: { identity: 'x-user-sub' | 'x-passport'; algs: readonly TokenAlg[] };
  /** A reason the target cannot run here (missing binary/packages, with how to install), or undefined. */
  unavailable(ctx: { peersInstalled: boolean }): string | undefined;
  /** Peer packages from bench/peers are needed. */
  peers?: boolean;
  /** Only run when named in --only (measurements behind a design choice, not part of the comparison). */
  extra?: boolean;
  readyTimeoutMs?: number;
  start(ctx: BenchContext, port: number, adminPort: number): StartedTarget;
}

function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/@([A-Z_]+)@/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

function fromProcess(running: Running, extra: Partial<StartedTarget> = {}): StartedTarget {
  return { pid: running.pid, stop: () => running.stop(), alive: () => !running.exited(), ...extra };
}

const APT = (pkg: string) => `${pkg} not found: apt-get install -y ${pkg}`;

/** Starts nginx in the foreground from a template in bench/servers, with a private prefix. */
export function startNginx(
  ctx: BenchContext,
  name: string,
  template: string,
  values: Record<string, string | number>,
): Running {
  const prefix = join(ctx.runDir, name);
  mkdirSync(prefix, { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  const text = readFileSync(join(ctx.benchDir, 'servers', template), 'utf8');
  writeFileSync(conf, render(text, { PREFIX: prefix, LOG_DIR: ctx.logDir, PUBLIC_DIR: ctx.keys.publicDir, ...values }));
  return startProcess('nginx', ['-p', prefix, '-c', conf, '-e', join(ctx.logDir, `${name}.error.log`)], {
    logFile: join(ctx.logDir, `${name}.log`),
  });
}

function nodeServer(ctx: BenchContext, name: string, script: string, env: NodeJS.ProcessEnv): Running {
  // one directory per target; node names each profile with its time and pid
  const profile = ctx.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(ctx.cpuProfDir, name)}`];
  return startProcess(ctx.node, [...profile, script], {
    logFile: join(ctx.logDir, `${name}.log`),
    env: {
      NODE_ENV: 'production',
      UPSTREAM_URL: ctx.upstreamUrl,
      JWKS_URL: `${ctx.upstreamUrl}/.well-known/jwks.json`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      ...env,
    },
  });
}

const PEERS_MISSING = 'peer packages not installed (npm ci --prefix bench/peers failed?)';

/** The peers from bench/peers: JWT auth with RS256/ES256, identity forwarded as x-user-sub. */
const PEER_AUTH: Partial<TargetDefinition> = {
  auth: { identity: 'x-user-sub', algs: ['RS256', 'ES256'] },
  peers: true,
  unavailable: ({ peersInstalled }) => (peersInstalled ? undefined : PEERS_MISSING),
};

/** A Node server script (under bench/) run with the harness's Node on PORT. */
function nodeTarget(
  name: string,
  what: string,
  script: string,
  extra: Partial<TargetDefinition> = {},
): TargetDefinition {
  return {
    name,
    what,
    unavailable: () => undefined,
    start: (ctx, port) => fromProcess(nodeServer(ctx, name, join(ctx.benchDir, script), { PORT: String(port) })),
    ...extra,
  };
}

export const TARGETS: readonly TargetDefinition[] = [
  {
    name: 'direct',
    what: 'wrk straight to the upstream nginx (the limit)',
    unavailable: () => undefined,
    start: (ctx) => ({ pid: ctx.upstreamPid, stop: async () => {}, alive: () => true }),
  },
  {
    name: 'nginx-proxy',
    what: 'nginx reverse proxy, 1 worker, keep-alive upstream, no auth (proxy floor)',
    unavailable: () => (hasCommand('nginx') ? undefined : APT('nginx')),
    start: (ctx, port) =>
      fromProcess(
        startNginx(ctx, 'nginx-proxy', 'nginx-proxy.nginx.conf', { PORT: port, UPSTREAM_PORT: ctx.upstreamPort }),
      ),
  },
  nodeTarget(
    'node-http-proxy',
    'bare node:http + keep-alive http.Agent, no auth (Node proxy floor)',
    'servers/node-http-proxy.ts',
  ),
  nodeTarget(
    'edgepass-proxy',
    "edgepass's proxy module alone on node:http, no auth (extra: the proxy's own cost)",
    'servers/edgepass-proxy.ts',
  ),
  nodeTarget(
    'undici-request-proxy',
    'node:http + undici Pool.request + pipe, no auth (extra: the proxy API not chosen)',
    'servers/undici-request-proxy.ts',
    { extra: true },
  ),
  nodeTarget(
    'fastify-stack',
    'fastify + @fastify/jwt (fast-jwt) + get-jwks + @fastify/http-proxy (typical Node stack)',
    'peers/fastify-stack.mjs',
    PEER_AUTH,
  ),
  nodeTarget(
    'fast-gateway',
    'fast-gateway (restana + fast-proxy-lite) + jose createRemoteJWKSet/jwtVerify',
    'peers/fast-gateway.mjs',
    PEER_AUTH,
  ),
  {
    name: 'haproxy-jwt',
    what: 'HAProxy 2.6 jwt_verify (PEM keys), 1 thread',
    auth: { identity: 'x-user-sub', algs: ['RS256', 'ES256'] },
    unavailable: () => (hasCommand('haproxy') ? undefined : APT('haproxy')),
    start(ctx, port) {
      const cfg = join(ctx.runDir, 'haproxy-jwt.cfg');
      const text = readFileSync(join(ctx.benchDir, 'servers', 'haproxy-jwt.cfg'), 'utf8');
      writeFileSync(
        cfg,
        render(text, {
          PORT: port,
          UPSTREAM_PORT: ctx.upstreamPort,
          PUBLIC_DIR: ctx.keys.publicDir,
          ISSUER,
          AUDIENCE,
        }),
      );
      return fromProcess(startProcess('haproxy', ['-db', '-f', cfg], { logFile: join(ctx.logDir, 'haproxy-jwt.log') }));
    },
  },
  {
    name: 'edgepass',
    what: 'OUR gateway: access token (RS256, JWKS) + EdDSA passport + proxy, one process, memory store',
    auth: { identity: 'x-passport', algs: ['RS256', 'ES256'] },
    readyTimeoutMs: 40_000,
    unavailable: () => undefined,
    start(ctx, port, adminPort) {
      const statsFile = join(ctx.runDir, `edgepass-${port}.loop.json`);
      const running = nodeServer(ctx, 'edgepass', join(ctx.benchDir, 'servers', 'edgepass.ts'), {
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        ACCESS_LOG: ctx.accessLog ? '1' : '0',
        LOOP_STATS_FILE: statsFile,
      });
      return fromProcess(running, {
        adminUrl: `http://127.0.0.1:${adminPort}`,
        loopDelay: () => signalledLoopDelay(running.pid, statsFile),
      });
    },
  },
];

/** Asks bench/servers/edgepass.ts for its event-loop delay (SIGUSR2 → a JSON file); undefined after 2 s. */
async function signalledLoopDelay(pid: number, file: string): Promise<LoopDelay | undefined> {
  rmSync(file, { force: true });
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return undefined;
  }
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay;
      } catch {
        // written but not complete yet
      }
    }
    await delay(20);
  }
  return undefined;
}

export const TARGET_NAMES = TARGETS.map((t) => t.name);
/** What runs without --only. */
export const DEFAULT_TARGETS = TARGETS.filter((t) => !t.extra).map((t) => t.name);
