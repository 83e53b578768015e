// Busy ports: checked before anything starts, so that `edgepass dev` fails at once with the port, what
// wanted it and how to move it, instead of half-starting. A listen error that still happens later (a race)
// is explained the same way by portError().
import { createServer } from 'node:net';
import { DEV_COMPONENTS, type DevComponent, type DevPorts, PORT_SPECS } from './options.ts';

export class PortInUseError extends Error {
  readonly port: number;
  readonly component: DevComponent;

  constructor(component: DevComponent, port: number, host: string, code: string) {
    const spec = PORT_SPECS[component];
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${code})`;
    super(
      `port ${port} on ${host} (${spec.label}) ${why}: stop what listens there, or choose another port with --${spec.flag} <n> or ${spec.env}=<n>`,
    );
    this.port = port;
    this.component = component;
  }
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** A port that is free on `host` right now (for a component asked to listen on port 0 whose URL must be known
 * before it starts). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Throws PortInUseError for the first port (in component order) that cannot be bound. Port 0 is skipped. */
export async function checkPortsFree(ports: DevPorts, hostOf: (c: DevComponent) => string): Promise<void> {
  for (const component of DEV_COMPONENTS) {
    const port = ports[component];
    if (port === 0) continue;
    const host = hostOf(component);
    const code = await tryListen(host, port);
    if (code !== undefined) throw new PortInUseError(component, port, host, code);
  }
}

/** A listen error of a component as a PortInUseError (EADDRINUSE/EACCES), else the error itself. */
export function portError(err: unknown, component: DevComponent, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' ? new PortInUseError(component, port, host, code) : err;
}
