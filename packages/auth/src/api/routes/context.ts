// What route handlers share: the deps, the API-key and account services built on them, and the clock.
import type { Accounts } from '../../accounts/accounts.ts';
import type { ApiKeyService } from '../../apikeys/service.ts';
import type { JsonApiDeps } from '../index.ts';

export interface RouteContext {
  deps: JsonApiDeps;
  keys: ApiKeyService;
  /** Accounts with the JSON API's logger: a failed `user.changed` is logged, the change stands. */
  accounts: Accounts;
  now: () => Date;
}
