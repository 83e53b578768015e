import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { freePort } from '../../../../test/support/servers.ts';
import { cleanupAfterEach, gatewayFor, listen, shut, type startGateway, until } from './test-helpers.ts';

const cleanups = cleanupAfterEach();

const gateway = (options: Parameters<typeof startGateway>[0]) => gatewayFor(cleanups, options);

/** A ws echo server; records the upgrade requests it accepted and the server-side sockets. */
async function echoServer(options: { refuse?: number } = {}) {
  const upgrades: IncomingMessage[] = [];
  const peers: WebSocket[] = [];
  const http = createServer((_req, res) => res.end('not a websocket request'));
  const wss = new WebSocketServer({
    server: http,
    verifyClient: (_info, done) => (options.refuse ? done(false, options.refuse, 'Go Away') : done(true)),
  });
  wss.on('connection', (ws, req) => {
    upgrades.push(req);
    peers.push(ws);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const { url, port } = await listen(http);
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await shut(http);
  });
  return { url, port, upgrades, peers };
}

function client(url: string): WebSocket {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), {
    headers: { authorization: 'Bearer t', cookie: 'ep_session=s' },
  });
  cleanups.push(async () => ws.terminate());
  return ws;
}

/** Resolves with the status of a refused handshake ('unexpected-response') or throws if it opened. */
async function refusedStatus(
  ws: WebSocket,
): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  const [, res] = (await Promise.race([
    once(ws, 'unexpected-response'),
    once(ws, 'open').then(() => {
      throw new Error('the handshake unexpectedly succeeded');
    }),
  ])) as [unknown, IncomingMessage];
  let body = '';
  for await (const c of res) body += (c as Buffer).toString();
  return { status: res.statusCode ?? 0, body, headers: res.headers };
}

describe('upgrade', () => {
  test('WebSocket echo through the proxy, with the gateway headers applied to the handshake', async () => {
    const up = await echoServer();
    const gw = await gateway({ targets: [up.url] });
    const ws = client(`${gw.url}/chat?room=1`);
    const opened = once(ws, 'open'); // emitted right after 'upgrade'
    const [switched] = (await once(ws, 'upgrade')) as [IncomingMessage];
    assert.match(String(switched.headers['x-request-id']), /^ws-\d+$/, 'the 101 carries the gateway request id');
    await opened;
    ws.send('hello');
    const [text] = (await once(ws, 'message')) as [Buffer];
    assert.equal(text.toString(), 'hello');
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    ws.send(binary);
    const [echoed] = (await once(ws, 'message')) as [Buffer];
    assert.deepEqual(Buffer.from(echoed), binary);

    const [handshake] = up.upgrades;
    assert.equal(handshake.url, '/chat?room=1');
    assert.equal(handshake.headers['x-passport'], 'passport-for-test');
    assert.equal(handshake.headers.authorization, undefined);
    assert.equal(handshake.headers.cookie, undefined);
    assert.equal(handshake.headers.host, `127.0.0.1:${up.port}`);
    assert.equal(handshake.headers.upgrade, 'websocket');
  });

  test('closing the client closes the upstream side, and the other way round', async () => {
    const up = await echoServer();
    const gw = await gateway({ targets: [up.url] });
    const a = client(gw.url);
    await once(a, 'open');
    await until(() => up.peers.length === 1, 'the upstream to accept');
    const upstreamClosed = once(up.peers[0], 'close');
    a.close(1000, 'bye');
    const [code] = (await upstreamClosed) as [number];
    assert.equal(code, 1000);

    const b = client(gw.url);
    await once(b, 'open');
    await until(() => up.peers.length === 2, 'the upstream to accept');
    const clientClosed = once(b, 'close');
    up.peers[1].terminate(); // abrupt: TCP connection dropped, no close frame
    const [abruptCode] = (await clientClosed) as [number];
    assert.equal(abruptCode, 1006);
  });

  test('an upstream refusing the upgrade: its answer reaches the client and the connection closes', async () => {
    const up = await echoServer({ refuse: 403 });
    const gw = await gateway({ targets: [up.url] });
    const refused = await refusedStatus(client(gw.url));
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.connection, 'close');
    assert.match(String(refused.headers['x-request-id']), /^ws-\d+$/, 'a relayed refusal carries the request id');
    assert.equal(up.upgrades.length, 0);
    assert.equal(gw.upstream.targets()[0].consecutiveFailures, 0, 'a refusal is an answer, not a failure');
  });

  test('connect refused → 502 problem+json on the socket', async () => {
    const port = await freePort();
    const gw = await gateway({
      targets: [`http://127.0.0.1:${port}`],
      passiveHealth: { failures: 1, cooldownMs: 60_000 },
    });
    const refused = await refusedStatus(client(gw.url));
    assert.equal(refused.status, 502);
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    assert.match(String(refused.headers['x-request-id']), /^ws-\d+$/);
    const problem = JSON.parse(refused.body) as Record<string, unknown>;
    assert.deepEqual(
      { status: problem.status, code: problem.code, instance: problem.instance, title: problem.title },
      { status: 502, code: 'UPSTREAM_CONNECT_FAILED', instance: refused.headers['x-request-id'], title: 'Bad Gateway' },
    );
    assert.equal(gw.upstream.targets()[0].healthy, false);
    const again = await refusedStatus(client(gw.url));
    assert.equal(again.status, 503);
  });

  test('an upstream that accepts the connection but never answers the upgrade → 504', async () => {
    const held: IncomingMessage[] = [];
    const silent = createServer();
    silent.on('upgrade', (req: IncomingMessage) => held.push(req));
    const { url } = await listen(silent);
    cleanups.push(async () => {
      for (const req of held) req.socket.destroy();
      await shut(silent);
    });
    const gw = await gateway({ targets: [url], timeoutMs: 200 });
    const refused = await refusedStatus(client(gw.url));
    assert.equal(refused.status, 504);
    assert.equal(held.length, 1);
  });

  test('a client leaving before the upstream answers the upgrade aborts the upstream connection', async () => {
    let upstreamSocketClosed = false;
    let arrived = false;
    const held: IncomingMessage[] = [];
    const silent = createServer();
    silent.on('upgrade', (req: IncomingMessage) => {
      arrived = true;
      held.push(req);
      // the gateway closing its side shows up as the end of the stream (FIN)
      req.socket.on('end', () => {
        upstreamSocketClosed = true;
      });
      req.socket.resume();
    });
    const { url } = await listen(silent);
    cleanups.push(async () => {
      for (const req of held) req.socket.destroy();
      await shut(silent);
    });
    const gw = await gateway({ targets: [url], timeoutMs: 10_000 });
    const socket = connect(gw.port, '127.0.0.1');
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await until(() => arrived, 'the upgrade to reach the upstream');
    socket.destroy();
    await until(() => upstreamSocketClosed, 'the upstream connection to close');
  });

  test('bytes sent with and after the upgrade request, before the 101, reach the upstream in order; a FIN ends the tunnel', async () => {
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let received = '';
    let arrived = false;
    let upstreamEnded = false;
    const raw = createServer();
    const sockets: Array<import('node:stream').Duplex> = [];
    raw.on('upgrade', (_req: IncomingMessage, socket, head: Buffer) => {
      arrived = true;
      sockets.push(socket);
      received += head.toString();
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
      });
      socket.on('end', () => {
        upstreamEnded = true; // and, like a sloppy peer, never closes its side
      });
      void answered.then(() =>
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n'),
      );
    });
    const { url } = await listen(raw);
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await shut(raw);
    });
    const gw = await gateway({ targets: [url] });
    const client = connect(gw.port, '127.0.0.1');
    cleanups.push(async () => void client.destroy());
    let fromUpstream = '';
    client.on('data', (chunk: Buffer) => {
      fromUpstream += chunk.toString();
    });
    client.write('GET /raw HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\nwith-the-request;');
    await until(() => arrived, 'the upgrade to reach the upstream');
    client.write('before-the-101;');
    answer();
    await until(() => fromUpstream.includes('101 Switching Protocols'), 'the 101 to reach the client');
    client.write('after-the-101');
    await until(() => received.endsWith('after-the-101'), 'the bytes to reach the upstream');
    assert.equal(received, 'with-the-request;before-the-101;after-the-101');

    const clientClosed = once(client, 'close');
    client.end();
    await until(() => upstreamEnded, 'the FIN to reach the upstream');
    await clientClosed; // the gateway closed the tunnel although the upstream kept its side open
  });
});
