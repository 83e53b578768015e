// API keys: format, storage, domain operations and the reference validity check.
export { JsonApiError, type JsonApiErrorCode } from '../errors.ts';
export {
  API_KEY_ENVS,
  type ApiKeyEnv,
  type GeneratedApiKey,
  generateApiKey,
  hashApiKey,
  isApiKeyEnv,
  isApiKeyFormat,
  isApiKeyId,
} from './format.ts';
export { findOwner, type OwnerProfile } from './owners.ts';
export { type ApiKeyRecord, type ApiKeyStatus, apiKeyStatus } from './record.ts';
export { decodeCursor, type ListCursor, type ListPage } from './repository.ts';
export { MAX_SCOPES_PER_KEY, SCOPE_PATTERN, scopesNotGrantable } from './scopes.ts';
export {
  type ApiKeyService,
  type ApiKeyServiceDeps,
  apiKeyService,
  type CreateApiKeyInput,
  DEFAULT_MAX_ACTIVE_KEYS_PER_OWNER,
  DEFAULT_ROTATION_OVERLAP_SEC,
  type IssuedApiKey,
  MAX_ROTATION_OVERLAP_SEC,
  type OwnerScope,
  type RotateApiKeyInput,
  type UpdateApiKeyInput,
} from './service.ts';
export { type ApiKeyRejection, type ApiKeyVerification, verifyApiKey } from './verify.ts';
