import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { cleanupAfterEach, gatewayFor, get, listen, shut, type startGateway } from './test-helpers.ts';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const ca = fixture('ca.pem');

const cleanups = cleanupAfterEach();

/** An https upstream (certificate for 127.0.0.1 signed by the test CA) that also echoes WebSocket messages. */
async function httpsUpstream() {
  const server = createServer({ key: fixture('server.key.pem'), cert: fixture('server.pem') }, (req, res) => {
    const socket = req.socket as TLSSocket;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ encrypted: socket.encrypted, alpn: socket.alpnProtocol, url: req.url }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`tls:${data.toString()}`)));
  const up = await listen(server);
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await shut(server);
  });
  return up;
}

const gateway = (options: Parameters<typeof startGateway>[0]) => gatewayFor(cleanups, options);

describe('https targets', () => {
  test('a target whose certificate comes from an added CA: HTTP over TLS', async () => {
    const up = await httpsUpstream();
    assert.match(up.url, /^https:/);
    const gw = await gateway({ targets: [up.url], ca });
    const res = await get(`${gw.url}/secure?x=1`);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { encrypted: true, alpn: 'http/1.1', url: '/secure?x=1' });
  });

  test('a target whose certificate comes from an added CA: WebSocket over TLS', async () => {
    const up = await httpsUpstream();
    const gw = await gateway({ targets: [up.url], ca: [ca] });
    const ws = new WebSocket(gw.url.replace(/^http/, 'ws'));
    cleanups.push(async () => ws.terminate());
    await once(ws, 'open');
    ws.send('ping');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    assert.equal(reply.toString(), 'tls:ping');
  });

  test('without that CA the certificate is refused: 502, and the cause says why', async () => {
    const up = await httpsUpstream();
    const gw = await gateway({ targets: [up.url] });
    const res = await get(`${gw.url}/secure`);
    assert.equal(res.status, 502);
    assert.deepEqual(JSON.parse(res.body), { code: 'UPSTREAM_CONNECT_FAILED' });
    const cause = gw.errors[0].cause as { code?: string };
    assert.match(String(cause.code), /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ISSUER/);
  });
});
