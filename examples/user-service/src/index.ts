// @edgepass/example-user-service: start it in-process (`edgepass dev` does) or alone (src/main.ts).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildUserApp, type UserAppOptions } from './app.ts';

export { buildUserApp, type PassportConfig, SERVICE_NAME, SIGNUP_MANAGE_SCOPE, type UserAppOptions } from './app.ts';
export { SIGNUP_ERRORS, type SignupErrorCode } from './errors.ts';
export { jsonLinesLogger, type Logger } from './logger.ts';
export { createSignupStore, type Signup, type SignupStatus, type SignupStore } from './signups.ts';

export interface StartOptions extends UserAppOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
}

export interface RunningService {
  /** base URL, e.g. http://127.0.0.1:4002 */
  url: string;
  close(): Promise<void>;
}

/** Starts the service and resolves once it listens. */
export async function startUserService(options: StartOptions): Promise<RunningService> {
  const server = createServer(buildUserApp(options));
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
