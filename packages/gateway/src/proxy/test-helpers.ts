// Shared pieces of the proxy tests: real servers on 127.0.0.1:0 and a minimal gateway around the proxy module
// (node:http server → buildUpstreamHeaders → upstream.forward / upstream.upgrade) that records what happened.
import { once } from 'node:events';
import {
  type Agent,
  createServer,
  Server as HttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { afterEach } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  buildUpstreamHeaders,
  createUpstream,
  type ForwardResult,
  ProxyError,
  type Upstream,
  type UpstreamOptions,
} from './index.ts';

export async function listen<S extends NetServer>(server: S): Promise<{ server: S; port: number; url: string }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof HttpsServer ? 'https' : 'http';
  return { server, port, url: `${scheme}://127.0.0.1:${port}` };
}

/** Closes a server and every connection it still has. */
export async function shut(server: NetServer): Promise<void> {
  if (server instanceof HttpsServer || server instanceof HttpServer) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Polls `check` every few ms until it is truthy; fails after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** An http server whose handler is given per test. */
export async function upstreamServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; port: number; url: string }> {
  return await listen(createServer(handler));
}

export interface TestGateway {
  url: string;
  port: number;
  upstream: Upstream;
  results: ForwardResult[];
  errors: ProxyError[];
  /** Resolves with the next settled forward (result or ProxyError). */
  nextOutcome(): Promise<ForwardResult | ProxyError>;
  close(): Promise<void>;
}

/**
 * A minimal gateway: every request is forwarded with headers from buildUpstreamHeaders (x-passport and
 * authorization removed, the ep_session cookie dropped, x-passport set); a ProxyError becomes a JSON answer
 * with its status and code, as the real gateway's problem+json would.
 */
export async function startGateway(options: Partial<UpstreamOptions> & { targets: string[] }): Promise<TestGateway> {
  const upstream = createUpstream({ name: 'test', timeoutMs: 2000, connectTimeoutMs: 1000, ...options });
  const results: ForwardResult[] = [];
  const errors: ProxyError[] = [];
  const waiters: Array<(o: ForwardResult | ProxyError) => void> = [];
  const settled = (o: ForwardResult | ProxyError): void => {
    if (o instanceof ProxyError) errors.push(o);
    else results.push(o);
    waiters.shift()?.(o);
  };
  const remove = new Set(['authorization', 'x-passport']);
  let n = 0;
  const headersFor = (req: IncomingMessage) =>
    buildUpstreamHeaders(req, {
      remove,
      removeCookie: 'ep_session',
      set: { 'x-passport': 'passport-for-test', 'x-request-id': `req-${++n}` },
    });
  const server = createServer((req, res) => {
    upstream
      .forward(req, res, { method: req.method ?? 'GET', path: req.url ?? '/', headers: headersFor(req), requestId: '' })
      .then(settled, (error: unknown) => {
        if (!(error instanceof ProxyError)) throw error;
        if (res.headersSent) throw new Error('ProxyError after the response started');
        res.writeHead(error.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: error.code }));
        settled(error);
      });
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    upstream.upgrade(req, socket, head, {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: headersFor(req),
      requestId: `ws-${++n}`,
    });
  });
  const { port, url } = await listen(server);
  return {
    url,
    port,
    upstream,
    results,
    errors,
    nextOutcome: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      await shut(server);
      await upstream.close();
    },
  };
}

/** A body-less request through node:http; resolves with status, headers and the body as a string. */
export async function get(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const res = await fetchRaw(url, init);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

export async function fetchRaw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<IncomingMessage> {
  const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: init.agent });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  return res;
}

/** Cleanup callbacks run (last first) after each test of the calling file. */
export function cleanupAfterEach(): Array<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });
  return cleanups;
}

/** startGateway, closed after the test. */
export async function gatewayFor(
  cleanups: Array<() => Promise<void>>,
  options: Partial<UpstreamOptions> & { targets: string[] },
): Promise<TestGateway> {
  const gw = await startGateway(options);
  cleanups.push(() => gw.close());
  return gw;
}
