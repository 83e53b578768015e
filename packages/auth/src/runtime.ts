// What the HTTP routes of the auth service share. Built once by app.ts; `provider()` and `issuer()` are
// functions because the oidc-provider instance is rebuilt when the signing keys change.
import type { Store } from '@edgepass/store';
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Accounts } from './accounts/accounts.ts';
import type { Clients } from './clients/clients.ts';
import type { AuthConfig } from './config.ts';
import type { Csrf } from './pages/csrf.ts';
import type { BrowserSessions } from './sessions/browser-sessions.ts';
import type { LoginThrottle } from './throttle.ts';

export interface AuthRuntime {
  readonly config: AuthConfig;
  readonly store: Store;
  readonly accounts: Accounts;
  readonly clients: Clients;
  readonly sessions: BrowserSessions;
  readonly csrf: Csrf;
  readonly throttle: LoginThrottle;
  readonly logger: Logger;
  readonly cookieSecure: boolean;
  /** Key for sealing short-lived values (external-IdP login state). */
  readonly stateKey: Uint8Array;
  issuer(): string;
  provider(): Provider;
  /**
   * Deletes the grants with their refresh tokens and codes and denylists their live JWT access tokens (as
   * oidc-provider's own revocation does); returns how many access tokens were denylisted.
   */
  revokeGrants(grantIds: Iterable<string>): Promise<number>;
}
