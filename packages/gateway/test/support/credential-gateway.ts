// A gateway for revocation tests: one route (/api) that accepts access tokens (from a test issuer), API keys
// and sessions, whose caches would keep a credential for an hour, a user `usr_ada` to own keys and sessions,
// and a recording upstream. The test brings the store and the clock.
import type { Store } from '@edgepass/store';
import { TestCredentials } from './credentials.ts';
import { startTestGateway, type TestGateway, testConfig } from './gateway.ts';
import { TestIssuer } from './issuer.ts';
import { TestUpstream } from './upstream.ts';

export const OWNER = 'usr_ada';

export interface CredentialGateway {
  readonly gw: TestGateway;
  readonly issuer: TestIssuer;
  readonly credentials: TestCredentials;
  /** GET /api/x with these headers */
  request(headers: Record<string, string>): Promise<Response>;
  /** the same; only the status (the body is consumed) */
  status(headers: Record<string, string>): Promise<number>;
  /** closes the gateway, the upstream and the issuer (not the store) */
  close(): Promise<void>;
}

export async function startCredentialGateway(options: {
  store: Store;
  t0: number;
  now: () => number;
  revalidateAfter: number | string;
  /** with Redis: how often the gateway probes its event subscription */
  eventProbeIntervalMs?: number;
  /** the store the gateway uses, when it differs from `store` (e.g. one that observes it) */
  gatewayStore?: Store;
}): Promise<CredentialGateway> {
  const credentials = new TestCredentials(options.store.sql, options.t0);
  await credentials.user(OWNER);
  const upstream = await TestUpstream.start();
  const issuer = await TestIssuer.start({ now: options.now });
  const gw = await startTestGateway(
    testConfig({
      issuers: [
        { id: 'idp', issuer: issuer.url, jwksUri: issuer.jwksUri, audiences: ['edgepass-api'], algorithms: ['RS256'] },
      ],
      credentials: {
        revalidateAfter: options.revalidateAfter,
        apiKey: { cacheTtl: '1h' },
        session: { cacheTtl: '1h' },
      },
      routes: [
        {
          name: 'api',
          match: { pathPrefix: '/api' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url] },
          // no rate limit or quota: a cached credential is served without Redis
          accept: ['access_token', 'api_key', 'session'],
        },
      ],
    }),
    {
      store: options.gatewayStore ?? options.store,
      now: options.now,
      eventProbeIntervalMs: options.eventProbeIntervalMs,
    },
  );
  return {
    gw,
    issuer,
    credentials,
    request: (headers) => fetch(gw.url('/api/x'), { headers }),
    async status(headers) {
      const res = await fetch(gw.url('/api/x'), { headers });
      await res.arrayBuffer();
      return res.status;
    },
    async close() {
      await gw.close();
      await upstream.close();
      await issuer.down();
    },
  };
}
