// Starts a gateway for a test: listeners on 127.0.0.1:0, logs captured, an embedded store (PGlite in
// memory + memory fast state) unless the test brings its own.
import { generateMasterKey, openStore, type Store } from '@edgepass/store';
import type { GatewayConfigInput } from '../../src/config/schema.ts';
import { type RunningGateway, type StartGatewayOptions, startGateway } from '../../src/gateway.ts';
import { LogCapture } from './logs.ts';

export interface TestGateway {
  gateway: RunningGateway;
  logs: LogCapture;
  store: Store;
  url(path: string): string;
  close(): Promise<void>;
}

type Overrides = Omit<Partial<GatewayConfigInput>, 'listen'>;

/** A config whose listeners bind 127.0.0.1:0. */
export function testConfig(overrides: Overrides & Pick<GatewayConfigInput, 'routes'>): GatewayConfigInput {
  return {
    gateway: { id: 'edgepass-test' },
    listen: { public: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
    logging: { level: 'debug', access: true },
    ...overrides,
  };
}

/** One master key per test process: gateways sharing a database share their passport keys. */
export const MASTER_KEY: Uint8Array = new Uint8Array(Buffer.from(generateMasterKey(), 'base64url'));

export async function openMemoryStore(): Promise<Store> {
  return await openStore({ dataDir: 'memory://' });
}

export async function startTestGateway(
  config: GatewayConfigInput,
  options: Partial<StartGatewayOptions> & { store?: Store } = {},
): Promise<TestGateway> {
  const logs = new LogCapture();
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openMemoryStore());
  try {
    const gateway = await startGateway({
      config,
      store,
      logger: logs.logger,
      masterKey: MASTER_KEY,
      flushIntervalMs: 0,
      ...options,
    });
    return {
      gateway,
      logs,
      store,
      url: (path) => `${gateway.publicUrl}${path}`,
      async close() {
        await gateway.close();
        if (ownsStore) await store.close();
      },
    };
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}

/** Polls `check` until it returns true or the deadline passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
