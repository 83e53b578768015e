// Holds the current oidc-provider instance and the access-token keys it was built with.
// oidc-provider reads its keystore once, at construction, and has no API to swap keys at runtime — so when
// the ACTIVE signing key changes (`edgepass keys rotate` on any instance → `keys.changed`, or the periodic
// refresh that covers a missed event) a new Provider is built and swapped in atomically. All provider state
// lives in the store, so requests in flight on the old instance finish normally and new ones use the new
// instance. A change of the published set only (a key staged or pruned) just replaces the public JWKS.
import type { SigningAlgorithm } from '@edgepass/store';
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { type LoadedKeys, loadAccessTokenKeys, type SigningKeySource } from './signing-keys.ts';

export interface ProviderHolderOptions {
  source: SigningKeySource;
  alg: SigningAlgorithm;
  build: (keys: LoadedKeys) => Provider;
  logger: Logger;
  /** Minimum time between two reloads caused by unknown kids in presented tokens. */
  unknownKidCooldownMs?: number;
}

export class ProviderHolder {
  readonly #options: ProviderHolderOptions;
  #current: { provider: Provider; handler: ReturnType<Provider['callback']>; keys: LoadedKeys } | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #lastKidReload = 0;

  constructor(options: ProviderHolderOptions) {
    this.#options = options;
  }

  get ready(): boolean {
    return this.#current !== undefined;
  }

  #state() {
    if (!this.#current) throw new Error('the auth service is not initialised yet');
    return this.#current;
  }

  get provider(): Provider {
    return this.#state().provider;
  }

  get handler(): ReturnType<Provider['callback']> {
    return this.#state().handler;
  }

  get keys(): LoadedKeys {
    return this.#state().keys;
  }

  /** Reloads keys; rebuilds the provider when the active key changed. Concurrent calls coalesce. */
  async refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return await this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#load();
      } while (this.#again);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return await this.#refreshing;
  }

  /** For a token naming an unknown kid: reload at most once per cooldown (no reload storms from garbage tokens). */
  async refreshForUnknownKid(): Promise<void> {
    const cooldown = this.#options.unknownKidCooldownMs ?? 10_000;
    if (Date.now() - this.#lastKidReload < cooldown) return;
    this.#lastKidReload = Date.now();
    await this.refresh();
  }

  async #load(): Promise<void> {
    const keys = await loadAccessTokenKeys(this.#options.source, this.#options.alg);
    const current = this.#current;
    if (current && current.keys.activeKid === keys.activeKid) {
      this.#current = { ...current, keys: { ...current.keys, publicJwks: keys.publicJwks } };
      return;
    }
    const provider = this.#options.build(keys);
    this.#current = { provider, handler: provider.callback(), keys };
    if (current)
      this.#options.logger.info({ reason: 'signing_key_changed', kid: keys.activeKid }, 'oidc provider rebuilt');
  }
}
