// Access-token signing keys, held in the store's SigningKeyStore (table signing_keys, private parts encrypted
// with the master key). oidc-provider gets only the ACTIVE private key (so it can only sign with that one);
// the published JWKS (/.well-known/jwks.json) is the store's public set: next + active + retired-not-past-
// not_after, so a staged key is known to every verifier before it signs and a retired one stays until the
// last token it signed has expired.
import type { SigningAlgorithm, SigningKeyStore } from '@edgepass/store';
import type { JWK } from 'jose';

/** The part of @edgepass/store's SigningKeyStore the auth service uses. */
export type SigningKeySource = Pick<SigningKeyStore, 'ensureActive' | 'activeKey' | 'publicJwks'>;

export interface LoadedKeys {
  /** JWKS with the one active private key, for oidc-provider's `jwks` option. */
  providerJwks: { keys: JWK[] };
  /** Public keys to publish and verify against. */
  publicJwks: { keys: JWK[] };
  activeKid: string;
  activeAlg: string;
}

/** Makes sure an active key exists (first start) and loads the current set. */
export async function loadAccessTokenKeys(source: SigningKeySource, alg: SigningAlgorithm): Promise<LoadedKeys> {
  await source.ensureActive('access_token', alg);
  const [active, publicJwks] = await Promise.all([source.activeKey('access_token'), source.publicJwks('access_token')]);
  return {
    providerJwks: {
      keys: [{ ...(active.privateKey.export({ format: 'jwk' }) as JWK), kid: active.kid, alg: active.alg, use: 'sig' }],
    },
    publicJwks: { keys: publicJwks.keys.map((k) => ({ ...k })) },
    activeKid: active.kid,
    activeAlg: active.alg,
  };
}
