// The public listener over TLS, and a graceful close: new connections are refused while an in-flight
// stream finishes, then pools close and batched usage is flushed; the start-up warning of a store that mixes a
// PostgreSQL server with in-memory counters.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore, type Store } from '@edgepass/store';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../test/support/env.ts';
import { eventually, openMemoryStore, startTestGateway, testConfig } from './support/gateway.ts';
import { TestUpstream } from './support/upstream.ts';

let dir: string;
let upstream: TestUpstream;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgepass-tls-'));
  upstream = await TestUpstream.start();
  store = await openMemoryStore();
});

after(async () => {
  await upstream?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const route = () => ({
  name: 'a',
  match: { pathPrefix: '/a' },
  service: 'svc',
  upstream: { targets: [upstream.url] },
  accept: ['anonymous' as const],
});

test('the public listener serves TLS with the configured certificate', async () => {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const config = {
    ...testConfig({ routes: [route()] }),
    listen: {
      public: { host: '127.0.0.1', port: 0, tls: { certFile, keyFile } },
      admin: { host: '127.0.0.1', port: 0 },
    },
  };
  const gw = await startTestGateway(config, { store });
  try {
    assert.match(gw.gateway.publicUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      httpsRequest(`${gw.gateway.publicUrl}/a/secure`, { ca: readFileSync(certFile) }, resolve)
        .on('error', reject)
        .end();
    });
    assert.equal(res.statusCode, 200);
    res.resume();
    assert.equal(upstream.last().headers['x-forwarded-proto'], 'https');
  } finally {
    await gw.close();
  }
});

test('close(): new connections are refused while an in-flight stream completes', async () => {
  const gw = await startTestGateway(testConfig({ routes: [route()] }), { store });
  const responded = new Promise<IncomingMessage>((resolve, reject) => {
    httpRequest(`${gw.gateway.publicUrl}/a/sse`, resolve).on('error', reject).end();
  });
  await upstream.sseConnected();
  upstream.sendEvent('one');
  const res = await responded;
  res.setEncoding('utf8');
  let text = '';
  res.on('data', (chunk: string) => {
    text += chunk;
  });
  await eventually(() => text.includes('one'), 'the first event');

  let closed = false;
  const closing = gw.close().then(() => {
    closed = true;
  });
  await eventually(async () => {
    try {
      await fetch(`${gw.gateway.publicUrl}/a/x`);
      return false;
    } catch {
      return true; // connection refused: the listener stopped accepting
    }
  }, 'the listener to stop accepting');
  assert.equal(closed, false, 'close() waits for the in-flight stream');
  upstream.sendEvent('two');
  await eventually(() => text.includes('two'), 'an event during the drain');
  const ended = new Promise((resolve) => res.on('end', resolve));
  upstream.endSse();
  await ended;
  const drained = Date.now();
  await closing;
  assert.ok(Date.now() - drained < 1000, 'close() resolves soon after the last request (idle connections are closed)');
  assert.equal(text, 'data: one\n\ndata: two\n\n');
  assert.ok(gw.logs.find({ msg: 'gateway closed' }).length === 1);
});

test('a gateway on a PostgreSQL server without Redis warns that its counters are per process; with Redis it does not', async () => {
  const db = await createTestDatabase();
  const shared = await openStore({ databaseUrl: db.url, redisUrl: testRedisUrl(), keyPrefix: uniquePrefix('warn') });
  const unshared = await openStore({ databaseUrl: db.url });
  try {
    for (const [s, warned] of [
      [unshared, true],
      [shared, false],
    ] as const) {
      const gw = await startTestGateway(testConfig({ routes: [route()] }), { store: s });
      await gw.close();
      const warnings = gw.logs.find({ reason: 'fast_state_not_shared' });
      assert.equal(warnings.length, warned ? 1 : 0, `${s.sql.kind} + ${s.fast.kind}`);
      if (warned) assert.match(String(warnings[0]?.msg), /REDIS_URL/);
    }
  } finally {
    await unshared.close();
    await shared.close();
    await db.drop();
  }
});
