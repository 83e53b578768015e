import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, type IncomingMessage, request } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { freePort } from '../../../../test/support/servers.ts';
import { ProxyError } from './index.ts';
import {
  cleanupAfterEach,
  fetchRaw,
  gatewayFor,
  get,
  listen,
  shut,
  startGateway,
  until,
  upstreamServer,
} from './test-helpers.ts';

const cleanups = cleanupAfterEach();

const gateway = (options: Parameters<typeof startGateway>[0]) => gatewayFor(cleanups, options);

async function upstream(handler: Parameters<typeof upstreamServer>[0]) {
  const up = await upstreamServer(handler);
  cleanups.push(() => shut(up.server));
  return up;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** An upstream that answers with its own name and echoes what it received. */
async function namedUpstream(name: string) {
  return await upstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        bodySha: sha256(Buffer.concat(chunks)),
        bodyLength: Buffer.concat(chunks).length,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

interface Echo {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  bodySha: string;
  bodyLength: number;
}

describe('forward: balancing and health', () => {
  test('round robin over the targets', async () => {
    const ups = await Promise.all(['a', 'b', 'c'].map(namedUpstream));
    const gw = await gateway({ targets: ups.map((u) => u.url) });
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push((JSON.parse((await get(`${gw.url}/rr`)).body) as Echo).name);
    assert.deepEqual(names, ['a', 'b', 'c', 'a', 'b', 'c']);
  });

  test('a connect failure is retried on the next target, even for a POST with a body', async () => {
    const good = await namedUpstream('good');
    const deadPort = await freePort();
    const gw = await gateway({
      targets: [`http://127.0.0.1:${deadPort}`, good.url],
      passiveHealth: { failures: 5, cooldownMs: 60_000 },
    });
    const body = randomBytes(100_000);
    const res = await send(`${gw.url}/upload`, body, { 'content-type': 'application/octet-stream' });
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.name, 'good');
    assert.equal(echo.bodySha, sha256(body));
    const [dead] = gw.upstream.targets();
    assert.equal(dead.consecutiveFailures, 1);
    assert.equal(dead.healthy, true, 'one failure of five does not mark it down');
  });

  test('passive health: marked down after N connect failures, one trial after the cooldown, then back up', async () => {
    let now = 1_000_000;
    const port = await freePort();
    const other = await namedUpstream('other');
    const gw = await gateway({
      targets: [`http://127.0.0.1:${port}`, other.url],
      passiveHealth: { failures: 2, cooldownMs: 30_000 },
      now: () => now,
    });
    // each request first lands on the dead target (round robin) at most every other time, retries on `other`
    for (let i = 0; i < 4; i++) assert.equal((await get(`${gw.url}/h`)).status, 200);
    let [dead] = gw.upstream.targets();
    assert.equal(dead.healthy, false);
    assert.equal(dead.consecutiveFailures, 2);

    // bring the target up: while the cooldown runs it still gets nothing
    const revived = createTcpServerOnPort(port, 'revived');
    const server = await revived;
    cleanups.push(() => shut(server));
    for (let i = 0; i < 3; i++) assert.equal((JSON.parse((await get(`${gw.url}/h`)).body) as Echo).name, 'other');

    now += 30_000;
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((JSON.parse((await get(`${gw.url}/h`)).body) as Echo).name);
    assert.deepEqual([...seen].sort(), ['other', 'revived']);
    [dead] = gw.upstream.targets();
    assert.equal(dead.healthy, true);
    assert.equal(dead.consecutiveFailures, 0);
  });

  test('connect refused → 502 UPSTREAM_CONNECT_FAILED, then every target down → 503 UPSTREAM_UNAVAILABLE', async () => {
    const port = await freePort();
    const gw = await gateway({
      targets: [`http://127.0.0.1:${port}`],
      passiveHealth: { failures: 1, cooldownMs: 60_000 },
    });
    const first = await get(`${gw.url}/x`);
    assert.equal(first.status, 502);
    assert.deepEqual(JSON.parse(first.body), { code: 'UPSTREAM_CONNECT_FAILED' });
    const [error] = gw.errors;
    assert.ok(error instanceof ProxyError);
    assert.equal(error.status, 502);
    assert.equal(error.target, `http://127.0.0.1:${port}/`);
    assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
    const second = await get(`${gw.url}/x`);
    assert.equal(second.status, 503);
    assert.deepEqual(JSON.parse(second.body), { code: 'UPSTREAM_UNAVAILABLE' });
  });

  test('connect timeout (a TLS target that never completes the handshake) → 502', async () => {
    const accepted: Socket[] = [];
    const silent = createTcpServer((socket) => {
      accepted.push(socket); // accepts the TCP connection, never says a word
    });
    const { port } = await listen(silent);
    cleanups.push(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const gw = await gateway({ targets: [`https://127.0.0.1:${port}`], connectTimeoutMs: 150 });
    const t0 = performance.now();
    const res = await get(`${gw.url}/x`);
    assert.equal(res.status, 502);
    assert.deepEqual(JSON.parse(res.body), { code: 'UPSTREAM_CONNECT_FAILED' });
    assert.equal((gw.errors[0].cause as { code?: string }).code, 'UND_ERR_CONNECT_TIMEOUT');
    // undici's connect timer has a resolution of about half a second
    assert.ok(performance.now() - t0 < 2500, 'bounded by the connect timeout');
    assert.equal(accepted.length, 1, 'the TCP connection was made; the TLS handshake never completed');
    assert.equal(gw.upstream.targets()[0].consecutiveFailures, 1);
  });

  test('no response headers within timeoutMs → 504 UPSTREAM_TIMEOUT (and it counts against the target)', async () => {
    const held: IncomingMessage[] = [];
    const slow = await upstream((req) => {
      held.push(req); // never answers
    });
    const gw = await gateway({ targets: [slow.url], timeoutMs: 150 });
    const res = await get(`${gw.url}/slow`);
    assert.equal(res.status, 504);
    assert.deepEqual(JSON.parse(res.body), { code: 'UPSTREAM_TIMEOUT' });
    assert.equal(held.length, 1, 'the upstream did receive the request');
    assert.equal(gw.upstream.targets()[0].consecutiveFailures, 1);
  });

  test('close() lets an in-flight request finish and refuses new ones with 503', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = false;
    const up = await upstream((_req, res) => {
      arrived = true;
      void released.then(() => res.end('finished'));
    });
    const gw = await startGateway({ targets: [up.url] });
    cleanups.push(() => gw.close());
    const inFlight = get(`${gw.url}/long`);
    await until(() => arrived, 'the upstream to receive the request');
    const closing = gw.upstream.close();
    const refused = await get(`${gw.url}/new`);
    assert.equal(refused.status, 503);
    release();
    const done = await inFlight;
    assert.equal(done.status, 200);
    assert.equal(done.body, 'finished');
    await closing;
  });
});

/** A plain http server on a given port (to bring a dead target back). */
async function createTcpServerOnPort(port: number, name: string) {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    const body = JSON.stringify({ name });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** POSTs `body` with a Content-Length and returns status and body. */
async function send(
  url: string,
  body: Buffer,
  headers: Record<string, string> = {},
  agent?: Agent,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

describe('forward: streaming', () => {
  test('SSE: each event reaches the client before the upstream sends the next one', async () => {
    let clientGotFirst: () => void = () => {};
    const firstSeen = new Promise<void>((resolve) => {
      clientGotFirst = resolve;
    });
    const sent: string[] = [];
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      sent.push('one');
      void firstSeen.then(() => {
        res.write('data: two\n\n');
        sent.push('two');
        res.end();
      });
    });
    const gw = await gateway({ targets: [up.url] });
    const res = await fetchRaw(`${gw.url}/events`);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const received: string[] = [];
    for await (const chunk of res) {
      received.push((chunk as Buffer).toString());
      if (received.length === 1) {
        assert.equal(received[0], 'data: one\n\n');
        assert.deepEqual(sent, ['one'], 'event 1 arrived while the upstream had not sent event 2');
        clientGotFirst();
      }
    }
    assert.equal(received.join(''), 'data: one\n\ndata: two\n\n');
  });

  test('SSE: the response head reaches the client before the first event is written', async () => {
    let releaseFirstEvent: () => void = () => {};
    const headSeen = new Promise<void>((resolve) => {
      releaseFirstEvent = resolve;
    });
    const up = await upstream((_req, res) => {
      // an SSE upstream that answers at once but has nothing to say yet
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      void headSeen.then(() => res.end('data: late\n\n'));
    });
    const gw = await gateway({ targets: [up.url] });
    // resolves only once the head arrived; the upstream writes no event until then
    const res = await fetchRaw(`${gw.url}/events`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    releaseFirstEvent();
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'data: late\n\n');
  });

  test('chunked request body: the upstream sees the first chunk before the client sends the last', async () => {
    let upstreamGotFirst: () => void = () => {};
    const firstArrived = new Promise<void>((resolve) => {
      upstreamGotFirst = resolve;
    });
    let upstreamHeaders: IncomingMessage['headers'] = {};
    const up = await upstream((req, res) => {
      upstreamHeaders = req.headers;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        if (chunks.length === 1) upstreamGotFirst();
      });
      req.on('end', () => res.end(Buffer.concat(chunks).toString()));
    });
    const gw = await gateway({ targets: [up.url] });
    const req = request(`${gw.url}/stream`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
    req.write('first,');
    await firstArrived; // only now does the client send the rest
    req.end('last');
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    for await (const c of res) text += (c as Buffer).toString();
    assert.equal(text, 'first,last');
    assert.equal(upstreamHeaders['transfer-encoding'], 'chunked');
    assert.equal(upstreamHeaders['content-length'], undefined);
  });

  test('large bodies are byte-exact both ways and Content-Length is preserved', async () => {
    const download = randomBytes(8 * 1024 * 1024 + 13);
    let upstreamSaw: { sha: string; length: string | undefined; te: string | undefined } | undefined;
    const up = await upstream((req, res) => {
      const hash = createHash('sha256');
      req.on('data', (c: Buffer) => hash.update(c));
      req.on('end', () => {
        upstreamSaw = {
          sha: hash.digest('hex'),
          length: req.headers['content-length'],
          te: req.headers['transfer-encoding'],
        };
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': download.length });
        res.end(download);
      });
    });
    const gw = await gateway({ targets: [up.url] });
    const upload = randomBytes(6 * 1024 * 1024 + 7);
    const req = request(`${gw.url}/big`, { method: 'PUT', headers: { 'content-length': String(upload.length) } });
    req.end(upload);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const hash = createHash('sha256');
    for await (const c of res) hash.update(c as Buffer);
    assert.equal(res.headers['content-length'], String(download.length));
    assert.equal(hash.digest('hex'), sha256(download), 'download byte-exact');
    assert.deepEqual(upstreamSaw, { sha: sha256(upload), length: String(upload.length), te: undefined });
  });

  test('client disconnect mid-response aborts the upstream request', async () => {
    let upstreamClosedEarly: (finished: boolean) => void = () => {};
    const upstreamClosed = new Promise<boolean>((resolve) => {
      upstreamClosedEarly = resolve;
    });
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      res.on('close', () => upstreamClosedEarly(res.writableFinished));
      // never ends by itself
    });
    const gw = await gateway({ targets: [up.url] });
    const outcome = gw.nextOutcome();
    const res = await fetchRaw(`${gw.url}/forever`);
    const [chunk] = (await once(res, 'data')) as [Buffer];
    assert.equal(chunk.toString(), 'data: first\n\n');
    res.destroy();
    assert.equal(await upstreamClosed, false, 'the upstream response was cut, not finished');
    const result = await outcome;
    assert.ok(!(result instanceof ProxyError));
    assert.equal(result.aborted, 'client');
    assert.equal(result.status, 200);
  });

  test('client disconnect before the upstream answers aborts the upstream request', async () => {
    let upstreamSawClose: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      upstreamSawClose = resolve;
    });
    let arrived = false;
    const up = await upstream((req) => {
      arrived = true;
      req.socket.on('close', () => upstreamSawClose());
    });
    const gw = await gateway({ targets: [up.url], timeoutMs: 10_000 });
    const outcome = gw.nextOutcome();
    const socket: Socket = connect(gw.port, '127.0.0.1');
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => arrived, 'the request to reach the upstream');
    socket.destroy();
    await closed;
    const result = await outcome;
    assert.ok(!(result instanceof ProxyError));
    assert.deepEqual([result.aborted, result.status], ['client', 499]);
  });

  test('the upstream failing mid-body (idle longer than timeoutMs) cuts the client response', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(10)); // then silence
    });
    const gw = await gateway({ targets: [up.url], timeoutMs: 200 });
    const outcome = gw.nextOutcome();
    const res = await fetchRaw(`${gw.url}/stall`);
    assert.equal(res.statusCode, 200);
    let received = 0;
    await assert.rejects(async () => {
      for await (const c of res) received += (c as Buffer).length;
    });
    assert.equal(received, 10);
    const result = await outcome;
    assert.ok(!(result instanceof ProxyError));
    assert.equal(result.aborted, 'upstream');
  });
});

describe('forward: responses pass through', () => {
  test('multiple Set-Cookie survive, hop-by-hop response fields do not', async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Secure']);
      res.setHeader('connection', 'keep-alive, x-upstream-hop');
      res.setHeader('x-upstream-hop', 'secret');
      res.setHeader('keep-alive', 'timeout=77, max=9');
      res.setHeader('x-end-to-end', 'yes');
      res.end('ok');
    });
    const gw = await gateway({ targets: [up.url] });
    const res = await get(`${gw.url}/cookies`);
    assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Secure']);
    assert.equal(res.headers['x-upstream-hop'], undefined);
    assert.equal(res.headers['x-end-to-end'], 'yes');
    assert.notEqual(res.headers['keep-alive'], 'timeout=77, max=9', "the upstream's keep-alive is its own");
    assert.equal(res.body, 'ok');
  });

  test('upstream 4xx/5xx statuses, reason phrases and bodies pass through unchanged', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/teapot') {
        res.writeHead(418, 'Short And Stout', { 'content-type': 'application/json' });
        res.end('{"error":"teapot"}');
      } else {
        res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' });
        res.end('maintenance');
      }
    });
    const gw = await gateway({ targets: [up.url] });
    const teapot = await fetchRaw(`${gw.url}/teapot`);
    assert.equal(teapot.statusCode, 418);
    assert.equal(teapot.statusMessage, 'Short And Stout');
    teapot.resume();
    const down = await get(`${gw.url}/down`);
    assert.deepEqual([down.status, down.headers['retry-after'], down.body], [503, '7', 'maintenance']);
    assert.equal(gw.errors.length, 0, 'an upstream 503 is a response, not a proxy error');
  });

  test('HEAD, 204 and 304 carry no body and keep their headers', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/204') {
        res.writeHead(204, { 'x-done': '1' });
        res.end();
      } else if (req.url === '/304') {
        res.writeHead(304, { etag: '"v1"' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
        res.end(req.method === 'HEAD' ? undefined : 'hello world');
      }
    });
    const gw = await gateway({ targets: [up.url] });
    const head = await get(`${gw.url}/file`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers['content-length'], head.body], [200, '11', '']);
    const full = await get(`${gw.url}/file`);
    assert.equal(full.body, 'hello world');
    const noContent = await get(`${gw.url}/204`);
    assert.deepEqual([noContent.status, noContent.headers['x-done'], noContent.body], [204, '1', '']);
    const notModified = await get(`${gw.url}/304`, { headers: { 'if-none-match': '"v1"' } });
    assert.deepEqual([notModified.status, notModified.headers.etag, notModified.body], [304, '"v1"', '']);
  });

  test('the upstream sees its own Host, the client host as x-forwarded-host, the path under the target path', async () => {
    const up = await namedUpstream('base');
    const gw = await gateway({ targets: [`${up.url}/v1/`] });
    const res = await get(`${gw.url}/items?q=1`, {
      headers: {
        host: 'public.example',
        authorization: 'Bearer t',
        'x-passport': 'forged',
        cookie: 'ep_session=s; a=1',
      },
    });
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.url, '/v1/items?q=1');
    assert.equal(echo.headers.host, `127.0.0.1:${up.port}`);
    assert.equal(echo.headers['x-forwarded-host'], 'public.example');
    assert.equal(echo.headers.authorization, undefined);
    assert.equal(echo.headers['x-passport'], 'passport-for-test');
    assert.equal(echo.headers.cookie, 'a=1');
  });

  test('client keep-alive: several requests with bodies on one connection', async () => {
    const up = await namedUpstream('ka');
    const gw = await gateway({ targets: [up.url] });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());
    const sockets = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      const body = randomBytes(1000 + i);
      const req = request(`${gw.url}/ka`, {
        method: 'POST',
        agent,
        headers: { 'content-length': String(body.length) },
      });
      req.on('socket', (s) => sockets.add(s));
      req.end(body);
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      let text = '';
      for await (const c of res) text += (c as Buffer).toString();
      assert.equal((JSON.parse(text) as Echo).bodySha, sha256(body));
    }
    assert.equal(sockets.size, 1, 'one client connection carried every request');
  });
});
