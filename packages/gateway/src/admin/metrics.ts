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
  readonly eventSubscription: Counter<'state'>;
  readonly #authnChildren = new Map<string, CounterChild>();
  readonly #routes = new Map<string, RouteMetrics>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registry = new Registry();
    this.registry = registry;
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name: `edgepass_${name}`, help, labelNames, registers: [registry] });
    this.requests = counter(
      'requests_total',
      'Requests answered, by route and HTTP status (route "" when no route matched).',
      ['route', 'status'],
    );
    this.authn = counter(
      'authn_total',
      'Authentication outcomes by credential kind (method) and outcome (ok or the refusal reason).',
      ['method', 'outcome'],
    );
    this.jwksFetches = counter('jwks_fetches_total', 'JWKS fetches by issuer and outcome (ok, error).', [
      'issuer',
      'outcome',
    ]);
    this.rateLimited = counter('rate_limited_total', 'Requests refused with 429 by a rate limit, by route.', ['route']);
    this.quotaExceeded = counter('quota_exceeded_total', 'Requests refused with 402 by a plan quota, by route.', [
      'route',
    ]);
    this.storeUnavailable = counter(
      'store_unavailable_total',
      'Rate-limit or quota checks that could not reach the store, by check and policy (open: allowed, closed: 503).',
      ['check', 'policy'],
    );
    this.reloads = counter('config_reloads_total', 'Configuration reloads by outcome (ok, invalid).', ['outcome']);
    this.eventSubscription = counter(
      'event_subscription_total',
      'Interruptions of the event subscription (interrupted) and recoveries (resumed: cached credentials dropped).',
      ['state'],
    );
    this.upstreamDuration = new Histogram({
      name: 'edgepass_upstream_duration_seconds',
      help: 'Time from forwarding a request to the end of the upstream response, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'edgepass_' });
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
