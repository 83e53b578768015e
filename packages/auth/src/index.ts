// @edgepass/auth: the identity service (accounts, OAuth 2.1/OIDC on oidc-provider, external IdP login,
// signing keys + JWKS) plus the API-key/usage JSON API.
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
export { AUTH_ERROR_CODES, AUTH_ERRORS, AuthError, type AuthErrorCode, isAuthError } from './errors.ts';
export { createLogger } from './logger.ts';
export { OIDC_ROUTES } from './oidc/provider.ts';
export { BrowserSessions } from './sessions/browser-sessions.ts';
export { TokenDenylist } from './tokens/denylist.ts';
export { AccessTokenVerifier } from './tokens/verify.ts';
