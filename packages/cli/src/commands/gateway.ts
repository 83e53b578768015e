// `edgepass gateway --config <file> [--check] [--print-schema]`: runs the edge gateway (one process, or a
// cluster with `gateway.workers`), validates a config file, or prints the config's JSON Schema.
import { parseArgs } from 'node:util';
import {
  ConfigError,
  configJsonSchemaText,
  loadConfigFile,
  runGatewayCluster,
  startGateway,
  workerCount,
} from '@edgepass/gateway';
import { pino } from 'pino';
import type { Command } from '../cli.ts';

export interface GatewayCommandIo {
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const USAGE = `usage: edgepass gateway [--config <file>] [--check] [--print-schema]

Runs the edge gateway: authenticate → authorize → limit → passport → proxy (docs/gateway.md).

options:
  -c, --config <file>   the configuration (default: $EDGEPASS_CONFIG, else ./edgepass.yaml; docs/config.md)
  --check               validate the file and exit: 0 when valid, 1 with every "path: reason" otherwise
  --print-schema        print the JSON Schema of the configuration file and exit

environment: DATABASE_URL or EDGEPASS_DATA_DIR, REDIS_URL, EDGEPASS_REDIS_PREFIX, EDGEPASS_MASTER_KEY,
EDGEPASS_PASSPORT_SECRET (HS256 passports only). Signals: SIGHUP reloads the file (it is also watched),
SIGTERM/SIGINT drain in-flight requests and exit.`;

export function createGatewayCommand(io: GatewayCommandIo = {}): Command {
  const out = io.out ?? ((line: string) => console.log(line));
  const err = io.err ?? ((line: string) => console.error(line));
  return {
    name: 'gateway',
    summary: 'run the edge gateway (or --check a config file, --print-schema)',
    usage: USAGE,
    async run(args: string[]): Promise<number> {
      const env = io.env ?? process.env;
      let values: { config?: string; check?: boolean; 'print-schema'?: boolean };
      try {
        ({ values } = parseArgs({
          args,
          options: {
            config: { type: 'string', short: 'c' },
            check: { type: 'boolean' },
            'print-schema': { type: 'boolean' },
          },
          strict: true,
          allowPositionals: false,
        }));
      } catch (e) {
        err(`edgepass gateway: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
        return 2;
      }
      if (values['print-schema']) {
        out(configJsonSchemaText().trimEnd());
        return 0;
      }
      const configPath = values.config ?? env.EDGEPASS_CONFIG ?? 'edgepass.yaml';
      let config: Awaited<ReturnType<typeof loadConfigFile>>;
      try {
        config = await loadConfigFile(configPath, env);
      } catch (e) {
        if (e instanceof ConfigError) {
          err(e.message);
          return 1;
        }
        throw e;
      }
      if (values.check) {
        out(`${configPath}: valid (${config.routes.length} routes, ${config.issuers.length} issuers)`);
        return 0;
      }
      try {
        if (workerCount(config.gateway.workers) > 1) {
          if (!env.DATABASE_URL?.trim()) {
            err('edgepass gateway: gateway.workers > 1 needs DATABASE_URL (the embedded database is single-process)');
            return 1;
          }
          const logger = pino({ level: config.logging.level, base: { pid: process.pid, gateway: config.gateway.id } });
          return await runGatewayCluster({ configPath, config, logger, env });
        }
        const gateway = await startGateway({ configPath, env, handleSignals: true });
        await gateway.closed;
        return 0;
      } catch (e) {
        err(`edgepass gateway: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
      }
    },
  };
}

export const gatewayCommand: Command = createGatewayCommand();
