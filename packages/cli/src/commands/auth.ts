// `edgepass auth --config <file>`: runs the auth service against DATABASE_URL/REDIS_URL, or embedded (PGlite
// in EDGEPASS_DATA_DIR, in-memory fast state) when DATABASE_URL is not set. Stops on SIGINT/SIGTERM. PostgreSQL
// without Redis starts with a warning (startAuthService logs it; the command also says it on stderr): interactions,
// the denylist, throttling and refresh locks are then per process.
import { type AuthService, createLogger, loadAuthConfig, startAuthService } from '@edgepass/auth';
import { args, type CommandIo, commandContext, isUsageError, UsageError } from '@edgepass/auth/admin';
import { type Store, unsharedFastStateWarning } from '@edgepass/store';
import type { Command } from '../cli.ts';

const USAGE = `usage: edgepass auth [--config <file>]

Runs the auth service (OAuth 2.1 / OpenID Connect provider, login pages, JSON API).

  --config <file>   YAML auth configuration (top level or under "auth:"); see docs/auth.md.
                    EDGEPASS_ISSUER, EDGEPASS_AUTH_HOST, EDGEPASS_AUTH_PORT, EDGEPASS_TRUST_PROXY and
                    EDGEPASS_LOG_LEVEL override it; with neither, EDGEPASS_ISSUER must be set.

Storage: DATABASE_URL (PostgreSQL) or embedded PGlite in EDGEPASS_DATA_DIR (default ./data); REDIS_URL for
state shared by several instances (else in memory: one instance only — with DATABASE_URL but no REDIS_URL a
warning says so at start). Signing keys are encrypted with
EDGEPASS_MASTER_KEY (embedded mode without it: a key file in the data directory is created and used).`;

export interface AuthCommandIo extends CommandIo {
  /** Resolves when the service should stop (default: SIGINT or SIGTERM). */
  untilStopped?: (service: AuthService) => Promise<void>;
}

function signals(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function createAuthCommand(io: AuthCommandIo = {}): Command {
  return {
    name: 'auth',
    summary: 'run the auth service (OIDC provider, login pages, JSON API)',
    usage: USAGE,
    async run(argv) {
      const ctx = commandContext(io);
      let store: Store | undefined;
      let service: AuthService | undefined;
      try {
        const { values, positionals } = args(argv, { config: { type: 'string' } });
        if (positionals.length > 0) throw new UsageError('unexpected argument');
        const config = loadAuthConfig({ ...(values.config ? { file: values.config } : {}), env: ctx.env });
        const masterKey = ctx.masterKey();
        const logger = createLogger(config.logLevel);
        store = await ctx.openStore();
        const unshared = unsharedFastStateWarning(store);
        if (unshared) ctx.err(`edgepass auth: warning: ${unshared}`);
        service = await startAuthService({ config, store, logger, masterKey, env: ctx.env });
        logger.info({ issuer: service.url, sql: store.sql.kind, fast: store.fast.kind }, 'auth service listening');
        ctx.out(`auth service listening at ${service.url}`);
        await (io.untilStopped ?? signals)(service);
        return 0;
      } catch (e) {
        if (isUsageError(e)) {
          ctx.err(`edgepass auth: ${(e as Error).message}\n\n${USAGE}`);
          return 2;
        }
        const reason = (e as { reason?: unknown }).reason;
        ctx.err(`edgepass auth: ${(e as Error).message}${typeof reason === 'string' ? ` (${reason})` : ''}`);
        return 1;
      } finally {
        await service?.close();
        await store?.close();
      }
    },
  };
}

export const authCommand: Command = createAuthCommand();
