// @edgepass/store: SQL (PGlite embedded or a PostgreSQL server), migrations, fast state (Redis or
// memory), signing keys at rest, batched usage writers.

export type { BatchWriterOptions } from './batch.ts';
export * from './errors.ts';
export * from './events.ts';
export {
  createMemoryFastState,
  MemoryBackend,
  type MemoryBackendOptions,
  type MemoryFastStateOptions,
} from './fast/memory.ts';
export { type FastStateOptions, openFastState } from './fast/open.ts';
export { DEFAULT_KEY_PREFIX, openRedisFastState, type RedisFastStateOptions } from './fast/redis.ts';
export { decryptPrivateJwk, encryptPrivateJwk } from './key-envelope.ts';
export {
  type ActiveSigningKey,
  defaultSigningAlgorithm,
  type KeyState,
  type KeyUse,
  type PublicSigningJwk,
  type SigningAlgorithm,
  type SigningKeyInfo,
  SigningKeyStore,
  type SigningKeyStoreOptions,
  signingAlgorithms,
} from './keys.ts';
export { ensureDevMasterKey, generateMasterKey, loadMasterKey, MASTER_KEY_BYTES } from './master-key.ts';
export {
  appliedMigrations,
  loadMigrations,
  type Migration,
  type MigrationRecord,
  migrate,
  migrationsDir,
} from './migrate.ts';
export {
  DEFAULT_DATA_DIR,
  type OpenedStore,
  type OpenStoreOptions,
  openSql,
  openStore,
  pgliteDir,
  storeOptionsFromEnv,
  unsharedFastStateWarning,
} from './open-store.ts';
export type { ScriptExecutor, SqlDriver } from './sql/driver.ts';
export { openPgSql, type PgSqlOptions } from './sql/pg.ts';
export { MEMORY_DATA_DIR, openPgliteSql, type PgliteSqlOptions } from './sql/pglite.ts';
export type * from './types.ts';
export { checkServiceUrl, redactUrl } from './url.ts';
export {
  ApiKeyLastUsedRecorder,
  type ApiKeyLastUsedRecorderOptions,
  queryUsage,
  type UsageQuery,
  UsageRecorder,
  type UsageRecorderOptions,
  type UsageRow,
} from './usage.ts';
