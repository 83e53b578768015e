// Prometheus metrics (prom-client), one registry per gateway instance. Label children are created once
// and cached so that counting a request on the hot path is a Map lookup and an increment.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AuthnReason } from '../errors.ts';

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

/** Counters of one route, children cached by status code. */
export class RouteMetrics {
  readonly route: string;
  readonly #requests: Counter<'route' | 'status'>;
  readonly #byStatus = new Map<number, CounterChild>();
  readonly upstreamSeconds: HistogramChild;
  readonly rateLimited: CounterChild;
  readonly quotaExceeded: CounterChild;

  constructor(metrics: GatewayMetrics, route: string) {
    this.route = route;
    this.#requests = metrics.requests;
    this.upstreamSeconds = metrics.upstreamDuration.labels(route);
    this.rateLimited = metrics.rateLimited.labels(route);
    this.quotaExceeded = metrics.quotaExceeded.labels(route);
  }

  request(status: number): void {
    let child = this.#byStatus.get(status);
    if (child === undefined) {
      child = this.#requests.labels(this.route, String(status));
      this.#byStatus.set(status, child);
    }
    child.inc();
  }
}

export class GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'status'>;
  readonly authn: Counter<'method' | 'outcome'>;
  readonly jwksFetches: Counter<'issuer' | 'outcome'>;
  readonly upstreamDuration: Histogram<'route'>;
  readonly rateLimited: Counter<'route'>;
  readonly quotaExceeded: Counter<'route'>;
  readonly storeUnavailable: Counter<'check' | 'policy'>;
  readonly reloads: Counter<'outcome'>;
  readonly #authnChildren = new Map<string, CounterChild>();
  readonly #routes = new Map<string, RouteMetrics>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'edgepass_requests_total',
      help: 'Requests answered, by route and HTTP status (route "" when no route matched).',
      labelNames: ['route', 'status'],
      registers,
    });
    this.authn = new Counter({
      name: 'edgepass_authn_total',
      help: 'Authentication outcomes by credential kind (method) and outcome (ok or the refusal reason).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.jwksFetches = new Counter({
      name: 'edgepass_jwks_fetches_total',
      help: 'JWKS fetches by issuer and outcome (ok, error).',
      labelNames: ['issuer', 'outcome'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'edgepass_upstream_duration_seconds',
      help: 'Time from forwarding a request to the end of the upstream response, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'edgepass_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit, by route.',
      labelNames: ['route'],
      registers,
    });
    this.quotaExceeded = new Counter({
      name: 'edgepass_quota_exceeded_total',
      help: 'Requests refused with 402 by a plan quota, by route.',
      labelNames: ['route'],
      registers,
    });
    this.storeUnavailable = new Counter({
      name: 'edgepass_store_unavailable_total',
      help: 'Rate-limit or quota checks that could not reach the store, by check and policy (open: allowed, closed: 503).',
      labelNames: ['check', 'policy'],
      registers,
    });
    this.reloads = new Counter({
      name: 'edgepass_config_reloads_total',
      help: 'Configuration reloads by outcome (ok, invalid).',
      labelNames: ['outcome'],
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'edgepass_' });
  }

  route(name: string): RouteMetrics {
    let route = this.#routes.get(name);
    if (route === undefined) {
      route = new RouteMetrics(this, name);
      this.#routes.set(name, route);
    }
    return route;
  }

  authnOutcome(method: string, outcome: 'ok' | AuthnReason): void {
    // success is the hot path: no key building
    const key = outcome === 'ok' ? method : `${method}\u0000${outcome}`;
    let child = this.#authnChildren.get(key);
    if (child === undefined) {
      child = this.authn.labels(method, outcome);
      this.#authnChildren.set(key, child);
    }
    child.inc();
  }
}
