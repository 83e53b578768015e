// The node:crypto JWT path (jwt.ts) against jose, which it replaced on the gateway's hot path: both run over
// the same corpus — valid tokens for every allowed algorithm, every failure mode of test/access-token.test.ts,
// header and claim variations signed with the right key (alg/kid/typ/crit/b64, duplicate JSON keys, huge
// numbers, unicode, broken UTF-8, non-object JSON), and seeded random mutations of valid tokens (bits flipped
// in each segment, characters substituted, inserted, deleted, segments truncated, padded, swapped, headers of
// other tokens) — and must reach the same outcome for every token at every clock: the same claims, or the same
// refusal reason. The key lookup is shared and deliberately naive (by kid, whatever the algorithm), so
// mismatched and undersized keys reach both verifiers too.
import assert from 'node:assert/strict';
import { constants, createHmac, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { base64url, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { ASYMMETRIC_ALGORITHMS, type IssuerConfig } from '../config/schema.ts';
import { AuthnError, type AuthnReason } from '../errors.ts';
import { expectationsOf, tokenIssuer } from './access-token.ts';
import { decodeBase64url, type JwtExpectations, parseJwt, verifyJwt } from './jwt.ts';

// ---- keys, issuers -------------------------------------------------------------------------------------

type Alg = (typeof ASYMMETRIC_ALGORITHMS)[number];
const ALGS: readonly Alg[] = ASYMMETRIC_ALGORITHMS;

interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}
const pair = (kid: string, made: { privateKey: KeyObject; publicKey: KeyObject }): TestKey => ({ kid, ...made });
const KEYS = {
  rsa: pair('rs-1', generateKeyPairSync('rsa', { modulusLength: 2048 })),
  rsaSmall: pair('rs-small', generateKeyPairSync('rsa', { modulusLength: 1024 })),
  p256: pair('es-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  p384: pair('es-384', generateKeyPairSync('ec', { namedCurve: 'P-384' })),
  p521: pair('es-521', generateKeyPairSync('ec', { namedCurve: 'P-521' })),
  ed: pair('ed-1', generateKeyPairSync('ed25519')),
  ed448: pair('ed-448', generateKeyPairSync('ed448')),
};
/** signs as if it were rs-1: a valid-looking token whose signature does not verify */
const STRANGER = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const PUBLISHED = new Map(Object.values(KEYS).map((k) => [k.kid, k.publicKey]));

function naturalKey(alg: string): TestKey {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return KEYS.rsa;
  if (alg === 'ES384') return KEYS.p384;
  if (alg === 'ES512') return KEYS.p521;
  if (alg.startsWith('ES')) return KEYS.p256;
  return KEYS.ed;
}

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const NOW = T0 / 1000;

function issuerConfig(issuer: string, extra: Partial<IssuerConfig>): IssuerConfig {
  return {
    id: issuer.replace(/\W/g, '-'),
    issuer,
    jwksUri: 'http://127.0.0.1:1/jwks.json',
    discovery: false,
    audiences: ['api'],
    algorithms: [...ALGS],
    clockSkew: 30_000,
    requireTyp: undefined,
    cooldown: 30_000,
    refreshInterval: 600_000,
    fetchTimeout: 5000,
    ...extra,
  };
}

const ISSUER_A = 'https://idp.example';
const ISSUER_B = 'https://other.example';
const ISSUER_C = 'urn:issuer:c';
const CONFIGS = [
  issuerConfig(ISSUER_A, { audiences: ['api', 'edgepass-api'], requireTyp: 'at+jwt' }),
  issuerConfig(ISSUER_B, { audiences: ['svc'], algorithms: ['RS256', 'ES256'], clockSkew: 0 }),
  issuerConfig(ISSUER_C, { algorithms: ['EdDSA', 'PS256', 'ES384'], clockSkew: 1500, requireTyp: 'application/JWT' }),
];

interface TrustedForTest {
  readonly keys: { readonly config: IssuerConfig; find(kid: string | undefined, alg: string): KeyObject | undefined };
  readonly expect: JwtExpectations;
}
/** by kid whatever the alg; without kid, the natural key of the alg */
const find = (kid: string | undefined, alg: string) =>
  kid === undefined ? naturalKey(alg).publicKey : PUBLISHED.get(kid);
const ISSUERS = new Map<string, TrustedForTest>(
  CONFIGS.map((config) => [config.issuer, { keys: { config, find }, expect: expectationsOf(config) }]),
);

// ---- the two verifiers ---------------------------------------------------------------------------------

type Outcome = { ok: true; claims: unknown } | { ok: false; reason: AuthnReason };
const refused = (reason: AuthnReason): Outcome => ({ ok: false, reason });

/** How the gateway mapped jose's errors before the node:crypto path (the reasons of docs/gateway.md). */
function joseReason(err: unknown): AuthnReason {
  if (err instanceof AuthnError) return err.authnReason;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'not_yet_valid';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'typ') return 'wrong_typ';
    return 'invalid_claims';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  return 'malformed';
}

/** The gateway's verification as it was with jose: decode, choose issuer/alg/key, jwtVerify. */
async function withJose(token: string, nowMs: number): Promise<Outcome> {
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    return refused('malformed');
  }
  try {
    const { issuer, alg, kid } = tokenIssuer(ISSUERS, { header, claims });
    const key = issuer.keys.find(kid, alg);
    if (key === undefined) return refused('unknown_kid');
    const config = issuer.keys.config;
    const { payload } = await jwtVerify(token, key, {
      algorithms: [...config.algorithms],
      issuer: config.issuer,
      audience: [...config.audiences],
      clockTolerance: config.clockSkew / 1000,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub'],
      typ: config.requireTyp,
    });
    return { ok: true, claims: payload };
  } catch (err) {
    return refused(joseReason(err));
  }
}

/** The gateway's verification now: parseJwt, the same choice of issuer/alg/key, verifyJwt. */
function withNodeCrypto(token: string, nowMs: number): Outcome {
  try {
    const jwt = parseJwt(token);
    const { issuer, alg, kid } = tokenIssuer(ISSUERS, jwt);
    const key = issuer.keys.find(kid, alg);
    if (key === undefined) return refused('unknown_kid');
    return { ok: true, claims: verifyJwt(jwt, alg, key, issuer.expect, nowMs) };
  } catch (err) {
    if (err instanceof AuthnError) return refused(err.authnReason);
    throw err;
  }
}

// ---- building tokens -----------------------------------------------------------------------------------

/** A header or payload: an object (JSON.stringify), raw JSON text, or raw bytes. */
type Part = Record<string, unknown> | string | Buffer;
const encode = (part: Part) =>
  Buffer.from(typeof part === 'string' ? part : Buffer.isBuffer(part) ? part : JSON.stringify(part)).toString(
    'base64url',
  );

function signature(alg: string, key: KeyObject, input: string): string {
  const data = Buffer.from(input);
  const bits = alg.slice(2);
  let sig: Buffer;
  if (alg.startsWith('RS')) sig = sign(`sha${bits}`, data, key);
  else if (alg.startsWith('PS')) {
    sig = sign(`sha${bits}`, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(bits) / 8,
    });
  } else if (alg.startsWith('ES')) sig = sign(`sha${bits}`, data, { key, dsaEncoding: 'ieee-p1363' });
  else sig = sign(null, data, key);
  return sig.toString('base64url');
}

/** Signs header.payload with `key` the way `signAs` (a real algorithm) signs. */
function signed(header: Part, payload: Part, signAs: Alg, key: KeyObject = naturalKey(signAs).privateKey): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${signature(signAs, key, input)}`;
}

const claimsFor = (iss: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss,
  aud: iss === ISSUER_B ? 'svc' : 'api',
  sub: 'usr_1',
  exp: NOW + 300,
  iat: NOW,
  jti: 'jti-1',
  scope: 'vocabulary:read',
  roles: ['member'],
  ...extra,
});
const headerFor = (iss: string, alg: Alg, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  alg,
  kid: naturalKey(alg).kid,
  ...(iss === ISSUER_A ? { typ: 'at+jwt' } : iss === ISSUER_C ? { typ: 'JWT' } : {}),
  ...extra,
});
const valid = (iss: string, alg: Alg, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signed(headerFor(iss, alg, header), claimsFor(iss, claims), alg);

/** A deterministic PRNG (mulberry32), so that a failing mutation can be reproduced. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the corpus ----------------------------------------------------------------------------------------

const BASES: Array<[string, Alg]> = [
  ...ALGS.map((alg): [string, Alg] => [ISSUER_A, alg]),
  [ISSUER_B, 'RS256'],
  [ISSUER_B, 'ES256'],
  [ISSUER_C, 'EdDSA'],
  [ISSUER_C, 'PS256'],
  [ISSUER_C, 'ES384'],
];

/** Every failure mode of test/access-token.test.ts, on issuer A. */
function failureModes(): string[] {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const good = valid(ISSUER_A, 'RS256');
  const [h, p, s] = good.split('.');
  const rsaPem = KEYS.rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const confusionInput = `${b64({ alg: 'HS256', kid: 'rs-1', typ: 'at+jwt' })}.${b64(claimsFor(ISSUER_A))}`;
  return [
    'not-a-jwt',
    'a.b.c',
    '',
    '.',
    '..',
    '...',
    `${h}.${p}.${s?.startsWith('A') ? 'B' : 'A'}${s?.slice(1)}`, // bad signature
    `${h}.${valid(ISSUER_A, 'RS256', { sub: 'usr_mallory' }).split('.')[1]}.${s}`, // payload changed after signing
    signed(headerFor(ISSUER_B, 'PS256'), claimsFor(ISSUER_B), 'PS256'), // not allowed for B
    `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claimsFor(ISSUER_A))}.`,
    `${confusionInput}.${createHmac('sha256', rsaPem).update(confusionInput).digest('base64url')}`,
    valid(ISSUER_A, 'RS256', { exp: NOW - 31 }), // expired beyond the skew
    valid(ISSUER_A, 'RS256', { exp: NOW - 10 }), // within the skew: accepted
    valid(ISSUER_A, 'RS256', { nbf: NOW + 60 }),
    valid(ISSUER_A, 'RS256', { iss: 'https://evil.example' }),
    valid(ISSUER_A, 'RS256', { aud: 'another-api' }),
    valid(ISSUER_A, 'RS256', {}, { typ: 'JWT' }),
    valid(ISSUER_A, 'RS256', { exp: undefined }),
    valid(ISSUER_A, 'RS256', { roles: 'admin' }), // the authenticator's business, not the verifier's: accepted here
    valid(ISSUER_A, 'RS256', {}, { kid: 'rs-unknown' }),
    signed(headerFor(ISSUER_A, 'RS256'), claimsFor(ISSUER_A), 'RS256', STRANGER),
  ];
}

const HEADER_VARIANTS = (alg: Alg, kid: string): Part[] => [
  { alg, kid, typ: 'at+jwt' },
  { alg, typ: 'at+jwt' },
  { alg, kid: 5, typ: 'at+jwt' },
  { alg, kid: null, typ: 'at+jwt' },
  { alg, kid: 'nope', typ: 'at+jwt' },
  ...Object.values(KEYS).map((k) => ({ alg, kid: k.kid, typ: 'at+jwt' })), // mismatched and undersized keys
  ...ALGS.filter((a) => a !== alg).map((a) => ({ alg: a, kid, typ: 'at+jwt' })),
  { alg: alg.toLowerCase(), kid, typ: 'at+jwt' },
  { alg: 'none', kid, typ: 'at+jwt' },
  { alg: 'HS256', kid, typ: 'at+jwt' },
  { alg: '', kid, typ: 'at+jwt' },
  { alg: null, kid, typ: 'at+jwt' },
  { alg: [alg], kid, typ: 'at+jwt' },
  { kid, typ: 'at+jwt' },
  ...[
    'AT+JWT',
    'application/at+jwt',
    'Application/AT+JWT',
    'jwt',
    'JWT',
    'application/jwt',
    '',
    'at+jwt ',
    'at+JWT',
  ].map((typ) => ({ alg, kid, typ })),
  { alg, kid },
  { alg, kid, typ: 1 },
  { alg, kid, typ: null },
  { alg, kid, typ: 'at+jwt', crit: [] },
  { alg, kid, typ: 'at+jwt', crit: ['b64'], b64: true },
  { alg, kid, typ: 'at+jwt', crit: ['b64'], b64: false },
  { alg, kid, typ: 'at+jwt', crit: ['b64'] },
  { alg, kid, typ: 'at+jwt', crit: ['b64'], b64: 'true' },
  { alg, kid, typ: 'at+jwt', crit: ['b64', 'b64'], b64: true },
  { alg, kid, typ: 'at+jwt', crit: ['b64', 'exp'], b64: true, exp: 1 },
  { alg, kid, typ: 'at+jwt', crit: ['exp'], exp: 1 },
  { alg, kid, typ: 'at+jwt', crit: 'b64', b64: true },
  { alg, kid, typ: 'at+jwt', crit: [''] },
  { alg, kid, typ: 'at+jwt', crit: [1] },
  { alg, kid, typ: 'at+jwt', crit: null },
  { alg, kid, typ: 'at+jwt', crit: {} },
  { alg, kid, typ: 'at+jwt', b64: false },
  { alg, kid, typ: 'at+jwt', jwk: { kty: 'oct', k: 'AAAA' }, jku: 'https://evil.example/jwks', x5u: 'x' },
  `{"alg":"none","alg":"${alg}","kid":"${kid}","typ":"at+jwt"}`,
  `{"alg":"${alg}","alg":"none","kid":"${kid}","typ":"at+jwt"}`,
  `{"alg":"${alg}","kid":"nope","kid":"${kid}","typ":"at+jwt"}`,
  `{"__proto__":{"alg":"none"},"alg":"${alg}","kid":"${kid}","typ":"at+jwt"}`,
  `\ufeff{"alg":"${alg}","kid":"${kid}","typ":"at+jwt"}`,
  ` {"alg":"${alg}","kid":"${kid}","typ":"at+jwt"} `,
  `{"alg":"${alg}","kid":"${kid}","typ":"at+jwt"}x`,
  `{"alg":"${alg}","kid":"${kid}","typ":"at\\u002bjwt"}`,
  Buffer.concat([
    Buffer.from(`{"alg":"${alg}","kid":"${kid}","typ":"at+jwt","x":"`),
    Buffer.of(0xff),
    Buffer.from('"}'),
  ]),
  '[1]',
  '"x"',
  'null',
  '{}',
];

const CLAIM_VARIANTS = (iss: string): Part[] => {
  const base = claimsFor(iss);
  const without = (name: string) => {
    const copy = { ...base };
    delete copy[name];
    return copy;
  };
  const json = JSON.stringify(base).slice(1, -1);
  return [
    base,
    ...['iss', 'aud', 'sub', 'exp', 'iat', 'jti'].map(without),
    ...[null, 1, ['x'], '', `${iss}/`].map((v) => ({ ...base, iss: v })),
    ...['api', 'svc', 'edgepass-api', 'API', ['api'], ['x', 'api'], ['svc', 'x'], [], [1], [1, 'api'], null, 1, {}].map(
      (aud) => ({ ...base, aud }),
    ),
    ...[
      NOW,
      NOW - 1,
      NOW - 29,
      NOW - 30,
      NOW - 31,
      NOW + 1,
      1.5,
      0,
      -1,
      1e20,
      '9999999999',
      true,
      null,
      [NOW + 60],
    ].map((exp) => ({ ...base, exp })),
    ...[NOW, NOW + 1, NOW + 2, NOW + 29, NOW + 30, NOW + 31, 'x', null, 0, -1e20].map((nbf) => ({ ...base, nbf })),
    ...['x', null, NOW + 3600, -1, [1]].map((iat) => ({ ...base, iat })),
    ...['', 1, null, 'usr_\u00e9\u{1F600}'].map((sub) => ({ ...base, sub })),
    `{${json},"exp":1e309}`,
    `{${json},"exp":-1e309}`,
    `{${json},"nbf":1e309}`,
    `{${json},"nbf":-1e309}`,
    `{${json},"iat":1e400}`,
    `{${json},"exp":1}`,
    `{"exp":1,${json}}`,
    `{${json},"iss":"https://evil.example"}`,
    `{"iss":"https://evil.example",${json}}`,
    `{${json},"aud":"nope"}`,
    `{${json},"sub":"\\ud800"}`,
    `{${json},"sub":"\u{1F600}"}`,
    `\ufeff{${json}}`,
    `  {${json}}\n`,
    `{${json}}x`,
    `{${json},"__proto__":{"exp":1}}`,
    Buffer.concat([Buffer.from(`{${json},"x":"`), Buffer.of(0xc0, 0xaf), Buffer.from('"}')]),
    Buffer.concat([Buffer.from(`{${json},"x":"`), Buffer.of(0xed, 0xa0, 0x80), Buffer.from('"}')]),
    `[${JSON.stringify(base)}]`,
    '"claims"',
    '1',
    'null',
    '{}',
  ];
};

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** Signatures in encodings or with parameters jose does not take (and one it does: a high-s ECDSA signature). */
function signatureVariants(): string[] {
  const tokens: string[] = [];
  for (const bits of [256, 384, 512]) {
    const alg = `PS${bits}` as Alg;
    const input = `${encode(headerFor(ISSUER_A, alg))}.${encode(claimsFor(ISSUER_A))}`;
    for (const saltLength of [0, 20, bits / 8 - 1, bits / 8 + 1]) {
      const sig = sign(`sha${bits}`, Buffer.from(input), {
        key: KEYS.rsa.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      });
      tokens.push(`${input}.${sig.toString('base64url')}`);
    }
  }
  for (const alg of ['ES256', 'ES384', 'ES512'] as const) {
    const input = `${encode(headerFor(ISSUER_A, alg))}.${encode(claimsFor(ISSUER_A))}`;
    const der = sign(`sha${alg.slice(2)}`, Buffer.from(input), naturalKey(alg).privateKey);
    tokens.push(`${input}.${der.toString('base64url')}`);
  }
  const es = valid(ISSUER_A, 'ES256').split('.');
  const sig = Buffer.from(es[2] ?? '', 'base64url');
  const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
  const highS = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  tokens.push(`${es[0]}.${es[1]}.${Buffer.concat([sig.subarray(0, 32), highS]).toString('base64url')}`);
  const withSig = (bytes: Buffer) => `${es[0]}.${es[1]}.${bytes.toString('base64url')}`;
  const order = Buffer.from(P256_ORDER.toString(16), 'hex');
  tokens.push(
    withSig(Buffer.concat([Buffer.alloc(32), sig.subarray(32)])), // r = 0
    withSig(Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32)])), // s = 0
    withSig(Buffer.concat([order, sig.subarray(32)])), // r = n
    withSig(Buffer.concat([Buffer.alloc(31), Buffer.of(1), sig.subarray(32)])), // r = 1 (leading zeros)
    withSig(Buffer.concat([sig, Buffer.of(0)])), // one byte more
    withSig(Buffer.concat([Buffer.of(0), sig.subarray(0, 63)])),
  );
  const rs = valid(ISSUER_A, 'RS256').split('.');
  const rsaSig = Buffer.from(rs[2] ?? '', 'base64url');
  tokens.push(`${rs[0]}.${rs[1]}.${Buffer.concat([Buffer.of(0), rsaSig]).toString('base64url')}`);
  tokens.push(`${rs[0]}.${rs[1]}.${rsaSig.subarray(1).toString('base64url')}`);
  const ed = valid(ISSUER_A, 'EdDSA').split('.');
  tokens.push(
    `${ed[0]}.${ed[1]}.${Buffer.from(ed[2] ?? '', 'base64url')
      .subarray(0, 63)
      .toString('base64url')}`,
  );
  return tokens;
}

const MUTATION_CHARS = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  '+',
  '/',
  '=',
  ' ',
  '\t',
  '.',
  '\u00e9',
  '\u0000',
  '~',
  '"',
];

function mutate(token: string, others: readonly string[], random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const segments = token.split('.');
  const i = Math.floor(random() * segments.length);
  const seg = segments[i] ?? '';
  const at = Math.floor(random() * (seg.length + 1));
  switch (Math.floor(random() * 10)) {
    case 0: // one character replaced
      segments[i] = seg.slice(0, at) + pick(MUTATION_CHARS) + seg.slice(at + 1);
      break;
    case 1: // one character inserted
      segments[i] = seg.slice(0, at) + pick(MUTATION_CHARS) + seg.slice(at);
      break;
    case 2: // one character deleted
      segments[i] = seg.slice(0, at) + seg.slice(at + 1);
      break;
    case 3: {
      // one bit flipped in the decoded bytes
      const bytes = Buffer.from(seg, 'base64url');
      if (bytes.length > 0) {
        const byte = Math.floor(random() * bytes.length);
        bytes[byte] = (bytes[byte] ?? 0) ^ (1 << Math.floor(random() * 8));
      }
      segments[i] = bytes.toString('base64url');
      break;
    }
    case 4: // truncated
      segments[i] = seg.slice(0, at);
      break;
    case 5: // padded, or whitespace inside
      segments[i] =
        random() < 0.5 ? seg + pick(['=', '==', '===']) : seg.slice(0, at) + pick([' ', '\t', '\n']) + seg.slice(at);
      break;
    case 6: // the segment of another token (swapped headers, payloads, signatures)
      segments[i] = pick(others).split('.')[i] ?? '';
      break;
    case 7: // a segment more or less
      if (random() < 0.5) segments.splice(i, 0, seg);
      else segments.splice(i, 1);
      break;
    case 8: // case flipped
      segments[i] =
        seg.slice(0, at) +
        (seg[at] ?? '').replace(/[a-z]/i, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())) +
        seg.slice(at + 1);
      break;
    default: // the signature re-encoded with padding (still the same bytes)
      if (i === 2)
        segments[i] = Buffer.from(seg, 'base64url').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
      else segments[i] = `${seg}==`;
  }
  return segments.join('.');
}

function corpus(): string[] {
  const tokens: string[] = [...failureModes(), ...signatureVariants()];
  const bases = BASES.map(([iss, alg]) => valid(iss, alg));
  tokens.push(...bases);
  for (const [iss, alg] of BASES.slice(0, 11)) {
    for (const header of HEADER_VARIANTS(alg, naturalKey(alg).kid)) tokens.push(signed(header, claimsFor(iss), alg));
  }
  for (const [iss, alg] of BASES) {
    for (const claims of CLAIM_VARIANTS(iss)) tokens.push(signed(headerFor(iss, alg), claims, alg));
  }
  const random = prng(0x5eed);
  for (const base of bases) for (let n = 0; n < 120; n++) tokens.push(mutate(base, bases, random));
  return tokens;
}

// ---- the tests -----------------------------------------------------------------------------------------

describe('node:crypto JWT verification agrees with jose', () => {
  test('base64url: the same texts are refused, the same bytes come out of the others', () => {
    const alphabet = ['A', 'Q', 'g', 'w', '-', '_', '+', '/', '=', ' ', '\t', '\n', '.', '\u00e9'];
    const jose = (text: string) => {
      try {
        return Buffer.from(base64url.decode(text));
      } catch {
        return undefined;
      }
    };
    const texts: string[] = [''];
    for (let length = 1; length <= 4; length++) {
      for (let n = 0; n < alphabet.length ** length; n++) {
        let text = '';
        for (let i = 0, m = n; i < length; i++, m = Math.floor(m / alphabet.length))
          text += alphabet[m % alphabet.length];
        texts.push(text);
      }
    }
    const random = prng(42);
    const b64chars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const length = 5 + Math.floor(random() * 20);
      for (let i = 0; i < length; i++)
        text +=
          random() < 0.85
            ? (b64chars[Math.floor(random() * 64)] ?? 'A')
            : (alphabet[Math.floor(random() * alphabet.length)] ?? 'A');
      texts.push(text);
    }
    let accepted = 0;
    for (const text of texts) {
      const expected = jose(text);
      assert.deepEqual(decodeBase64url(text), expected, JSON.stringify(text));
      if (expected !== undefined) accepted++;
    }
    assert.ok(accepted > 5000 && accepted < texts.length - 5000, `both kinds exercised (${accepted} accepted)`);
  });

  test('every token of the corpus, at several clocks: the same claims or the same refusal reason', async (t) => {
    const tokens = corpus();
    const clocks = [T0, T0 + 1_000, T0 + 29_999, T0 + 30_000, T0 + 330_000, T0 - 31_000];
    const random = prng(7);
    const seen = new Map<string, number>();
    const mismatches: string[] = [];
    let compared = 0;
    for (const [index, token] of tokens.entries()) {
      // every token at T0, and at one other clock
      for (const now of [T0, clocks[1 + Math.floor(random() * (clocks.length - 1))] ?? T0]) {
        const expected = await withJose(token, now);
        const actual = withNodeCrypto(token, now);
        compared++;
        const label = expected.ok ? 'accepted' : expected.reason;
        seen.set(label, (seen.get(label) ?? 0) + 1);
        try {
          assert.deepStrictEqual(actual, expected);
        } catch {
          mismatches.push(
            `#${index} at ${now - T0} ms: jose ${JSON.stringify(expected)}, node:crypto ${JSON.stringify(actual)}\n  ${JSON.stringify(token)}`,
          );
        }
      }
    }
    t.diagnostic(`${tokens.length} tokens, ${compared} comparisons: ${JSON.stringify(Object.fromEntries(seen))}`);
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} disagreements`);
    // the corpus reaches every outcome the verification can have
    for (const outcome of [
      'accepted',
      'malformed',
      'unknown_issuer',
      'alg_not_allowed',
      'unknown_kid',
      'bad_signature',
      'expired',
      'not_yet_valid',
      'wrong_audience',
      'wrong_typ',
      'invalid_claims',
    ]) {
      assert.ok((seen.get(outcome) ?? 0) >= 3, `the corpus has tokens that end as ${outcome}`);
    }
  });

  test('the kinds of key jose refuses are refused too: undersized RSA, another curve, another key type', () => {
    const jwt = parseJwt(valid(ISSUER_A, 'RS256'));
    const expect = expectationsOf(CONFIGS[0] as IssuerConfig);
    assert.throws(() => verifyJwt(jwt, 'RS256', KEYS.rsaSmall.publicKey, expect, T0), { authnReason: 'malformed' });
    const es = parseJwt(valid(ISSUER_A, 'ES256'));
    assert.throws(() => verifyJwt(es, 'ES256', KEYS.p384.publicKey, expect, T0), { authnReason: 'malformed' });
    assert.throws(() => verifyJwt(es, 'ES256', KEYS.rsa.publicKey, expect, T0), { authnReason: 'malformed' });
    const ed = parseJwt(valid(ISSUER_A, 'EdDSA'));
    assert.throws(() => verifyJwt(ed, 'EdDSA', KEYS.ed448.publicKey, expect, T0), { authnReason: 'malformed' });
    assert.throws(() => verifyJwt(ed, 'EdDSA', KEYS.ed.privateKey, expect, T0), { authnReason: 'malformed' });
    assert.equal(verifyJwt(ed, 'EdDSA', createPublicKey(KEYS.ed.privateKey), expect, T0).sub, 'usr_1');
  });
});
