// Both example services run alone from their src/main.ts: configured by the environment, verifying
// passports against a JWKS fetched over HTTP (as from the gateway's admin listener), stopped by SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestPassportIssuer, type TestPassportIssuer } from '@edgepass/passport/testing';

const examples = fileURLToPath(new URL('../../', import.meta.url));
const services = [
  {
    name: 'vocabulary-service',
    main: `${examples}vocabulary-service/src/main.ts`,
    request: {
      path: '/videos/v1/vocabulary',
      body: { transcript: 'Gradient descent. Gradient boosting.' },
      status: 200,
    },
  },
  {
    name: 'user-service',
    main: `${examples}user-service/src/main.ts`,
    request: { path: '/signup', body: { email: 'ada@example.com', name: 'Ada' }, status: 202 },
  },
];

function start(main: string, env: Record<string, string>): ChildProcess {
  const { EDGEPASS_PASSPORT_JWKS_URL: _u, EDGEPASS_PASSPORT_ISSUER: _i, PORT: _p, ...inherited } = process.env;
  return spawn(process.execPath, [main], { env: { ...inherited, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Resolves with the URL the service prints once it listens; rejects when it exits first or after the deadline. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 10 s: ${stderr}`)), 10_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before listening: ${stderr}`));
    });
  });
}

describe('the services run alone from src/main.ts', () => {
  let issuer: TestPassportIssuer;
  let jwksServer: Server;
  let jwksUrl: string;
  let jwksFetches = 0;

  before(async () => {
    issuer = await createTestPassportIssuer({ issuer: 'gw-main' });
    jwksServer = createServer((_req, res) => {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
    });
    jwksServer.listen(0, '127.0.0.1');
    await once(jwksServer, 'listening');
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/passport-jwks.json`;
  });
  after(() => {
    jwksServer.closeAllConnections();
    jwksServer.close();
  });

  for (const service of services) {
    it(`${service.name}: verifies passports against the JWKS URL, refuses others, stops on SIGTERM`, async () => {
      const child = start(service.main, {
        PORT: '0',
        EDGEPASS_PASSPORT_JWKS_URL: jwksUrl,
        EDGEPASS_PASSPORT_ISSUER: 'gw-main',
      });
      try {
        const url = await listeningUrl(child);
        assert.equal((await fetch(`${url}/health`)).status, 200);
        const send = async (audience: string) =>
          fetch(`${url}${service.request.path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-passport': await issuer.mint({ audience, kind: 'anonymous', via: 'anonymous', src: 'anonymous' }),
            },
            body: JSON.stringify(service.request.body),
          });
        const before = jwksFetches;
        const accepted = await send(service.name);
        assert.equal(accepted.status, service.request.status);
        await accepted.arrayBuffer();
        assert.ok(jwksFetches > before, 'the keys came from the JWKS URL');
        const refused = await send('another-service');
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { code: string }).code, 'PASSPORT_INVALID');
        child.kill('SIGTERM');
        const [code] = await once(child, 'exit');
        assert.equal(code, 0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    it(`${service.name}: exits 2 naming the missing variable`, async () => {
      const child = start(service.main, { PORT: '0', EDGEPASS_PASSPORT_ISSUER: 'gw-main' });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const [code] = await once(child, 'exit');
      assert.equal(code, 2);
      assert.match(stderr, new RegExp(`^${service.name}: EDGEPASS_PASSPORT_JWKS_URL is required`));
    });
  }
});
