// `edgepass dev` (what `npm start` runs): the auth service, the gateway, the two example services and a
// login demo in one process on embedded PGlite + in-memory state (packages/cli/src/dev/). Prints the start
// banner on stdout, logs on stderr; SIGINT/SIGTERM stop everything (a second one exits at once).
import type { Command } from '../cli.ts';
import { formatBanner } from '../dev/banner.ts';
import { createDevLogger } from '../dev/log.ts';
import { DEV_USAGE, DevUsageError, parseDevOptions } from '../dev/options.ts';
import { startDevSystem } from '../dev/system.ts';

export interface DevCommandIo {
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

function stopSignal(): { stopped: Promise<string>; dispose(): void } {
  let resolveStop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(130); // a second Ctrl-C: do not wait for the graceful stop
    resolveStop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function createDevCommand(io: DevCommandIo = {}): Command {
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  return {
    name: 'dev',
    summary: 'run everything in one process (auth, gateway, example services) on embedded storage',
    usage: DEV_USAGE,
    async run(argv) {
      const env = io.env ?? process.env;
      let options: ReturnType<typeof parseDevOptions>;
      try {
        options = parseDevOptions(argv, env);
      } catch (e) {
        if (!(e instanceof DevUsageError)) throw e;
        err(`edgepass dev: ${e.message}\n\n${DEV_USAGE}\n`);
        return 2;
      }
      const logger = createDevLogger(options.logLevel, err);
      const signals = stopSignal();
      try {
        const system = await startDevSystem(options, env, logger);
        out(formatBanner(system, options.dataDir, performance.now()));
        const signal = await signals.stopped;
        logger.info({ signal }, 'stopping');
        await system.close();
        logger.info('stopped');
        return 0;
      } catch (e) {
        const reason = (e as { reason?: unknown }).reason;
        err(`edgepass dev: ${(e as Error).message}${typeof reason === 'string' ? ` (${reason})` : ''}\n`);
        return 1;
      } finally {
        signals.dispose();
      }
    },
  };
}

export const devCommand: Command = createDevCommand();
