// `edgepass dev` options: flags first, then environment variables, then the fixed defaults. Every port has
// a flag and a variable so a busy one can be moved without editing anything.
import { parseArgs } from 'node:util';

export const DEV_COMPONENTS = ['gateway', 'admin', 'auth', 'vocabulary', 'users', 'demo'] as const;
export type DevComponent = (typeof DEV_COMPONENTS)[number];
export type DevPorts = Readonly<Record<DevComponent, number>>;

interface PortSpec {
  readonly flag: string;
  readonly env: string;
  readonly fallback: number;
  /** what listens there, for messages */
  readonly label: string;
}

export const PORT_SPECS: Readonly<Record<DevComponent, PortSpec>> = {
  gateway: { flag: 'gateway-port', env: 'EDGEPASS_GATEWAY_PORT', fallback: 8080, label: 'gateway (public)' },
  admin: { flag: 'admin-port', env: 'EDGEPASS_ADMIN_PORT', fallback: 9090, label: 'gateway admin' },
  auth: { flag: 'auth-port', env: 'EDGEPASS_AUTH_PORT', fallback: 4000, label: 'auth service' },
  vocabulary: { flag: 'vocabulary-port', env: 'EDGEPASS_VOCABULARY_PORT', fallback: 4001, label: 'vocabulary-service' },
  users: { flag: 'user-service-port', env: 'EDGEPASS_USER_SERVICE_PORT', fallback: 4002, label: 'user-service' },
  demo: { flag: 'demo-port', env: 'EDGEPASS_DEMO_PORT', fallback: 4003, label: 'login demo' },
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const isLogLevel = (v: string): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v);

export interface DevOptions {
  /** PGlite files (<dataDir>/pg), the dev master key and dev-credentials.json */
  readonly dataDir: string;
  /** where the gateway and the login demo listen; the rest (the auth service too: it is reached through the
   *  gateway) stays on 127.0.0.1 */
  readonly host: string;
  readonly ports: DevPorts;
  readonly logLevel: LogLevel;
}

export class DevUsageError extends Error {}

const portOptions = Object.fromEntries(
  DEV_COMPONENTS.map((c) => [PORT_SPECS[c].flag, { type: 'string' as const }]),
) as Record<string, { type: 'string' }>;

export const DEV_USAGE = `usage: edgepass dev [--data-dir ./data] [--host 127.0.0.1] [--<component>-port <n>]...

Runs the whole system in one process: the auth service, the gateway, the two example services and a
login demo, on embedded PGlite (<data-dir>/pg) and in-memory fast state (DATABASE_URL / REDIS_URL are
used when set). Seeds a demo user, a premium user, API keys and an OAuth client on the first run and
prints them, with curl commands to try, on every start. Logs go to stderr. Ctrl-C stops everything.

  --data-dir <dir>     data directory (default ./data; env EDGEPASS_DATA_DIR)
  --host <address>     address of the gateway and the login demo (default 127.0.0.1)
${DEV_COMPONENTS.map((c) => {
  const s = PORT_SPECS[c];
  const flag = `  --${s.flag} <n>`;
  return `${flag.padEnd(23)}${s.label} (default ${s.fallback}; env ${s.env})`;
}).join('\n')}

The gateway is the one entry: it also fronts the auth service's pages and endpoints (the issuer is the
gateway's URL). The auth service, the gateway admin listener (metrics, readyz) and the example services
always bind 127.0.0.1.
EDGEPASS_MASTER_KEY is used when set, else <data-dir>/master.key (created on first run).
EDGEPASS_LOG_LEVEL sets the log level (default info).`;

function port(text: string, source: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) throw new DevUsageError(`${source}: expected a port number`);
  return Number(text);
}

export function parseDevOptions(argv: string[], env: NodeJS.ProcessEnv): DevOptions {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, host: { type: 'string' }, ...portOptions },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new DevUsageError((err as Error).message);
  }
  if (positionals.length > 0) throw new DevUsageError(`unexpected argument "${positionals[0]}"`);
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

  const ports = {} as Record<DevComponent, number>;
  for (const c of DEV_COMPONENTS) {
    const spec = PORT_SPECS[c];
    const flag = text(values[spec.flag]);
    const fromEnv = text(env[spec.env]);
    ports[c] = flag ? port(flag, `--${spec.flag}`) : fromEnv ? port(fromEnv, spec.env) : spec.fallback;
  }
  const seen = new Map<number, DevComponent>();
  for (const c of DEV_COMPONENTS) {
    const other = seen.get(ports[c]);
    if (other !== undefined && ports[c] !== 0)
      throw new DevUsageError(`${PORT_SPECS[c].label} and ${PORT_SPECS[other].label} both use port ${ports[c]}`);
    seen.set(ports[c], c);
  }

  const logLevel = text(env.EDGEPASS_LOG_LEVEL) ?? 'info';
  if (!isLogLevel(logLevel)) throw new DevUsageError(`EDGEPASS_LOG_LEVEL: expected ${LOG_LEVELS.join(', ')}`);
  return Object.freeze({
    dataDir: text(values['data-dir']) ?? text(env.EDGEPASS_DATA_DIR) ?? './data',
    host: text(values.host) ?? '127.0.0.1',
    ports: Object.freeze(ports),
    logLevel,
  });
}

/** Base URL of a listener bound to `host` (a wildcard address is reached on loopback). */
export function baseUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}
