// The public listener: Fastify with one catch-all route whose handler hijacks the reply, runs the
// pipeline and hands the raw request/response to the route's upstream (bodies stream through untouched:
// no content-type parser consumes them). WebSocket upgrades go through the same pipeline first.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type FastifyInstance, type FastifyReply, type FastifyRequest, fastify } from 'fastify';
import type { Logger } from 'pino';
import type { TrustedProxies } from './client-address.ts';
import { ERRORS, GatewayError, type HttpErrorCode } from './errors.ts';
import { rateLimitHeaders } from './limits/rate-limit.ts';
import { type Admission, admit, type PipelineDeps } from './pipeline.ts';
import { sendProblem, sendProblemOnSocket } from './problem.ts';
import { buildUpstreamHeaders, type ForwardOptions, ProxyError } from './proxy/index.ts';
import { newTraceparent, requestIdOf, validTraceparent } from './request-id.ts';
import { type CompiledRoute, hasDotSegment, matchRoute, type Runtime, upstreamPath } from './runtime.ts';

export interface PublicServerDeps extends PipelineDeps {
  readonly logger: Logger;
  /** the config a new request starts with */
  current(): Runtime;
  /** called when a retired config's last request finished */
  onIdle(runtime: Runtime): void;
  readonly tls?: { cert: Buffer; key: Buffer } | undefined;
  /** listen.public.trustedProxies; undefined: the peer is always the client */
  readonly trustedProxies?: TrustedProxies | undefined;
}

/** Where a request comes from: the client's address, and whether its peer is a trusted proxy. */
interface Origin {
  readonly ip: string;
  readonly viaTrustedProxy: boolean;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface Failure {
  readonly code: HttpErrorCode;
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

function failureOf(err: unknown): Failure {
  if (err instanceof GatewayError) return { code: err.code, reason: err.reason, headers: err.headers };
  if (err instanceof ProxyError) return { code: err.code, reason: err.code.toLowerCase(), headers: undefined };
  return { code: 'INTERNAL_ERROR', reason: 'internal_error', headers: undefined };
}

/** Checks done before the pipeline: a route must match and the path must be unambiguous. */
function routeFor(runtime: Runtime, method: string, url: string, host: string | undefined): CompiledRoute {
  if (hasDotSegment(url)) throw new GatewayError('BAD_REQUEST', 'dot_segment_in_path');
  const route = matchRoute(runtime, method, url, host);
  if (route === undefined) throw new GatewayError('ROUTE_NOT_FOUND', 'no_route');
  return route;
}

function forwardOptions(
  route: CompiledRoute,
  req: IncomingMessage,
  requestId: string,
  admission: Admission,
  origin: Origin,
): ForwardOptions {
  const incoming = validTraceparent(req.headers.traceparent);
  const set: Record<string, string> = {
    'x-passport': admission.passport,
    'x-request-id': requestId,
    traceparent: incoming ?? newTraceparent(),
  };
  const url = req.url ?? '/';
  return {
    method: req.method ?? 'GET',
    path: upstreamPath(route, url),
    headers: buildUpstreamHeaders(req, {
      remove: incoming === undefined ? route.removeHeadersNewTrace : route.removeHeaders,
      removeCookie: route.removeCookie,
      set,
      trustForwarded: origin.viaTrustedProxy,
    }),
    requestId,
  };
}

export class PublicServer {
  readonly app: FastifyInstance;
  readonly #deps: PublicServerDeps;

  constructor(deps: PublicServerDeps) {
    this.#deps = deps;
    const app = fastify({
      logger: false,
      genReqId: (req) => requestIdOf(req.headers['x-request-id']),
      exposeHeadRoutes: false,
      return503OnClosing: false,
      forceCloseConnections: 'idle',
      requestTimeout: 0,
      // a URL Fastify cannot decode: our problem+json (generic, with the request id), not Fastify's echo of it
      frameworkErrors: (err, request, reply) => {
        reply.hijack();
        this.#refuse(reply.raw, request.id, new GatewayError('BAD_REQUEST', err.code ?? 'bad_url'), undefined);
      },
      ...(deps.tls ? { https: deps.tls } : {}),
    }) as unknown as FastifyInstance;
    app.removeAllContentTypeParsers();
    // bodies are never parsed: they stay in the raw request and stream to the upstream
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    app.route({ method: METHODS, url: '*', handler: (request, reply) => this.#onRequest(request, reply) });
    app.setNotFoundHandler((request, reply) => {
      reply.hijack();
      this.#refuse(reply.raw, request.id, new GatewayError('ROUTE_NOT_FOUND', 'method_not_supported'), undefined);
    });
    app.setErrorHandler((err: Error & { statusCode?: unknown; code?: string }, request, reply) => {
      reply.hijack();
      const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
      const failure = new GatewayError(status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR', err.code ?? 'framework_error');
      this.#refuse(reply.raw, request.id, failure, undefined);
    });
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#onUpgrade(req, socket, head);
    });
    this.app = app;
  }

  #onRequest(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    void this.#handle(request.raw, reply.raw, request.id);
  }

  async #handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const deps = this.#deps;
    const runtime = deps.current();
    runtime.active++;
    const started = runtime.config.logging.access ? performance.now() : 0;
    res.setHeader('x-request-id', requestId);
    let route: CompiledRoute | undefined;
    let status = 0;
    let principal = '';
    try {
      const url = req.url ?? '/';
      const method = req.method ?? 'GET';
      route = routeFor(runtime, method, url, req.headers.host);
      const origin = this.#origin(req);
      const admission = await admit(deps, runtime, route, req.headers, origin.ip);
      principal = admission.principal.ref;
      if (admission.rateLimit !== undefined) {
        const headers = rateLimitHeaders(admission.rateLimit);
        for (const name in headers) res.setHeader(name, headers[name] as string);
      }
      const result = await route.upstream.forward(req, res, forwardOptions(route, req, requestId, admission, origin));
      status = result.status;
      route.metrics.upstreamSeconds.observe(result.durationMs / 1000);
    } catch (err) {
      status = this.#refuse(res, requestId, err, route);
    } finally {
      if (route !== undefined) route.metrics.request(status);
      else deps.services.metrics.route('').request(status);
      if (started !== 0) {
        deps.logger.info(
          {
            reqId: requestId,
            method: req.method,
            path: pathOnly(req.url),
            route: route?.name,
            status,
            principal: principal || undefined,
            ms: Math.round((performance.now() - started) * 100) / 100,
          },
          'request',
        );
      }
      if (--runtime.active === 0 && runtime.retired) deps.onIdle(runtime);
    }
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const deps = this.#deps;
    const runtime = deps.current();
    const requestId = requestIdOf(req.headers['x-request-id']);
    socket.on('error', () => socket.destroy());
    let route: CompiledRoute | undefined;
    runtime.active++;
    try {
      route = routeFor(runtime, req.method ?? 'GET', req.url ?? '/', req.headers.host);
      const origin = this.#origin(req);
      const admission = await admit(deps, runtime, route, req.headers, origin.ip);
      route.upstream.upgrade(req, socket, head, forwardOptions(route, req, requestId, admission, origin));
      route.metrics.request(101);
    } catch (err) {
      const failure = failureOf(err);
      this.#log(failure, err, requestId, route, req);
      (route?.metrics ?? deps.services.metrics.route('')).request(statusOf(failure.code));
      sendProblemOnSocket(socket, failure.code, requestId, failure.headers);
    } finally {
      if (--runtime.active === 0 && runtime.retired) deps.onIdle(runtime);
    }
  }

  /** The client's address: the peer's, or from X-Forwarded-For when the peer is a trusted proxy. */
  #origin(req: IncomingMessage): Origin {
    const peer = req.socket.remoteAddress ?? '';
    const proxies = this.#deps.trustedProxies;
    if (proxies === undefined || !proxies.trusts(peer)) return { ip: peer, viaTrustedProxy: false };
    return { ip: proxies.clientAddress(peer, req.headers['x-forwarded-for']), viaTrustedProxy: true };
  }

  /** Writes the problem response for a failure; returns its status. */
  #refuse(res: ServerResponse, requestId: string, err: unknown, route: CompiledRoute | undefined): number {
    const failure = failureOf(err);
    if (route !== undefined) {
      if (failure.code === 'RATE_LIMITED') route.metrics.rateLimited.inc();
      else if (failure.code === 'QUOTA_EXCEEDED') route.metrics.quotaExceeded.inc();
    }
    this.#log(failure, err, requestId, route, res.req);
    sendProblem(res, failure.code, requestId, failure.headers);
    return statusOf(failure.code);
  }

  #log(
    failure: Failure,
    err: unknown,
    requestId: string,
    route: CompiledRoute | undefined,
    req: IncomingMessage,
  ): void {
    const fields = {
      reqId: requestId,
      route: route?.name,
      code: failure.code,
      reason: failure.reason,
      method: req.method,
      path: pathOnly(req.url),
    };
    if (failure.code === 'INTERNAL_ERROR') {
      this.#deps.logger.error(
        { ...fields, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) },
        'request failed',
      );
    } else if (err instanceof ProxyError) {
      this.#deps.logger.warn({ ...fields, target: err.target, cause: causeMessage(err) }, 'upstream failed');
    } else {
      this.#deps.logger.info(fields, 'request refused');
    }
  }
}

function statusOf(code: HttpErrorCode): number {
  return ERRORS[code].status;
}

function causeMessage(err: Error): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : undefined;
}

/** The path without the query string (queries may carry secrets; they are never logged). */
function pathOnly(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
