// A recording test upstream: echoes what it received (method, url, headers) as JSON and keeps a list;
// /sse streams events the test releases one by one; /slow never answers (until close); WebSocket
// upgrades are echoed by a `ws` server.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class TestUpstream {
  readonly received: Received[] = [];
  readonly upgrades: IncomingHttpHeaders[] = [];
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #sse = new Set<ServerResponse>();
  readonly #held = new Set<ServerResponse>();
  #sseWaiters: Array<() => void> = [];

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const record = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.received.push(record);
        if (req.url?.startsWith('/sse') || req.url?.endsWith('/sse')) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          res.flushHeaders();
          this.#sse.add(res);
          res.on('close', () => this.#sse.delete(res));
          for (const w of this.#sseWaiters.splice(0)) w();
          return;
        }
        if (req.url?.includes('/slow')) {
          this.#held.add(res);
          res.on('close', () => this.#held.delete(res));
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(record));
      });
    });
    this.#wss = new WebSocketServer({ server: this.#server });
    this.#wss.on('connection', (socket, req) => {
      this.upgrades.push(req.headers);
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
  }

  static async start(): Promise<TestUpstream> {
    const upstream = new TestUpstream();
    await new Promise<void>((resolve) => upstream.#server.listen(0, '127.0.0.1', () => resolve()));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Resolves once an SSE client is connected. */
  async sseConnected(): Promise<void> {
    if (this.#sse.size > 0) return;
    await new Promise<void>((resolve) => this.#sseWaiters.push(resolve));
  }

  sendEvent(data: string): void {
    for (const res of this.#sse) res.write(`data: ${data}\n\n`);
  }

  endSse(): void {
    for (const res of this.#sse) res.end();
  }

  last(): Received {
    const r = this.received.at(-1);
    if (!r) throw new Error('the upstream received nothing');
    return r;
  }

  async close(): Promise<void> {
    for (const res of [...this.#sse, ...this.#held]) res.destroy();
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
