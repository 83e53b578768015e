// The HTTP hot path: one undici dispatch per request with a handler object that writes each upstream event
// straight to the client's ServerResponse (no intermediate stream, no buffering, no per-request closures:
// the client-side listeners are module functions that find their handler through a symbol on the response).
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { Attempt, type Balancer } from './balancer.ts';
import { ProxyError, type ProxyErrorCode } from './errors.ts';
import { stripResponseHopByHop } from './headers.ts';
import type { Target } from './targets.ts';

export interface ForwardOptions {
  method: string;
  /** path + query, after stripPrefix */
  path: string;
  /** final upstream request headers */
  headers: OutgoingHttpHeaders;
  requestId: string;
}

export interface ForwardResult {
  /** The upstream's status; 499 when the client went away before the response started. */
  status: number;
  durationMs: number;
  target: string;
  /** Set when the exchange did not complete: the client went away, or the upstream failed mid-response. */
  aborted?: 'client' | 'upstream';
}

/** What forward() needs from its upstream. */
export interface ForwardContext {
  readonly name: string;
  readonly balancer: Balancer<Target>;
  /** close() was called: no new requests. */
  readonly closed: boolean;
}

const kHandler = Symbol('edgepass.proxy.forward');
type TaggedResponse = ServerResponse & { [kHandler]?: ForwardHandler };

/** The reason given to undici when the client went away (one instance: it carries no per-request data). */
const CLIENT_GONE = new Error('client closed the connection');

function onResponseClose(this: TaggedResponse): void {
  this[kHandler]?.clientClosed();
}

function onResponseDrain(this: TaggedResponse): void {
  this[kHandler]?.resume();
}

/** true when the request carries a body to stream (a Content-Length above 0, or Transfer-Encoding). */
function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const length = h['content-length'];
  return length !== undefined && length !== '0';
}

class ForwardHandler extends Attempt<Target> implements Dispatcher.DispatchHandler {
  readonly #ctx: ForwardContext;
  readonly #res: TaggedResponse;
  readonly #path: string;
  readonly #dispatch: Dispatcher.DispatchOptions;
  readonly #t0: number;
  readonly #resolve: (result: ForwardResult) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | null = null;
  /** undici put the request on a socket (so its body may have been read). */
  #started = false;
  /** The response head has been written to the client. */
  #responded = false;
  #status = 0;
  #clientGone = false;
  #done = false;
  #drainListening = false;

  constructor(
    ctx: ForwardContext,
    req: IncomingMessage,
    res: ServerResponse,
    options: ForwardOptions,
    target: Target,
    resolve: (result: ForwardResult) => void,
    reject: (error: unknown) => void,
  ) {
    super(ctx.balancer, target);
    this.#ctx = ctx;
    this.#res = res;
    this.#path = options.path;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#t0 = performance.now();
    this.#dispatch = {
      method: options.method as Dispatcher.HttpMethod,
      path: options.path,
      headers: options.headers,
      body: hasBody(req) ? req : null,
    };
    this.#res[kHandler] = this;
    res.on('close', onResponseClose);
  }

  start(): void {
    const target = this.target;
    this.#dispatch.path = target.basePath === '' ? this.#path : target.basePath + this.#path;
    target.pool.dispatch(this.#dispatch, this);
  }

  // ---- client side ----------------------------------------------------------------------------

  clientClosed(): void {
    if (this.#done) return;
    this.#clientGone = true;
    // before onRequestStart there is no controller yet: onRequestStart aborts
    this.#controller?.abort(CLIENT_GONE);
  }

  resume(): void {
    this.#controller?.resume();
  }

  // ---- undici handler -------------------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#started = true;
    if (this.#clientGone) controller.abort(CLIENT_GONE);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    // 1xx interim responses are not relayed (the gateway's server answers 100-continue itself)
    if (statusCode < 200) return;
    this.settle('ok');
    this.#status = statusCode;
    if (this.#clientGone) return;
    stripResponseHopByHop(headers);
    if (statusMessage) this.#res.writeHead(statusCode, statusMessage, headers);
    else this.#res.writeHead(statusCode, headers);
    // A streamed response (SSE, chunked) may send its head long before its first chunk: send the head now so
    // the client sees it at once. With a Content-Length the head rides with the first body write instead.
    if (headers['content-length'] === undefined) this.#res.flushHeaders();
    this.#responded = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#res.write(chunk)) return;
    controller.pause();
    if (!this.#drainListening) {
      this.#drainListening = true;
      this.#res.on('drain', onResponseDrain);
    }
  }

  onResponseEnd(): void {
    if (this.#done) return;
    this.#res.end();
    this.#finish(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.#done) return;
    if (this.#clientGone || this.#res.destroyed) {
      this.settle('neutral');
      this.#finish('client');
      return;
    }
    if (this.#responded) {
      // the head is out: the client can only learn of the failure from the connection ending early
      this.#res.destroy();
      this.#finish('upstream');
      return;
    }
    const code = (error as { code?: unknown }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.settle('failed');
      this.#fail('UPSTREAM_TIMEOUT', error);
      return;
    }
    if (this.#started) {
      // the upstream took the request and then failed before answering (reset, closed, bad response)
      this.settle('neutral');
      this.#fail('UPSTREAM_CONNECT_FAILED', error);
      return;
    }
    if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
      this.settle('neutral');
      this.#fail('UPSTREAM_UNAVAILABLE', error);
      return;
    }
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
      // the caller passed something undici refuses (a header it forbids): a bug, not an upstream fault
      this.settle('neutral');
      this.#done = true;
      this.#res[kHandler] = undefined;
      this.#reject(error);
      return;
    }
    // never reached a socket: a connect failure (refused, unreachable, DNS, connect timeout, TLS). The body
    // has not been touched, so one retry on another target is safe whatever the method.
    this.settle('failed');
    if (this.retry() !== undefined) {
      this.start();
      return;
    }
    this.#fail('UPSTREAM_CONNECT_FAILED', error);
  }

  // ---- outcome ----------------------------------------------------------------------------------

  #finish(aborted: 'client' | 'upstream' | undefined): void {
    this.#done = true;
    this.#res[kHandler] = undefined;
    const result: ForwardResult = {
      status: this.#status === 0 ? 499 : this.#status,
      durationMs: performance.now() - this.#t0,
      target: this.target.url,
    };
    if (aborted !== undefined) result.aborted = aborted;
    this.#resolve(result);
  }

  #fail(code: ProxyErrorCode, cause: Error): void {
    this.#done = true;
    this.#res[kHandler] = undefined;
    this.#reject(new ProxyError(code, this.#ctx.name, this.target.url, { cause }));
  }
}

/** Streams req → a target of ctx → res. See Upstream.forward. */
export function forward(
  ctx: ForwardContext,
  req: IncomingMessage,
  res: ServerResponse,
  options: ForwardOptions,
): Promise<ForwardResult> {
  const { promise, resolve, reject } = Promise.withResolvers<ForwardResult>();
  if (res.destroyed) {
    resolve({ status: 499, durationMs: 0, target: '', aborted: 'client' });
    return promise;
  }
  const target = ctx.closed ? undefined : ctx.balancer.pick();
  if (target === undefined) {
    reject(new ProxyError('UPSTREAM_UNAVAILABLE', ctx.name));
    return promise;
  }
  new ForwardHandler(ctx, req, res, options, target, resolve, reject).start();
  return promise;
}
