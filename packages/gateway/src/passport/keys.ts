// The passport signing key and the public JWKS. EdDSA (default): keys live in the store (SigningKeyStore,
// use 'passport'), shared by every gateway on one database; the first start creates the active key, a
// rotation (`keys.changed`) makes every gateway reload. HS256: a secret from EDGEPASS_PASSPORT_SECRET;
// nothing is published.
import { createHash } from 'node:crypto';
import type { PublicSigningJwk, SigningKeyStore } from '@edgepass/store';
import type { Logger } from 'pino';
import { ConfigError } from '../errors.ts';
import type { PassportCache } from './cache.ts';
import { PassportMinter, type PassportSigningKey } from './minter.ts';

export const PASSPORT_SECRET_ENV = 'EDGEPASS_PASSPORT_SECRET';
const MIN_SECRET_BYTES = 32;
/** Retired keys drop out of the JWKS after their not_after: refresh the published set this often. */
const JWKS_REFRESH_MS = 60_000;

export interface PassportKeysOptions {
  alg: 'EdDSA' | 'HS256';
  issuer: string;
  ttlMs: number;
  cache: PassportCache;
  logger: Logger;
  /** EdDSA: the store's signing keys */
  keyStore?: SigningKeyStore;
  env?: NodeJS.ProcessEnv;
}

/** The HS256 secret from the environment (at least 32 bytes, used as UTF-8 bytes). */
export function passportSecret(env: NodeJS.ProcessEnv): Uint8Array {
  const value = env[PASSPORT_SECRET_ENV];
  const bytes = value === undefined ? new Uint8Array() : new TextEncoder().encode(value);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ConfigError([
      { path: 'passport.alg', message: `HS256 needs ${PASSPORT_SECRET_ENV} set to at least ${MIN_SECRET_BYTES} bytes` },
    ]);
  }
  return bytes;
}

export class PassportKeys {
  readonly #options: PassportKeysOptions;
  #jwks = '{"keys":[]}';
  #loaded = false;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => void) | undefined;

  private constructor(options: PassportKeysOptions) {
    this.#options = options;
  }

  /** Loads (EdDSA: creating on first start) the signing key. Throws when it cannot. */
  static async open(options: PassportKeysOptions): Promise<PassportKeys> {
    const keys = new PassportKeys(options);
    if (options.alg === 'HS256') {
      const secret = passportSecret(options.env ?? process.env);
      const kid = `hs256-${createHash('sha256').update(secret).digest('base64url').slice(0, 12)}`;
      keys.#use({ alg: 'HS256', kid, secret });
      keys.#loaded = true;
      return keys;
    }
    const store = options.keyStore;
    if (store === undefined) throw new TypeError('EdDSA passports need the store signing keys');
    await store.ensureActive('passport', 'EdDSA');
    await keys.#reload();
    keys.#unlisten = store.onChange((use) => {
      if (use === 'passport') void keys.#reload();
    });
    keys.#timer = setInterval(() => void keys.#reloadJwks(), JWKS_REFRESH_MS);
    keys.#timer.unref();
    return keys;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** The public JWKS document (JSON text) for /.well-known/passport-jwks.json. */
  jwks(): string {
    return this.#jwks;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unlisten?.();
  }

  #use(key: PassportSigningKey): void {
    const current = this.#options.cache.minter;
    if (current !== undefined && current.key.kid === key.kid) return;
    this.#options.cache.use(new PassportMinter(key, { issuer: this.#options.issuer, ttlMs: this.#options.ttlMs }));
  }

  async #reload(): Promise<void> {
    const store = this.#options.keyStore;
    if (store === undefined) return;
    try {
      const active = await store.activeKey('passport');
      if (active.alg !== 'EdDSA') throw new Error(`the active passport key uses ${active.alg}, not EdDSA`);
      this.#use({ alg: 'EdDSA', kid: active.kid, privateKey: active.privateKey });
      await this.#reloadJwks();
      this.#loaded = true;
      this.#options.logger.info({ kid: active.kid }, 'passport signing key loaded');
    } catch (err) {
      this.#options.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        'passport keys reload failed',
      );
      if (!this.#loaded) throw err;
    }
  }

  async #reloadJwks(): Promise<void> {
    const store = this.#options.keyStore;
    if (store === undefined) return;
    try {
      const { keys } = await store.publicJwks('passport');
      this.#jwks = JSON.stringify({ keys: keys.map((k: PublicSigningJwk) => ({ ...k })) });
    } catch (err) {
      this.#options.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'passport JWKS refresh failed',
      );
    }
  }
}
