// Through the whole gateway: SSE arrives incrementally, WebSocket upgrades are authenticated then
// proxied, upstream down → 502, slow upstream → 504, each with problem+json and x-request-id.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { freePort } from '../../../test/support/servers.ts';
import { assertRefused } from './support/assertions.ts';
import { startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestIssuer } from './support/issuer.ts';
import { TestUpstream } from './support/upstream.ts';

let issuer: TestIssuer;
let upstream: TestUpstream;
let gw: TestGateway;
let token: string;

before(async () => {
  issuer = await TestIssuer.start();
  upstream = await TestUpstream.start();
  const deadPort = await freePort();
  gw = await startTestGateway(
    testConfig({
      issuers: [
        { id: 'idp', issuer: issuer.url, jwksUri: issuer.jwksUri, audiences: ['edgepass-api'], algorithms: ['RS256'] },
      ],
      routes: [
        {
          name: 'llm',
          match: { pathPrefix: '/llm' },
          service: 'vocabulary',
          upstream: { targets: [upstream.url], timeout: '300ms' },
          accept: ['access_token'],
        },
        {
          name: 'down',
          match: { pathPrefix: '/down' },
          service: 'vocabulary',
          upstream: { targets: [`http://127.0.0.1:${deadPort}`], connectTimeout: '1s' },
          accept: ['anonymous'],
        },
      ],
    }),
  );
  token = await issuer.mint();
});

after(async () => {
  await gw?.close();
  await upstream?.close();
  await issuer?.down();
});

describe('streaming', () => {
  test('SSE: each event reaches the client before the upstream sends the next', async () => {
    const received: string[] = [];
    let onData: (() => void) | undefined;
    const nextChunk = () =>
      new Promise<void>((resolve) => {
        onData = resolve;
      });
    const responded = new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(gw.url('/llm/sse'), { headers: { authorization: `Bearer ${token}` } }, resolve);
      req.on('error', reject);
      req.end();
    });
    await upstream.sseConnected();
    upstream.sendEvent('alpha');
    const res = await responded;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    res.setEncoding('utf8');
    const first = nextChunk();
    res.on('data', (chunk: string) => {
      received.push(chunk);
      onData?.();
    });
    await first;
    assert.equal(received.join(''), 'data: alpha\n\n');
    for (const word of ['beta', 'gamma']) {
      const arrived = nextChunk();
      upstream.sendEvent(word);
      await arrived; // the event is at the client while the upstream has not sent the next one
      assert.ok(received.join('').endsWith(`data: ${word}\n\n`), `got ${JSON.stringify(received)}`);
    }
    const ended = new Promise((resolve) => res.on('end', resolve));
    upstream.endSse();
    await ended;
    assert.equal(received.join(''), 'data: alpha\n\ndata: beta\n\ndata: gamma\n\n');
  });

  test('WebSocket: an authenticated upgrade is proxied (echo) with a passport and without the credential', async () => {
    const ws = new WebSocket(`${gw.gateway.publicUrl.replace('http', 'ws')}/llm/ws`, {
      headers: { authorization: `Bearer ${token}`, 'x-passport': 'forged' },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send('hello through the gateway');
    assert.equal(await echoed, 'hello through the gateway');
    ws.close();
    const headers = upstream.upgrades.at(-1);
    assert.ok(headers?.['x-passport'] && headers['x-passport'] !== 'forged');
    assert.equal(headers.authorization, undefined);
  });

  test('WebSocket: an unauthenticated upgrade is refused with 401 and the challenge', async () => {
    const upgradesBefore = upstream.upgrades.length;
    const ws = new WebSocket(`${gw.gateway.publicUrl.replace('http', 'ws')}/llm/ws`);
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res));
      ws.once('open', () => reject(new Error('the upgrade must be refused')));
    });
    assert.equal(response.statusCode, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="edgepass"');
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.ok(response.headers['x-request-id']);
    response.destroy();
    ws.on('error', () => {}); // terminate() before open reports an error we expect
    ws.terminate();
    assert.equal(upstream.upgrades.length, upgradesBefore, 'nothing reached the upstream');
  });
});

describe('upstream faults', () => {
  test('upstream down → 502 problem+json', async () => {
    await assertRefused(await fetch(gw.url('/down/x')), gw.logs, {
      status: 502,
      code: 'UPSTREAM_CONNECT_FAILED',
      reason: 'upstream_connect_failed',
    });
  });

  test('slow upstream → 504 problem+json after the route timeout', async () => {
    const started = Date.now();
    const res = await fetch(gw.url('/llm/slow'), { headers: { authorization: `Bearer ${token}` } });
    const elapsed = Date.now() - started;
    await assertRefused(res, gw.logs, { status: 504, code: 'UPSTREAM_TIMEOUT', reason: 'upstream_timeout' });
    assert.ok(elapsed >= 250 && elapsed < 3000, `answered after ${elapsed} ms`);
  });
});
