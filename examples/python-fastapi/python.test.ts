// Drives test_passport.py: serves passport JWKS documents on 127.0.0.1:0, mints passports with
// @edgepass/passport (valid ones and every kind of bad one), and has a real gateway (startGateway, on an
// embedded store, fixed clock) mint an anonymous and an API-key passport for a recording upstream; hands them
// to the Python tests through a JSON file and runs `/usr/bin/python3 -m unittest -v test_passport`, which
// must pass all its tests (the gateway's passports against its admin listener's passport JWKS).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Accounts, apiKeyService } from '@edgepass/auth';
import { PASSPORT_JWKS_PATH, type RunningGateway, startGateway } from '@edgepass/gateway';
import type { PassportInput } from '@edgepass/passport';
import { createTestPassportIssuer } from '@edgepass/passport/testing';
import { generateMasterKey, openStore, type Store } from '@edgepass/store';
import { CompactSign, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { pino } from 'pino';
import { RecordingUpstream } from '../../test/e2e/support/upstream.ts';
import { PYTHON, pythonEnv, runPython } from '../../test/support/python.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REQUIRED_MODULES = ['jwt', 'fastapi', 'httpx', 'cryptography'];
/** test methods in test_passport.py: VerifierTests 17 + AppTests 8 + RealGatewayTests 1 */
const EXPECTED_PYTHON_TESTS = 26;
const ISSUER = 'edgepass-gateway-test';
const AUDIENCE = 'user-service';
/** fixed clock shared with the Python verifier */
const NOW = 1_750_000_000;
const at = (seconds: number) => () => new Date(seconds * 1000);

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

const userInput: PassportInput = {
  sub: 'user-1',
  kind: 'user',
  via: 'access_token',
  roles: ['admin'],
  scope: 'profile:read',
  plan: 'premium',
  src: 'https://idp.example#jti-1',
};
const serviceInput: PassportInput = {
  sub: 'svc:signup-worker',
  kind: 'service',
  via: 'api_key',
  scope: 'signup:manage',
  src: 'key:key_worker',
};
const anonymousInput: PassportInput = { sub: 'anon-7f3a', kind: 'anonymous', via: 'anonymous', src: 'anonymous' };

const GATEWAY_ID = 'edgepass-python-test';

interface RealGatewayPassports {
  issuer: string;
  jwksUrl: string;
  /** what the gateway forwarded for an anonymous POST /signup */
  anonymous: string;
  /** what it forwarded for the signup worker's API key (scope signup:manage) */
  service: string;
  /** the API key owner's id: the service passport's sub */
  serviceSub: string;
}

/**
 * A real gateway in front of a recording upstream: routes like examples/deploy's for the user-service, a
 * worker account and API key created with the auth service's own modules, the clock fixed at NOW.
 */
async function startRealGateway(): Promise<{ passports: RealGatewayPassports; close(): Promise<void> }> {
  const store: Store = await openStore({ dataDir: 'memory://' });
  const upstream = await new RecordingUpstream().start();
  let gateway: RunningGateway | undefined;
  const close = async () => {
    await gateway?.close();
    await upstream.close();
    await store.close();
  };
  try {
    const logger = pino({ level: 'silent' });
    const clock = () => new Date(NOW * 1000);
    const worker = await new Accounts({ store }).create({ email: 'worker@example.test', roles: ['service'] });
    const { key } = await apiKeyService({
      sql: store.sql,
      pubsub: store.fast.pubsub,
      env: 'test',
      logger,
      now: clock,
    }).createApiKey({ ownerId: worker.id, name: 'signup worker', scopes: ['signup:manage'] });
    const userService = { service: AUDIENCE, upstream: { targets: [upstream.url] } };
    gateway = await startGateway({
      config: {
        gateway: { id: GATEWAY_ID },
        listen: { public: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
        routes: [
          {
            name: 'signup',
            match: { pathPrefix: '/signup', methods: ['POST'] },
            ...userService,
            accept: ['anonymous'],
          },
          {
            name: 'signup-worker',
            match: { pathPrefix: '/signups/' },
            ...userService,
            accept: ['api_key'],
            require: { scopes: ['signup:manage'] },
          },
        ],
        logging: { level: 'silent' },
      },
      store,
      masterKey: new Uint8Array(Buffer.from(generateMasterKey(), 'base64url')),
      logger,
      now: () => NOW * 1000,
      flushIntervalMs: 0,
    });
    const forwarded = async (path: string, requestId: string, headers: Record<string, string>): Promise<string> => {
      const response = await fetch(`${gateway?.publicUrl}${path}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'x-request-id': requestId },
        body: '{}',
      });
      assert.equal(response.status, 200, `${path} through the gateway`);
      await response.arrayBuffer();
      const passport = upstream.byRequestId(requestId)?.headers['x-passport'];
      assert.ok(typeof passport === 'string', `the gateway forwarded a passport for ${path}`);
      return passport;
    };
    assert.ok(gateway.adminUrl, 'the admin listener is on');
    return {
      passports: {
        issuer: GATEWAY_ID,
        jwksUrl: `${gateway.adminUrl}${PASSPORT_JWKS_PATH}`,
        anonymous: await forwarded('/signup', 'python-anonymous', {}),
        service: await forwarded('/signups/sgn_any/activate', 'python-service', { 'x-api-key': key }),
        serviceSub: worker.id,
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

describe('python-fastapi: edgepass_passport.py verifies passports minted by @edgepass/passport', () => {
  let server: Server;
  let scratch: string;
  let realGateway: Awaited<ReturnType<typeof startRealGateway>>;
  const fetchCounts = new Map<string, number>();

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'edgepass-python-'));
    realGateway = await startRealGateway();
  });

  after(async () => {
    server?.closeAllConnections();
    server?.close();
    await realGateway?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function serveJwks(
    current: JSONWebKeySet,
    rotatedIn: JSONWebKeySet,
  ): Promise<{ base: string; stats: () => Record<string, number> }> {
    const documents: Record<string, (n: number) => { status: number; body: unknown }> = {
      '/jwks.json': () => ({ status: 200, body: current }),
      '/cooldown.json': () => ({ status: 200, body: current }),
      // first fetch: the current key; afterwards the rotated-in key is published beside it
      '/rotating.json': (n) => ({
        status: 200,
        body: n === 1 ? current : { keys: [...current.keys, ...rotatedIn.keys] },
      }),
      // first fetch works, every later one fails
      '/flaky.json': (n) => (n === 1 ? { status: 200, body: current } : { status: 500, body: { error: 'down' } }),
    };
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(fetchCounts)));
        return;
      }
      const document = documents[path];
      if (!document) {
        res.writeHead(404).end();
        return;
      }
      const n = (fetchCounts.get(path) ?? 0) + 1;
      fetchCounts.set(path, n);
      const { status, body } = document(n);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, stats: () => Object.fromEntries(fetchCounts) };
  }

  it('has the Python modules it needs (a missing one fails, never skips)', async () => {
    const imported = await runPython(['-c', `import ${REQUIRED_MODULES.join(', ')}`], { cwd: HERE });
    assert.equal(
      imported.code,
      0,
      `${PYTHON} cannot import ${REQUIRED_MODULES.join(', ')}: install the Debian packages python3-jwt ` +
        `python3-fastapi python3-httpx python3-cryptography.\n${imported.stderr}`,
    );
  });

  it('passes every test of test_passport.py', async () => {
    const issuer = await createTestPassportIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const rotatedIn = await createTestPassportIssuer({ issuer: ISSUER, audience: AUDIENCE });
    const stranger = await createTestPassportIssuer({ issuer: ISSUER, audience: AUDIENCE });
    // signs headers and payloads the SDK refuses to mint; its public key is published beside the issuer's
    const raw = await generateKeyPair('EdDSA', { extractable: true });
    const rawJwk = { ...(await exportJWK(raw.publicKey)), kid: 'raw-test-key', alg: 'EdDSA', use: 'sig' };
    const published: JSONWebKeySet = { keys: [...issuer.jwks.keys, rawJwk] };
    const { base, stats } = await serveJwks(published, rotatedIn.jwks);

    const mint = (input: PassportInput, options: { audience?: string; now?: number; issuer?: string } = {}) =>
      issuer.mint({ ...input, ...options, now: at(options.now ?? NOW) });
    const user = await mint(userInput);
    const [header, payload] = user.split('.');
    const headerJson = decodeSegment(header);
    const payloadJson = decodeSegment(payload);
    const signWithPublicKeyAsHmac = (): string => {
      const h = b64url({ ...headerJson, alg: 'HS256' });
      const secret = Buffer.from(String(issuer.jwks.keys[0].x), 'base64url');
      return `${h}.${payload}.${createHmac('sha256', secret).update(`${h}.${payload}`).digest('base64url')}`;
    };
    const signRaw = (h: Record<string, unknown>, p: Record<string, unknown>) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ ...payloadJson, ...p })))
        .setProtectedHeader({ ...headerJson, alg: 'EdDSA', kid: rawJwk.kid, ...h })
        .sign(raw.privateKey);

    const tokens = {
      user,
      anonymous: await mint(anonymousInput),
      service: await mint(serviceInput),
      serviceNoScope: await mint({ ...serviceInput, scope: '' }),
      serviceOtherAudience: await mint(serviceInput, { audience: 'vocabulary-service' }),
      expired: await mint(userInput, { now: NOW - 3600 }),
      future: await mint(userInput, { now: NOW + 600 }),
      wrongAudience: await mint(userInput, { audience: 'vocabulary-service' }),
      wrongIssuer: await mint(userInput, { issuer: 'evil-gateway' }),
      tampered: `${header}.${b64url({ ...payloadJson, sub: 'user-0', roles: ['root'] })}.${user.split('.')[2]}`,
      algNone: `${b64url({ ...headerJson, alg: 'none' })}.${payload}.`,
      hs256PublicKey: signWithPublicKeyAsHmac(),
      wrongTyp: await signRaw({ typ: 'JWT' }, {}),
      badKind: await signRaw({}, { kind: 'robot' }),
      rolesNotStrings: await signRaw({}, { roles: [1] }),
      unknownKid: await stranger.mint({ ...userInput, now: at(NOW) }),
      rotated: await rotatedIn.mint({ ...userInput, sub: 'user-2', now: at(NOW) }),
    };
    assert.notEqual(decodeSegment(tokens.rotated.split('.')[0]).kid, headerJson.kid);
    assert.notEqual(decodeSegment(tokens.unknownKid.split('.')[0]).kid, headerJson.kid);

    const fixtures = join(scratch, 'fixtures.json');
    writeFileSync(
      fixtures,
      JSON.stringify({
        issuer: ISSUER,
        audience: AUDIENCE,
        now: NOW,
        jwksUrl: `${base}/jwks.json`,
        cooldownJwksUrl: `${base}/cooldown.json`,
        rotatingJwksUrl: `${base}/rotating.json`,
        flakyJwksUrl: `${base}/flaky.json`,
        statsUrl: `${base}/stats`,
        tokens,
        gateway: realGateway.passports,
      }),
    );

    const result = await runPython(['-m', 'unittest', '-v', 'test_passport'], {
      cwd: HERE,
      env: pythonEnv({ EDGEPASS_PASSPORT_FIXTURES: fixtures }),
    });
    const report = `python exited ${result.code}\n${result.stderr}\n${result.stdout}`;
    assert.equal(result.code, 0, report);
    assert.match(result.stderr, new RegExp(`^Ran ${EXPECTED_PYTHON_TESTS} tests in `, 'm'), report);
    assert.match(result.stderr, /^OK$/m, report);
    assert.doesNotMatch(result.stderr, /skipped/, report);
    // the JWKS server saw what the Python tests say they caused
    assert.deepEqual(
      { cooldown: stats()['/cooldown.json'], rotating: stats()['/rotating.json'], flaky: stats()['/flaky.json'] },
      { cooldown: 2, rotating: 2, flaky: 2 },
    );
  });
});
