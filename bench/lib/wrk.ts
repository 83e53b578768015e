// The load generator: wrk (-t1, --latency) and the parsing of its report; autocannon only when wrk is missing.

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** connect + read + write + timeout errors */
  socketErrors: number;
}

/** "586.91us" | "1.13ms" | "2.01s" | "1.50m" → milliseconds. */
export function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  switch (m[2]) {
    case 'us':
      return v / 1000;
    case 'ms':
      return v;
    case 's':
      return v * 1000;
    default:
      return v * 60_000;
  }
}

/** Parses the report of `wrk --latency`. Throws when it holds no result (wrk failed to run). */
export function parseWrk(text: string): LoadResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const requests = /^\s*(\d+) requests in /m.exec(text);
  if (!rps || !requests) throw new Error(`not a wrk report: ${text.slice(0, 200)}`);
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text);
    return m ? durationMs(m[1]) : Number.NaN;
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    rps: Number(rps[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: Number(requests[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, n) => a + Number(n), 0) : 0,
  };
}

/** The subset of `autocannon --json` output the harness reads. */
export interface AutocannonReport {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

export function parseAutocannon(json: string): LoadResult {
  const r = JSON.parse(json) as AutocannonReport;
  return {
    rps: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    socketErrors: r.errors + r.timeouts,
  };
}

/** A wrk Lua script that cycles through the bearer tokens of a file (one prebuilt request per token). */
export const TOKEN_POOL_LUA = `-- cycles through a pool of bearer tokens (one prebuilt request string per token)
local reqs, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do
    if #line > 0 then reqs[#reqs + 1] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. line }) end
  end
end
request = function() i = i % #reqs + 1; return reqs[i] end
`;

/**
 * Paces wrk at about `rate` requests per second over all its connections: before each request a connection waits
 * a random 0 .. 2 × (conns / rate) s (uniform, so arrivals are not synchronized), which with the response time
 * makes each connection send a little under rate / conns requests per second. wrk reports the rate achieved.
 */
export function pacingLua(rate: number, conns: number): string {
  const meanMs = (conns * 1000) / rate;
  return `-- paced: about ${rate} requests per second over ${conns} connections
local spread = ${Math.max(1, Math.round(2 * meanMs))}
delay = function() return math.random(0, spread) end
`;
}

export interface LoadSpec {
  url: string;
  conns: number;
  secs: number;
  /** A single bearer token, or the path of a token file + the Lua script to cycle through it. */
  token: string | { file: string; script: string };
  latency: boolean;
  /** Fixed-rate runs: the requests per second asked for, and the Lua script that paces them (pacingLua, after the
   *  token pool's script when there is one). */
  paced?: { rate: number; script: string };
}

export function wrkArgs(spec: LoadSpec): string[] {
  const args = ['-t1', `-c${spec.conns}`, `-d${spec.secs}s`, '--timeout', '5s'];
  if (spec.latency) args.push('--latency');
  const pool = typeof spec.token === 'string' ? undefined : spec.token;
  if (typeof spec.token === 'string') args.push('-H', `Authorization: Bearer ${spec.token}`);
  const script = spec.paced?.script ?? pool?.script;
  if (script !== undefined) args.push('-s', script);
  args.push(spec.url);
  if (pool !== undefined) args.push('--', pool.file);
  return args;
}
