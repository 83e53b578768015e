// `npm run bench -- micro`: the JWT numbers the gateway design relies on, on ONE core (bench/run.ts starts this
// under `taskset -c 0`, so the libuv pool jose's WebCrypto uses shares that core too).
//   verify: jose jwtVerify vs raw node:crypto (split + verify + JSON + claims) vs the gateway's own verifier
//           (packages/gateway/src/authn/jwt.ts: every check jose makes) for RS256, ES256, EdDSA
//   mint:   a passport with jose SignJWT vs raw node:crypto (Ed25519 sign / HMAC-SHA256 with a KeyObject)
// Each case is checked first (a valid token verifies, a tampered one is refused, a minted passport verifies
// with jose). Samples are interleaved across cases (slow drift of a shared machine hits all alike); the
// median of --samples samples of --time ms is reported.
import { createHmac, createSecretKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { jwtVerify, SignJWT } from 'jose';
import { parseJwt, verifyJwt } from '../packages/gateway/src/authn/jwt.ts';
import { benchKeys } from './lib/keys.ts';
import { formatTable, median } from './lib/stats.ts';
import { AUDIENCE, ISSUER, makeToken } from './lib/tokens.ts';

const { values: opt } = parseArgs({
  options: {
    time: { type: 'string', default: '300' },
    samples: { type: 'string', default: '7' },
    only: { type: 'string' },
  },
});
const SAMPLE_NS = BigInt(Math.max(10, Number(opt.time)) * 1e6);
const SAMPLES = Math.max(1, Number(opt.samples));

const runDir = join(dirname(fileURLToPath(import.meta.url)), '.run');
const keys = benchKeys(join(runDir, 'keys'), join(runDir, 'public'));

type VerifyAlg = 'RS256' | 'ES256' | 'EdDSA';
const VERIFY_ALGS: readonly VerifyAlg[] = ['RS256', 'ES256', 'EdDSA'];
const publicKey: Record<VerifyAlg, KeyObject> = {
  RS256: keys.rs256.publicKey,
  ES256: keys.es256.publicKey,
  EdDSA: keys.ed25519.publicKey,
};

// ---- raw node:crypto verification: the minimum a gateway must do ---------------------------------
/** JOSE ES256 signatures are r||s (IEEE P1363); node:crypto's default is DER. */
function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length >> 1;
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return (v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), v]) : v;
  };
  const r = int(sig.subarray(0, half));
  const s = int(sig.subarray(half));
  return Buffer.concat([Buffer.of(0x30, 4 + r.length + s.length, 0x02, r.length), r, Buffer.of(0x02, s.length), s]);
}

function signatureOk(alg: VerifyAlg, key: KeyObject, input: Buffer, sig: Buffer): boolean {
  if (alg === 'ES256') return sig.length === 64 && verify('sha256', input, key, p1363ToDer(sig));
  return verify(alg === 'RS256' ? 'sha256' : null, input, key, sig);
}

function rawVerify(token: string, alg: VerifyAlg, key: KeyObject): Record<string, unknown> {
  const d1 = token.indexOf('.');
  const d2 = token.indexOf('.', d1 + 1);
  if (d1 < 0 || d2 < 0 || token.indexOf('.', d2 + 1) !== -1) throw new Error('malformed');
  const header = JSON.parse(Buffer.from(token.slice(0, d1), 'base64url').toString()) as { alg?: unknown };
  if (header.alg !== alg) throw new Error('alg');
  if (!signatureOk(alg, key, Buffer.from(token.slice(0, d2)), Buffer.from(token.slice(d2 + 1), 'base64url'))) {
    throw new Error('signature');
  }
  const p = JSON.parse(Buffer.from(token.slice(d1 + 1, d2), 'base64url').toString()) as Record<string, unknown>;
  const now = Date.now() / 1000;
  if (typeof p.exp !== 'number' || p.exp <= now) throw new Error('exp');
  if (typeof p.nbf === 'number' && p.nbf > now) throw new Error('nbf');
  if (p.iss !== ISSUER) throw new Error('iss');
  if (p.aud !== AUDIENCE && !(Array.isArray(p.aud) && p.aud.includes(AUDIENCE))) throw new Error('aud');
  return p;
}

// ---- passport minting -------------------------------------------------------------------------
const passportClaims = {
  iss: 'bench-gateway',
  aud: 'vocabulary-service',
  sub: 'user-123',
  kind: 'user',
  via: 'access_token',
  roles: ['reader', 'writer'],
  scope: 'read write',
  plan: 'premium',
  src: 'https://auth.local#6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b',
  iat: 1790000000,
  exp: 1790000060,
};
const hsKey = createSecretKey(keys.hs256.secret);
const edHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'passport+jwt', kid: 'ed-1' })).toString('base64url');
const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'passport+jwt', kid: 'hs-1' })).toString('base64url');
const claimsB64 = () => Buffer.from(JSON.stringify(passportClaims)).toString('base64url');

// ---- cases ----------------------------------------------------------------------------------------
interface Case {
  group: 'verify' | 'mint';
  name: string;
  alg: string;
  run: () => unknown;
  check: () => Promise<void>;
  batch: number;
  samples: number[];
}
const cases: Case[] = [];
const tampered = (token: string) => {
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s ?? '', 'base64url');
  sig[sig.length >> 1] ^= 1;
  return `${h}.${p}.${sig.toString('base64url')}`;
};
const rejects = async (fn: () => unknown) => {
  try {
    await fn();
  } catch {
    return;
  }
  throw new Error('a tampered token was accepted');
};

for (const alg of VERIFY_ALGS) {
  const token = makeToken(keys, { alg });
  const bad = tampered(token);
  const key = publicKey[alg];
  const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], requiredClaims: ['exp'] };
  const add = (name: string, run: (t: string) => unknown) =>
    cases.push({
      group: 'verify',
      name,
      alg,
      run: () => run(token),
      async check() {
        const payload = (await run(token)) as { sub?: unknown; payload?: { sub?: unknown } };
        if ((payload.payload?.sub ?? payload.sub) !== 'user-123') throw new Error('valid token not verified');
        await rejects(() => run(bad));
      },
      batch: 1,
      samples: [],
    });
  add('jose jwtVerify (KeyObject)', (t) => jwtVerify(t, key, options));
  add('node:crypto (split + verify + JSON + claims)', (t) => rawVerify(t, alg, key));
  const expect = { issuer: ISSUER, audiences: [AUDIENCE], clockTolerance: 0, typ: undefined };
  add('edgepass jwt.ts (parseJwt + verifyJwt)', (t) => verifyJwt(parseJwt(t), alg, key, expect, Date.now()));
}

const addMint = (name: string, alg: 'EdDSA' | 'HS256', run: () => string | Promise<string>) =>
  cases.push({
    group: 'mint',
    name,
    alg,
    run,
    async check() {
      const token = await run();
      const key = alg === 'EdDSA' ? keys.ed25519.publicKey : hsKey;
      const { payload } = await jwtVerify(token, key, { algorithms: [alg], currentDate: new Date(1790000010_000) });
      if (payload.sub !== 'user-123') throw new Error('minted passport does not verify');
    },
    batch: 1,
    samples: [],
  });
addMint('jose SignJWT (KeyObject)', 'EdDSA', () =>
  new SignJWT(passportClaims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'passport+jwt', kid: 'ed-1' })
    .sign(keys.ed25519.privateKey),
);
addMint('node:crypto Ed25519 sign', 'EdDSA', () => {
  const input = `${edHeader}.${claimsB64()}`;
  return `${input}.${sign(null, Buffer.from(input), keys.ed25519.privateKey).toString('base64url')}`;
});
addMint('jose SignJWT (KeyObject)', 'HS256', () =>
  new SignJWT(passportClaims).setProtectedHeader({ alg: 'HS256', typ: 'passport+jwt', kid: 'hs-1' }).sign(hsKey),
);
addMint('node:crypto HMAC-SHA256 (KeyObject)', 'HS256', () => {
  const input = `${hsHeader}.${claimsB64()}`;
  return `${input}.${createHmac('sha256', hsKey).update(input).digest('base64url')}`;
});

// ---- runner ---------------------------------------------------------------------------------------
let sink = 0;
async function loop(c: Case, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    let r = c.run();
    if (r instanceof Promise) r = await r;
    sink ^= r ? 1 : 0;
  }
}
async function calibrate(c: Case): Promise<number> {
  for (let batch = 1; ; batch *= 2) {
    const t0 = process.hrtime.bigint();
    await loop(c, batch);
    if (process.hrtime.bigint() - t0 > 1_000_000n || batch >= 1 << 20) return batch;
  }
}
async function sample(c: Case): Promise<number> {
  let ops = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  while (t - t0 < SAMPLE_NS) {
    await loop(c, c.batch);
    ops += c.batch;
    t = process.hrtime.bigint();
  }
  return (ops * 1e9) / Number(t - t0);
}

const selected = cases.filter((c) => !opt.only || `${c.group} ${c.name} ${c.alg}`.includes(opt.only));
for (const c of selected) {
  await c.check();
  c.batch = await calibrate(c);
  await sample(c); // warm-up
}
for (let r = 0; r < SAMPLES; r++) {
  for (const c of selected) c.samples.push(await sample(c));
  process.stderr.write(`sample round ${r + 1}/${SAMPLES} done\n`);
}

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`);
const cell = (group: Case['group'], name: string, alg: string) => {
  const c = selected.find((x) => x.group === group && x.name === name && x.alg === alg);
  return c ? `${fmt(median(c.samples))} (${(1e6 / median(c.samples)).toFixed(1)} us)` : 'n/a';
};
const allowed = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
console.log(
  `# ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, this process on CPU(s) ${allowed}; node ${process.version}, OpenSSL ${process.versions.openssl}`,
);
console.log(`# ops/s (us/op), one core, median of ${SAMPLES} x ${opt.time} ms interleaved samples\n`);
const verifyNames = [...new Set(selected.filter((c) => c.group === 'verify').map((c) => c.name))];
if (verifyNames.length > 0) {
  console.log('## access-token verification');
  console.log(
    formatTable(
      ['method', ...VERIFY_ALGS],
      verifyNames.map((n) => [n, ...VERIFY_ALGS.map((a) => cell('verify', n, a))]),
    ),
  );
}
const mintNames = [...new Set(selected.filter((c) => c.group === 'mint').map((c) => c.name))];
if (mintNames.length > 0) {
  console.log(`\n## passport minting (${JSON.stringify(passportClaims).length}-byte claims)`);
  const algs = ['EdDSA', 'HS256'];
  console.log(
    formatTable(
      ['method', ...algs],
      mintNames.map((n) => [n, ...algs.map((a) => cell('mint', n, a))]),
    ),
  );
}
if (sink === 42) console.log('');
