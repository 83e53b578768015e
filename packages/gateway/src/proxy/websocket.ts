// WebSocket (and any other HTTP/1.1 Upgrade) proxying: the already-authenticated upgrade request is sent to a
// target over a fresh TCP/TLS connection; on 101 the response head is relayed and both sockets are piped;
// a non-101 answer (the upstream refusing the upgrade) is relayed as is and the connection closed; a failure
// before any answer becomes the gateway's problem+json response written on the client socket.
import { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, request } from 'node:http';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { type SecureContext, connect as tlsConnect } from 'node:tls';
import { sendProblemOnSocket } from '../problem.ts';
import { Attempt } from './balancer.ts';
import { ProxyError, type ProxyErrorCode } from './errors.ts';
import type { ForwardContext, ForwardOptions } from './forward.ts';
import { connectionTokens } from './headers.ts';
import type { Target } from './targets.ts';

export interface UpgradeContext extends ForwardContext {
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly secureContext: SecureContext | undefined;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The raw head of an HTTP/1.1 response from a status line and flat [name, value, ...] pairs. */
/** The response head relayed to the client; it carries the gateway's x-request-id, like every other answer. */
function responseHead(status: number, message: string, rawHeaders: readonly string[], requestId: string): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() !== 'x-request-id') head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  }
  return `${head}x-request-id: ${requestId}\r\n\r\n`;
}

class UpgradeAttempt extends Attempt<Target> {
  readonly #ctx: UpgradeContext;
  readonly #req: IncomingMessage;
  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly #options: ForwardOptions;
  #upstreamRequest: ClientRequest | undefined;
  /** Bytes the client sent before the tunnel was up (read so that its going away is noticed). */
  readonly #early: Buffer[] = [];
  readonly #onEarlyData = (chunk: Buffer): void => {
    this.#early.push(chunk);
  };
  #timer: NodeJS.Timeout | undefined;
  #connected = false;
  /** The client socket has been handed over (tunnel or relayed refusal) or answered with an error. */
  #done = false;

  constructor(
    ctx: UpgradeContext,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    options: ForwardOptions,
    target: Target,
  ) {
    super(ctx.balancer, target);
    this.#ctx = ctx;
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.#options = options;
    socket.on('error', () => this.#clientGone());
    socket.on('close', () => this.#clientGone());
    // the HTTP server leaves the socket half-open on the client's FIN and paused: read it to notice a departure
    socket.on('end', () => this.#clientGone());
    socket.on('data', this.#onEarlyData);
  }

  start(): void {
    const target = this.target;
    const headers: OutgoingHttpHeaders = { ...this.#options.headers };
    headers.host ??= target.host;
    headers.connection = 'Upgrade';
    headers.upgrade = this.#req.headers.upgrade ?? 'websocket';
    const socket: Socket = target.secure
      ? tlsConnect({
          host: target.hostname,
          port: target.port,
          servername: isIP(target.hostname) === 0 ? target.hostname : undefined,
          secureContext: this.#ctx.secureContext,
          ALPNProtocols: ['http/1.1'],
        })
      : tcpConnect({ host: target.hostname, port: target.port });
    socket.setNoDelay(true);
    this.#connected = false;
    this.#arm(this.#ctx.connectTimeoutMs, 'UPSTREAM_CONNECT_FAILED');
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
      this.#arm(this.#ctx.timeoutMs, 'UPSTREAM_TIMEOUT');
    });
    const upstreamRequest = request({
      method: this.#options.method,
      path: target.basePath + this.#options.path,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    this.#upstreamRequest = upstreamRequest;
    upstreamRequest.on('upgrade', (res: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) =>
      this.#tunnel(res, upstreamSocket, upstreamHead),
    );
    upstreamRequest.on('response', (res: IncomingMessage) => this.#relayRefusal(res));
    upstreamRequest.on('error', (error: Error) => this.#failed(error));
    upstreamRequest.end();
  }

  #arm(ms: number, code: ProxyErrorCode): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const error = new ProxyError(code, this.#ctx.name, this.target.url);
      this.#upstreamRequest?.destroy(error);
    }, ms);
  }

  /** The upstream answered: the client socket is ours to write to (undefined when the client already left). */
  #answered(): Duplex | undefined {
    clearTimeout(this.#timer);
    this.settle('ok');
    if (this.#done || this.#socket.destroyed) return undefined;
    this.#done = true;
    this.#socket.off('data', this.#onEarlyData);
    return this.#socket;
  }

  #tunnel(res: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer): void {
    const client = this.#answered();
    if (client === undefined) {
      upstreamSocket.destroy();
      return;
    }
    client.write(
      responseHead(
        res.statusCode ?? 101,
        res.statusMessage ?? 'Switching Protocols',
        res.rawHeaders,
        this.#options.requestId,
      ),
    );
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (this.#head.length > 0) upstreamSocket.write(this.#head);
    for (const chunk of this.#early) upstreamSocket.write(chunk);
    const closeBoth = (): void => {
      client.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.on('error', closeBoth);
    upstreamSocket.on('close', closeBoth);
    client.on('error', closeBoth);
    client.on('close', closeBoth);
    // A FIN from either side ends the tunnel: it is passed on after the data before it, then both sockets close
    // (a WebSocket peer half-closes only once the closing handshake is done; a half-open tunnel would linger).
    client.on('end', () => upstreamSocket.end(closeBoth));
    upstreamSocket.on('end', () => client.end(closeBoth));
    client.pipe(upstreamSocket, { end: false });
    upstreamSocket.pipe(client, { end: false });
  }

  /** The upstream answered without switching protocols (401, 403, 404, 426...): relay that answer and close. */
  #relayRefusal(res: IncomingMessage): void {
    const client = this.#answered();
    if (client === undefined) {
      res.destroy();
      return;
    }
    const listed = connectionTokens(res.headers.connection);
    const kept: string[] = [];
    const raw = res.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (!HOP_BY_HOP.has(name) && !listed.includes(name)) kept.push(raw[i], raw[i + 1]);
    }
    kept.push('connection', 'close');
    client.write(responseHead(res.statusCode ?? 502, res.statusMessage ?? '', kept, this.#options.requestId));
    res.pipe(client);
    res.on('error', () => client.destroy());
  }

  #failed(error: Error): void {
    clearTimeout(this.#timer);
    if (this.#done) return;
    if (this.#socket.destroyed) {
      this.settle('neutral');
      this.#done = true;
      return;
    }
    let failure: ProxyError;
    if (error instanceof ProxyError) {
      failure = error; // one of our timeouts
      this.settle('failed');
    } else {
      failure = new ProxyError('UPSTREAM_CONNECT_FAILED', this.#ctx.name, this.target.url, { cause: error });
      // failing to connect counts against the target; a reset after connecting does not
      this.settle(this.#connected ? 'neutral' : 'failed');
    }
    // a connect failure sent nothing: retry once on another target
    if (!this.#connected && failure.code === 'UPSTREAM_CONNECT_FAILED' && this.retry() !== undefined) {
      this.start();
      return;
    }
    this.#done = true;
    sendProblemOnSocket(this.#socket, failure.code, this.#options.requestId);
  }

  #clientGone(): void {
    if (this.#done) return;
    this.#done = true;
    this.#socket.destroy();
    clearTimeout(this.#timer);
    this.settle('neutral');
    this.#upstreamRequest?.destroy();
  }
}

/** See Upstream.upgrade. */
export function proxyUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: ForwardOptions,
): void {
  const target = ctx.closed ? undefined : ctx.balancer.pick();
  if (target === undefined) {
    sendProblemOnSocket(socket, 'UPSTREAM_UNAVAILABLE', options.requestId);
    return;
  }
  new UpgradeAttempt(ctx, req, socket, head, options, target).start();
}
