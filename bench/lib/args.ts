// Command line of `npm run bench`.
import { parseArgs } from 'node:util';
import type { TokenAlg } from './tokens.ts';

export const MAX_SECS = 15;

export interface BenchOptions {
  /** Targets to run, in order (`direct` first unless noDirect). */
  targets: string[];
  conns: number;
  secs: number;
  warmup: number;
  rounds: number;
  tokens: number;
  /** Fixed-rate mode: requests per second over all connections, one series per rate (empty: saturation). */
  rates: number[];
  alg: TokenAlg;
  path: string;
  accessLog: boolean;
  /** Node targets write a V8 CPU profile (node --cpu-prof) into the run's directory. */
  cpuProf: boolean;
  skipChecks: boolean;
}

export const USAGE = `usage: npm run bench -- [options]          load benchmark (wrk), every target on 127.0.0.1
       npm run bench -- micro [--time MS] [--samples N] [--only TEXT]   JWT verify/sign micro benchmark, one core

options:
  --only a,b,...    targets to run (default: all but the extras); direct is added as the baseline unless --no-direct
  --rounds K        interleaved rounds (A B C A B C ...); medians are reported (default 1)
  --conns N         wrk connections (default 64)
  --secs S          seconds per measured run, at most ${MAX_SECS} (default 10)
  --warmup S        seconds of warm-up load before each run, at most ${MAX_SECS} (default 2)
  --tokens N        cycle N distinct valid tokens (verified-token cache misses) (default 1)
  --rate R[,R2..]   fixed-rate mode: wrk paced at R requests/s over --conns connections, latency compared at a
                    rate no target saturates (default targets: direct, node-http-proxy, edgepass)
  --alg RS256|ES256 algorithm of the load tokens (default RS256)
  --path /p         request path (default /api/v1/resource)
  --access-log      edgepass writes its access log (off by default)
  --cpu-prof        Node targets write a CPU profile (node --cpu-prof) to the run's directory
  --skip-checks     do not run the auth checks before loading a target
  --no-direct       do not add the direct baseline`;

export class UsageError extends Error {}

/** What --rate runs without --only: the limit, the Node proxy floor and edgepass. */
export const FIXED_RATE_TARGETS = ['direct', 'node-http-proxy', 'edgepass'] as const;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} must be a positive integer`);
  return Number(value);
}

/** `known`: every target name; `defaults`: those run without --only. */
export function parseBenchArgs(
  argv: readonly string[],
  known: readonly string[],
  defaults: readonly string[] = known,
): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      rounds: { type: 'string' },
      conns: { type: 'string' },
      secs: { type: 'string' },
      warmup: { type: 'string' },
      tokens: { type: 'string' },
      rate: { type: 'string' },
      alg: { type: 'string' },
      path: { type: 'string' },
      'access-log': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'skip-checks': { type: 'boolean', default: false },
      'no-direct': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const secs = positiveInt('secs', values.secs, 10);
  const warmup = positiveInt('warmup', values.warmup, 2);
  if (secs > MAX_SECS || warmup > MAX_SECS) throw new UsageError(`--secs and --warmup are capped at ${MAX_SECS} s`);
  const alg = values.alg ?? 'RS256';
  if (alg !== 'RS256' && alg !== 'ES256') throw new UsageError('--alg must be RS256 or ES256');
  const path = values.path ?? '/api/v1/resource';
  if (!path.startsWith('/')) throw new UsageError('--path must start with /');

  const rates = values.rate === undefined ? [] : values.rate.split(',').map((r) => positiveInt('rate', r.trim(), 0));
  let targets =
    values.only === undefined
      ? rates.length > 0
        ? [...FIXED_RATE_TARGETS]
        : [...defaults]
      : values.only
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
  const unknown = targets.filter((t) => !known.includes(t));
  if (unknown.length > 0) throw new UsageError(`unknown target(s): ${unknown.join(', ')} (known: ${known.join(', ')})`);
  targets = targets.filter((t) => t !== 'direct');
  if (!values['no-direct']) targets.unshift('direct');
  targets = [...new Set(targets)];
  if (targets.length === 0) throw new UsageError('no target to run');

  return {
    targets,
    conns: positiveInt('conns', values.conns, 64),
    secs,
    warmup,
    rounds: positiveInt('rounds', values.rounds, 1),
    tokens: positiveInt('tokens', values.tokens, 1),
    rates,
    alg,
    path,
    accessLog: values['access-log'],
    cpuProf: values['cpu-prof'],
    skipChecks: values['skip-checks'],
  };
}
