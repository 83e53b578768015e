// @edgepass/auth: the identity service (accounts, OAuth 2.1/OIDC on oidc-provider, external IdP login,
// signing keys + JWKS) plus the API-key/usage JSON API, and the API-key and usage modules behind it (the CLI
// and `edgepass dev` use them on the store directly). Admin-command plumbing is in ./admin; helpers for
// first-party packages only (HTML pages, log redaction) are in ./internal.
export {
  Accounts,
  type AccountsOptions,
  type CreateUserInput,
  type LoginResult,
  type User,
  type UserStatus,
} from './accounts/accounts.ts';
export { isValidEmail, normalizeEmail } from './accounts/email.ts';
export { ARGON2_OPTIONS, checkPasswordPolicy, hashPassword, verifyPassword } from './accounts/password.ts';
export {
  API_KEY_ENVS,
  type ApiKeyEnv,
  type ApiKeyRecord,
  type ApiKeyRejection,
  type ApiKeyService,
  type ApiKeyServiceDeps,
  type ApiKeyStatus,
  type ApiKeyVerification,
  apiKeyService,
  apiKeyStatus,
  type CreateApiKeyInput,
  DEFAULT_MAX_ACTIVE_KEYS_PER_OWNER,
  DEFAULT_ROTATION_OVERLAP_SEC,
  decodeCursor,
  findOwner,
  type GeneratedApiKey,
  generateApiKey,
  hashApiKey,
  type IssuedApiKey,
  isApiKeyEnv,
  isApiKeyFormat,
  isApiKeyId,
  type ListCursor,
  type ListPage,
  MAX_ROTATION_OVERLAP_SEC,
  MAX_SCOPES_PER_KEY,
  type OwnerProfile,
  type OwnerScope,
  type RotateApiKeyInput,
  SCOPE_PATTERN,
  scopesNotGrantable,
  type UpdateApiKeyInput,
  verifyApiKey,
} from './apikeys/index.ts';
export { type AuthService, type AuthServiceOptions, createAuthService, startAuthService } from './app.ts';
export { type ClientRecord, Clients, type CreateClientInput, type GrantType } from './clients/clients.ts';
export {
  type AuthConfig,
  type AuthConfigInput,
  authConfigSchema,
  keyRetireAfterSec,
  loadAuthConfig,
  parseAuthConfig,
} from './config.ts';
export {
  AUTH_ERROR_CODES,
  AUTH_ERRORS,
  AuthError,
  type AuthErrorCode,
  AuthServiceError,
  ERROR_CODES,
  ERRORS,
  type ErrorCode,
  type FieldProblem,
  isAuthError,
  isAuthServiceError,
  JSON_API_ERROR_CODES,
  JSON_API_ERRORS,
  JsonApiError,
  type JsonApiErrorCode,
} from './errors.ts';
export { createLogger } from './logger.ts';
export { OIDC_ROUTES } from './oidc/provider.ts';
export { BrowserSessions } from './sessions/browser-sessions.ts';
export { TokenDenylist } from './tokens/denylist.ts';
export { AccessTokenVerifier } from './tokens/verify.ts';
export {
  type DayUsage,
  DEFAULT_PLANS,
  MAX_USAGE_RANGE_DAYS,
  type PrincipalUsage,
  setUserPlan,
  type UsageRange,
  type UsageReport,
  type UsageSubject,
  usageReport,
} from './usage/index.ts';
