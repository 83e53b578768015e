// Benchmark key material, generated with node:crypto on first use into bench/.run/keys (not committed):
// RS256 (kid rs-1) and ES256 (kid es-1) key pairs published in jwks.json, an Ed25519 pair and an HS256
// secret for the micro benchmark. The public parts (jwks.json, and PEM files for HAProxy) go to a sibling
// directory readable by nginx's unprivileged worker; the private keys stay in a 0700 directory.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BenchKeys {
  dir: string;
  /** jwks.json, rs256.pub.pem, es256.pub.pem */
  publicDir: string;
  rs256: { kid: string; privateKey: KeyObject; publicKey: KeyObject; publicPem: string };
  es256: { kid: string; privateKey: KeyObject; publicKey: KeyObject; publicPem: string };
  ed25519: { kid: string; privateKey: KeyObject; publicKey: KeyObject };
  hs256: { kid: string; secret: Buffer };
  /** The JWKS the upstream serves (RS256 + ES256 public keys). */
  jwks: { keys: Array<Record<string, unknown>> };
}

const FILES = {
  rs256: 'rs256.key.pem',
  es256: 'es256.key.pem',
  ed25519: 'ed25519.key.pem',
  hs256: 'hs256.secret',
} as const;

function privatePem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Loads the key material from `dir`, generating it first when missing; writes the public parts to `publicDir`. */
export function benchKeys(dir: string, publicDir: string): BenchKeys {
  // the parents stay traversable for nginx's worker (a recursive mkdir would give them the 0700 too)
  for (const parent of new Set([dirname(dir), dirname(publicDir)])) mkdirSync(parent, { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(publicDir, { recursive: true });
  chmodSync(publicDir, 0o755);
  if (!Object.values(FILES).every((f) => existsSync(join(dir, f)))) {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, FILES.rs256), privatePem(rsa.privateKey), { mode: 0o600 });
    writeFileSync(join(dir, FILES.es256), privatePem(ec.privateKey), { mode: 0o600 });
    writeFileSync(join(dir, FILES.ed25519), privatePem(ed.privateKey), { mode: 0o600 });
    writeFileSync(join(dir, FILES.hs256), randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  const load = (file: string) => {
    const privateKey = createPrivateKey(readFileSync(join(dir, file), 'utf8'));
    const publicKey = createPublicKey(privateKey);
    return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };
  const rs256 = { kid: 'rs-1', ...load(FILES.rs256) };
  const es256 = { kid: 'es-1', ...load(FILES.es256) };
  const ed25519 = { kid: 'ed-1', ...load(FILES.ed25519) };
  const hs256 = { kid: 'hs-1', secret: Buffer.from(readFileSync(join(dir, FILES.hs256), 'utf8').trim()) };
  const jwk = (key: KeyObject, kid: string, alg: string) => ({
    ...key.export({ format: 'jwk' }),
    kid,
    alg,
    use: 'sig',
  });
  const jwks = { keys: [jwk(rs256.publicKey, rs256.kid, 'RS256'), jwk(es256.publicKey, es256.kid, 'ES256')] };
  writeFileSync(join(publicDir, 'jwks.json'), `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  writeFileSync(join(publicDir, 'rs256.pub.pem'), rs256.publicPem, { mode: 0o644 });
  writeFileSync(join(publicDir, 'es256.pub.pem'), es256.publicPem, { mode: 0o644 });
  return { dir, publicDir, rs256, es256, ed25519, hs256, jwks };
}
