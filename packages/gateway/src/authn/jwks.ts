// One trusted issuer's signing keys: fetched from its JWKS (jwksUri, or discovery), imported once into
// node:crypto KeyObjects so that a lookup is synchronous, refreshed periodically, refetched once
// (single-flight, with a cooldown) when a token names an unknown kid. A failed fetch keeps the keys
// we have: tokens signed with known keys keep passing while the IdP is unreachable.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { IssuerConfig } from '../config/schema.ts';

export type JwksFetchOutcome = 'ok' | 'error';
export type JwksRefreshCause = 'start' | 'unknown_kid' | 'periodic' | 'retry' | 'keys_changed';

export interface IssuerKeysDeps {
  logger: Logger;
  now: () => number;
  onFetch?: (issuerId: string, outcome: JwksFetchOutcome) => void;
}

interface StoredKey {
  readonly kid: string | undefined;
  /** the JWK's `alg`, when it names one: the key is then only usable with that algorithm */
  readonly alg: string | undefined;
  readonly kty: string;
  readonly crv: string | undefined;
  readonly key: KeyObject;
}

/** Which key types an algorithm may be verified with (alg/key confusion is refused here and by jose). */
function keyFits(alg: string, key: StoredKey): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.kty === 'RSA';
  if (alg === 'ES256') return key.kty === 'EC' && key.crv === 'P-256';
  if (alg === 'ES384') return key.kty === 'EC' && key.crv === 'P-384';
  if (alg === 'ES512') return key.kty === 'EC' && key.crv === 'P-521';
  if (alg === 'EdDSA' || alg === 'Ed25519') return key.kty === 'OKP' && key.crv === 'Ed25519';
  return false;
}

const RETRY_WHEN_EMPTY_MS = 1000;

export class IssuerKeys {
  readonly config: IssuerConfig;
  readonly #deps: IssuerKeysDeps;
  #keys: readonly StoredKey[] = [];
  #loaded = false;
  #jwksUri: string | undefined;
  #inflight: Promise<boolean> | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(config: IssuerConfig, deps: IssuerKeysDeps) {
    this.config = config;
    this.#deps = deps;
    this.#jwksUri = config.jwksUri;
  }

  /** true once a JWKS was fetched successfully (it may be stale now). */
  get loaded(): boolean {
    return this.#loaded;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** Fetches the keys and starts the periodic refresh. Resolves after the first attempt. */
  async start(): Promise<boolean> {
    const ok = await this.refresh('start');
    this.#schedule();
    return ok;
  }

  /** The verification key for a token header, or undefined when none of ours fits. */
  find(kid: string | undefined, alg: string): KeyObject | undefined {
    if (kid === undefined) {
      const fitting = this.#keys.filter((k) => keyFits(alg, k));
      return fitting.length === 1 ? fitting[0]?.key : undefined;
    }
    for (const k of this.#keys) if (k.kid === kid && keyFits(alg, k)) return k.key;
    return undefined;
  }

  /** A token names a key we do not have: join the fetch in flight, or start one when the cooldown since the
   *  last attempt has passed (while no key was ever loaded, the shorter retry interval). Undefined when neither:
   *  the caller refuses the token without waiting. */
  refetchForMissingKey(): Promise<boolean> | undefined {
    if (this.#inflight !== undefined) return this.#inflight;
    const interval = this.#loaded ? this.config.cooldown : Math.min(RETRY_WHEN_EMPTY_MS, this.config.cooldown);
    if (this.#deps.now() - this.#lastAttempt < interval) return undefined;
    return this.refresh(this.#loaded ? 'unknown_kid' : 'retry');
  }

  /** Fetches the JWKS now; concurrent callers share one fetch. Resolves true when keys were loaded. */
  refresh(cause: JwksRefreshCause): Promise<boolean> {
    this.#inflight ??= this.#fetchKeys(cause).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#closed) return;
    const delay = this.#loaded ? this.config.refreshInterval : Math.min(RETRY_WHEN_EMPTY_MS, this.config.cooldown);
    this.#timer = setTimeout(() => {
      void this.refresh(this.#loaded ? 'periodic' : 'retry').finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }

  async #fetchKeys(cause: JwksRefreshCause): Promise<boolean> {
    this.#lastAttempt = this.#deps.now();
    const log = this.#deps.logger;
    try {
      const uri = this.#jwksUri ?? (await this.#discover());
      const body = await this.#getJson(uri);
      const keys = parseJwks(body);
      if (keys.length === 0) throw new Error('the JWKS holds no usable signing key');
      this.#keys = keys;
      this.#jwksUri = uri;
      this.#loaded = true;
      this.#deps.onFetch?.(this.config.id, 'ok');
      log.debug({ issuer: this.config.id, cause, keys: keys.length }, 'issuer keys fetched');
      return true;
    } catch (err) {
      this.#deps.onFetch?.(this.config.id, 'error');
      log.warn(
        {
          issuer: this.config.id,
          cause,
          err: err instanceof Error ? err.message : String(err),
          keptKeys: this.#keys.length,
        },
        'issuer keys fetch failed',
      );
      return false;
    }
  }

  async #discover(): Promise<string> {
    const base = this.config.issuer.replace(/\/+$/, '');
    const doc = await this.#getJson(`${base}/.well-known/openid-configuration`);
    if (typeof doc !== 'object' || doc === null) throw new Error('discovery document is not an object');
    const { issuer, jwks_uri: jwksUri } = doc as Record<string, unknown>;
    if (issuer !== this.config.issuer) throw new Error('discovery document names another issuer');
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new Error('discovery document has no jwks_uri');
    return jwksUri;
  }

  async #getJson(url: string): Promise<unknown> {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(this.config.fetchTimeout),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`GET ${url} answered ${response.status}`);
    }
    return await response.json();
  }
}

function parseJwks(body: unknown): StoredKey[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error('the JWKS is not an object with a keys array');
  }
  const keys: StoredKey[] = [];
  for (const jwk of (body as { keys: unknown[] }).keys) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const j = jwk as Record<string, unknown>;
    if (j.use !== undefined && j.use !== 'sig') continue;
    if (j.kty !== 'RSA' && j.kty !== 'EC' && j.kty !== 'OKP') continue; // never symmetric keys
    if ('d' in j) continue; // a private key has no business in a JWKS
    try {
      const key = createPublicKey({ key: j as import('node:crypto').JsonWebKey, format: 'jwk' });
      keys.push({
        kid: typeof j.kid === 'string' ? j.kid : undefined,
        alg: typeof j.alg === 'string' ? j.alg : undefined,
        kty: j.kty,
        crv: typeof j.crv === 'string' ? j.crv : undefined,
        key,
      });
    } catch {
      // an unparsable key is skipped; the others stay usable
    }
  }
  return keys;
}
