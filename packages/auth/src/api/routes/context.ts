// What route handlers share: the deps, the API-key service built on them, and the clock.
import type { ApiKeyService } from '../../apikeys/service.ts';
import type { JsonApiDeps } from '../index.ts';

export interface RouteContext {
  deps: JsonApiDeps;
  keys: ApiKeyService;
  now: () => Date;
}
