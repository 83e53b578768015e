// Bench tokens, signed with node:crypto: valid ones (RS256 by default, iss https://auth.local, aud api,
// sub user-123, exp 2100-01-01, kid set) and the negative kinds the auth checks send.
import { createHmac, randomUUID, sign } from 'node:crypto';
import type { BenchKeys } from './keys.ts';

export const ISSUER = 'https://auth.local';
export const AUDIENCE = 'api';
export const FAR_FUTURE_EXP = 4102444800; // 2100-01-01T00:00:00Z

export type TokenAlg = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';
export const TOKEN_KINDS = [
  'valid',
  'expired',
  'badsig',
  'badaud',
  'badiss',
  'noexp',
  'nbf-future',
  'none',
  'confusion',
  'unknownkid',
  'garbage',
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

const b64u = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const enc = (value: unknown) => b64u(JSON.stringify(value));

function signature(keys: BenchKeys, alg: TokenAlg, input: string): Buffer {
  switch (alg) {
    case 'RS256':
      return sign('sha256', Buffer.from(input), keys.rs256.privateKey);
    case 'ES256':
      return sign('sha256', Buffer.from(input), { key: keys.es256.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, Buffer.from(input), keys.ed25519.privateKey);
    case 'HS256':
      return createHmac('sha256', keys.hs256.secret).update(input).digest();
  }
}

const KID: Record<TokenAlg, keyof Pick<BenchKeys, 'rs256' | 'es256' | 'ed25519' | 'hs256'>> = {
  RS256: 'rs256',
  ES256: 'es256',
  EdDSA: 'ed25519',
  HS256: 'hs256',
};

export function makeToken(
  keys: BenchKeys,
  options: { alg?: TokenAlg; kind?: TokenKind; sub?: string; now?: number } = {},
): string {
  const { alg = 'RS256', kind = 'valid', sub = 'user-123' } = options;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const header: Record<string, unknown> = { alg, typ: 'JWT', kid: keys[KID[alg]].kid };
  const payload: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub,
    scope: 'read write',
    iat: now,
    exp: FAR_FUTURE_EXP,
    jti: randomUUID(),
  };
  switch (kind) {
    case 'valid':
    case 'badsig':
      break;
    case 'expired':
      payload.iat = now - 7200;
      payload.exp = now - 3600;
      break;
    case 'badaud':
      payload.aud = 'other-api';
      break;
    case 'badiss':
      payload.iss = 'https://evil.example';
      break;
    case 'noexp':
      delete payload.exp;
      break;
    case 'nbf-future':
      payload.nbf = now + 3600;
      break;
    case 'unknownkid':
      header.kid = 'no-such-kid';
      break;
    case 'garbage':
      return 'not.a.jwt';
    case 'none':
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`;
    case 'confusion': {
      // RS256 → HS256 algorithm confusion: an HMAC keyed with the RSA public key PEM
      const input = `${enc({ alg: 'HS256', typ: 'JWT', kid: keys.rs256.kid })}.${enc(payload)}`;
      return `${input}.${b64u(createHmac('sha256', keys.rs256.publicPem).update(input).digest())}`;
    }
  }
  const input = `${enc(header)}.${enc(payload)}`;
  const sig = signature(keys, alg, input);
  if (kind === 'badsig') sig[sig.length >> 1] ^= 0x01;
  return `${input}.${b64u(sig)}`;
}
