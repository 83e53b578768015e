// A test OIDC issuer: jose-generated RS256 and ES256 keys, a JWKS (and discovery) served by a small
// node:http server that a test can take down and bring back on the same port, and a token minter.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface MintOptions {
  alg?: 'RS256' | 'ES256';
  /** override the kid in the header (e.g. an unknown one); undefined keeps the key's */
  kid?: string;
  /** sign with this key instead of the issuer's */
  key?: TestKey;
  typ?: string;
  /** seconds from now (the issuer's clock) */
  expiresIn?: number;
}

export async function generateTestKey(alg: 'RS256' | 'ES256', kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export class TestIssuer {
  readonly keys: TestKey[];
  /** keys published in the JWKS (a test may add a rotated-in key) */
  published: TestKey[];
  readonly audience: string;
  jwksRequests = 0;
  now: () => number;
  /** while set, JWKS requests are counted but answered only once it resolves (see holdJwks) */
  #jwksGate: Promise<void> | undefined;
  #server: Server | undefined;
  #port = 0;

  private constructor(keys: TestKey[], audience: string, now: () => number) {
    this.keys = keys;
    this.published = [...keys];
    this.audience = audience;
    this.now = now;
  }

  static async start(options: { audience?: string; now?: () => number } = {}): Promise<TestIssuer> {
    const keys = [await generateTestKey('RS256', 'rs-1'), await generateTestKey('ES256', 'es-1')];
    const issuer = new TestIssuer(keys, options.audience ?? 'edgepass-api', options.now ?? Date.now);
    await issuer.up();
    return issuer;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  key(alg: 'RS256' | 'ES256'): TestKey {
    const key = this.keys.find((k) => k.alg === alg);
    if (!key) throw new Error(`no ${alg} key`);
    return key;
  }

  /** Starts (or restarts, on the same port) the JWKS server. */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        this.jwksRequests++;
        const answer = () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ keys: this.published.map((k) => k.publicJwk) }));
        };
        if (this.#jwksGate === undefined) answer();
        else void this.#jwksGate.then(answer);
      } else if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: this.url, jwks_uri: this.jwksUri }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Holds JWKS answers until the returned function is called: a fetch stays in flight meanwhile. */
  holdJwks(): () => void {
    let release = () => {};
    this.#jwksGate = new Promise<void>((resolve) => {
      release = () => {
        this.#jwksGate = undefined;
        resolve();
      };
    });
    return release;
  }

  /** Takes the JWKS server down (connections refused until up()). */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  async mint(claims: JWTPayload = {}, options: MintOptions = {}): Promise<string> {
    const key = options.key ?? this.key(options.alg ?? 'RS256');
    const iat = Math.floor(this.now() / 1000);
    const payload: JWTPayload = {
      iss: this.url,
      aud: this.audience,
      sub: 'usr_alice',
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      scope: 'vocabulary:read',
      roles: ['member'],
      plan: 'free',
      iat,
      exp: iat + (options.expiresIn ?? 300),
      ...claims,
    };
    return await new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: options.typ ?? 'at+jwt' })
      .sign(key.privateKey);
  }
}
