// API key format: `ep_<env>_<random>` where env is `live` or `test` and random is 32 random bytes in
// base64url (43 characters of [A-Za-z0-9_-], 256 bits). Only SHA-256 (base64url) of the whole key is
// stored, plus a display prefix (`ep_live_` and the first 4 random characters). Ids are `key_<random>`.
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_ENVS = ['live', 'test'] as const;
export type ApiKeyEnv = (typeof API_KEY_ENVS)[number];

const RANDOM_BYTES = 32;
const RANDOM_CHARS = 43; // base64url of 32 bytes, no padding
const PREFIX_RANDOM_CHARS = 4;
const ID_RANDOM_BYTES = 16;

const KEY_PATTERN = new RegExp(`^ep_(?:${API_KEY_ENVS.join('|')})_[A-Za-z0-9_-]{${RANDOM_CHARS}}$`);
const ID_PATTERN = /^key_[A-Za-z0-9_-]{22}$/;

export function isApiKeyEnv(value: unknown): value is ApiKeyEnv {
  return typeof value === 'string' && (API_KEY_ENVS as readonly string[]).includes(value);
}

/** true when value has the shape of an edgepass API key (says nothing about whether it exists). */
export function isApiKeyFormat(value: string): boolean {
  return KEY_PATTERN.test(value);
}

export function isApiKeyId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/** SHA-256 of the whole key (UTF-8), base64url: the value stored in api_keys.hash and looked up by gateways. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

export function newApiKeyId(): string {
  return `key_${randomBytes(ID_RANDOM_BYTES).toString('base64url')}`;
}

export interface GeneratedApiKey {
  /** the plaintext key: returned to the caller once, never stored */
  key: string;
  hash: string;
  /** e.g. `ep_live_AbC1`: safe to show in listings */
  prefix: string;
}

export function generateApiKey(env: ApiKeyEnv): GeneratedApiKey {
  if (!isApiKeyEnv(env)) throw new TypeError(`API key env must be one of ${API_KEY_ENVS.join(', ')}`);
  const key = `ep_${env}_${randomBytes(RANDOM_BYTES).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, `ep_${env}_`.length + PREFIX_RANDOM_CHARS) };
}
