import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  buildUpstreamHeaders,
  connectionTokens,
  dropCookie,
  stripResponseHopByHop,
  type UpstreamHeaderOptions,
} from './headers.ts';
import { listen, shut } from './test-helpers.ts';

// Requests are written byte by byte over TCP so that the test controls every header line the server parses.
let port = 0;
let optionsForNext: UpstreamHeaderOptions = { remove: new Set(), set: {} };
const server = createServer((req: IncomingMessage, res) => {
  req.resume();
  const body = JSON.stringify(buildUpstreamHeaders(req, optionsForNext));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
});

before(async () => {
  ({ port } = await listen(server));
});
after(async () => {
  await shut(server);
});

async function upstreamHeadersFor(lines: string[], options: UpstreamHeaderOptions): Promise<OutgoingHttpHeaders> {
  optionsForNext = options;
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end(`GET /x HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  assert.match(text, /^HTTP\/1\.1 200 /);
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as OutgoingHttpHeaders;
}

describe('buildUpstreamHeaders', () => {
  test('drops hop-by-hop fields, including those the client lists in Connection', async () => {
    const h = await upstreamHeadersFor(
      [
        'Host: api.example.com',
        'Connection: keep-alive, X-Hop-Secret',
        'Keep-Alive: timeout=5',
        'Proxy-Connection: keep-alive',
        'Proxy-Authorization: Basic Zm9vOmJhcg==',
        'TE: trailers',
        'Trailer: X-Checksum',
        'Upgrade: h2c',
        'X-Hop-Secret: internal',
        'Accept: application/json',
        'X-Custom: kept',
      ],
      { remove: new Set(), set: {} },
    );
    for (const name of [
      'connection',
      'keep-alive',
      'proxy-connection',
      'proxy-authorization',
      'te',
      'trailer',
      'upgrade',
      'x-hop-secret',
      'host',
    ]) {
      assert.equal(h[name], undefined, `${name} must not be forwarded`);
    }
    assert.equal(h.accept, 'application/json');
    assert.equal(h['x-custom'], 'kept');
  });

  test('drops the `remove` names and then applies `set` (set wins, names lower-cased)', async () => {
    const h = await upstreamHeadersFor(
      ['Host: a', 'Authorization: Bearer secret-token', 'X-API-Key: ep_live_abc', 'X-Passport: forged', 'X-Keep: 1'],
      { remove: new Set(['authorization', 'x-api-key', 'x-passport']), set: { 'X-Passport': 'minted', 'x-keep': '2' } },
    );
    assert.equal(h.authorization, undefined);
    assert.equal(h['x-api-key'], undefined);
    assert.equal(h['x-passport'], 'minted');
    assert.equal(h['X-Passport'], undefined);
    assert.equal(h['x-keep'], '2');
  });

  test('drops only the named cookie and keeps the others', async () => {
    const opts = { remove: new Set<string>(), removeCookie: 'ep_session', set: {} };
    const h = await upstreamHeadersFor(
      ['Host: a', 'Cookie: theme=dark; ep_session=s3cr3t; ep_session_old=1; lang=en'],
      opts,
    );
    assert.equal(h.cookie, 'theme=dark; ep_session_old=1; lang=en');
    const only = await upstreamHeadersFor(['Host: a', 'Cookie: ep_session=s3cr3t'], opts);
    assert.equal(only.cookie, undefined);
    const none = await upstreamHeadersFor(['Host: a', 'Cookie: a=1'], opts);
    assert.equal(none.cookie, 'a=1');
  });

  test('sets x-forwarded-* from the connection and ignores client-sent ones at the edge', async () => {
    const h = await upstreamHeadersFor(
      [
        'Host: shop.example.com:8443',
        'X-Forwarded-For: 6.6.6.6',
        'X-Forwarded-Proto: https',
        'X-Forwarded-Host: evil.example',
        'Forwarded: for=6.6.6.6',
      ],
      { remove: new Set(), set: {} },
    );
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'shop.example.com:8443');
    assert.equal(h.forwarded, undefined);
  });

  test('appends to x-forwarded-for and keeps proto/host when the client is a trusted proxy', async () => {
    const h = await upstreamHeadersFor(
      [
        'Host: lb.internal',
        'X-Forwarded-For: 203.0.113.7',
        'X-Forwarded-Proto: https',
        'X-Forwarded-Host: shop.example',
      ],
      { remove: new Set(), set: {}, trustForwarded: true },
    );
    assert.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'shop.example');
  });

  test('does not forward Expect (the gateway answers 100-continue itself) nor Transfer-Encoding', async () => {
    optionsForNext = { remove: new Set(), set: {} };
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n');
    socket.end('3\r\nabc\r\n0\r\n\r\n');
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const h = JSON.parse(text.slice(text.lastIndexOf('\r\n\r\n') + 4)) as OutgoingHttpHeaders;
    assert.equal(h.expect, undefined);
    assert.equal(h['transfer-encoding'], undefined);
  });
});

describe('header helpers', () => {
  test('connectionTokens lists the named fields, not keep-alive alone', () => {
    assert.deepEqual(connectionTokens('keep-alive'), []);
    assert.deepEqual(connectionTokens(undefined), []);
    assert.deepEqual(connectionTokens('Keep-Alive, X-A ,x-b'), ['keep-alive', 'x-a', 'x-b']);
  });

  test('dropCookie keeps cookies whose names only start like the dropped one', () => {
    assert.equal(dropCookie('a=1;ep_session=2;  b=3', 'ep_session'), 'a=1; b=3');
    assert.equal(dropCookie('ep_sessionx=1', 'ep_session'), 'ep_sessionx=1');
    assert.equal(dropCookie('ep_session=1', 'ep_session'), undefined);
  });

  test('stripResponseHopByHop keeps end-to-end fields and every Set-Cookie', () => {
    const h = stripResponseHopByHop({
      connection: 'keep-alive, x-internal',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'x-internal': 'hop',
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/plain',
    });
    assert.deepEqual(h, { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' });
  });
});
