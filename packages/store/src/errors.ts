// The store's error registry. Codes are API: never rename or reuse one (docs/errors.md lists them all).
// Messages never contain secrets (passwords in URLs, master keys, private keys, SQL parameters);
// internals go to `cause`.

export const storeErrors = {
  STORE_UNAVAILABLE: { status: 503, title: 'A storage backend (PostgreSQL or Redis) is unavailable' },
  STORE_CONFIG_INVALID: { status: 500, title: 'The store configuration is invalid' },
  STORE_LOCKED: { status: 500, title: 'The embedded database is in use by another process' },
  STORE_CLOSED: { status: 500, title: 'The store has been closed' },
  MIGRATION_FAILED: { status: 500, title: 'A database migration failed' },
  MIGRATION_CHECKSUM_MISMATCH: { status: 500, title: 'An applied database migration was changed' },
  MASTER_KEY_MISSING: { status: 500, title: 'EDGEPASS_MASTER_KEY is not set' },
  MASTER_KEY_INVALID: { status: 500, title: 'EDGEPASS_MASTER_KEY is not 32 bytes of base64url' },
  KEY_DECRYPT_FAILED: { status: 500, title: 'A signing key could not be decrypted' },
  SIGNING_KEY_NOT_FOUND: { status: 500, title: 'No signing key in the requested state' },
} as const satisfies Record<string, { status: number; title: string }>;

export type StoreErrorCode = keyof typeof storeErrors;

export const storeErrorCodes = Object.keys(storeErrors) as StoreErrorCode[];

export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly status: number;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = storeErrors[code].status;
  }
}

/** A backend (PostgreSQL or Redis) did not answer: callers decide to fail open or closed. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  static readonly code = 'STORE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

export function isStoreUnavailable(err: unknown): err is StoreUnavailableError {
  return err instanceof StoreError && err.code === 'STORE_UNAVAILABLE';
}
