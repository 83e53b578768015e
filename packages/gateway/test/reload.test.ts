// Hot reload: file changes and SIGHUP swap the compiled config atomically; requests under load see no
// failure; an in-flight stream keeps the config (and upstream) it started with; an invalid file is
// logged with path and reason and the old config stays.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@edgepass/store';
import { stringify } from 'yaml';
import type { GatewayConfigInput } from '../src/config/schema.ts';
import { eventually, openMemoryStore, startTestGateway, type TestGateway, testConfig } from './support/gateway.ts';
import { TestUpstream } from './support/upstream.ts';

let dir: string;
let upstreamA: TestUpstream;
let upstreamB: TestUpstream;
let store: Store;

before(async () => {
  store = await openMemoryStore();
  dir = mkdtempSync(join(tmpdir(), 'edgepass-reload-'));
  upstreamA = await TestUpstream.start();
  upstreamB = await TestUpstream.start();
});

after(async () => {
  await upstreamA?.close();
  await upstreamB?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(routes: Array<{ name: string; prefix: string; target: string }>): GatewayConfigInput {
  return testConfig({
    logging: { level: 'info', access: false },
    routes: routes.map((r) => ({
      name: r.name,
      match: { pathPrefix: r.prefix },
      service: 'vocabulary',
      upstream: { targets: [r.target] },
      accept: ['anonymous'],
    })),
  });
}

function write(file: string, value: GatewayConfigInput | string): void {
  writeFileSync(file, typeof value === 'string' ? value : stringify(value));
}

async function startFromFile(
  file: string,
  extra: { watch?: boolean; handleSignals?: boolean } = {},
): Promise<TestGateway> {
  return await startTestGateway(config([]) /* unused: configPath wins */, {
    config: undefined,
    configPath: file,
    store,
    ...extra,
  });
}

describe('hot reload', () => {
  test('under load, two file changes drop nothing and the new routes take effect', async () => {
    const file = join(dir, 'load.yaml');
    write(file, config([{ name: 'a', prefix: '/a', target: upstreamA.url }]));
    const gw = await startFromFile(file);
    try {
      const statuses: number[] = [];
      let stop = false;
      const worker = async () => {
        while (!stop) {
          const res = await fetch(gw.url('/a/x'));
          statuses.push(res.status);
          await res.body?.cancel();
        }
      };
      const load = Promise.all(Array.from({ length: 8 }, worker));
      await eventually(() => statuses.length > 50, 'load to start');
      write(
        file,
        config([
          { name: 'a', prefix: '/a', target: upstreamA.url },
          { name: 'b', prefix: '/b', target: upstreamB.url },
        ]),
      );
      await eventually(() => gw.gateway.config().routes.length === 2, 'the first reload');
      const mark = statuses.length;
      await eventually(() => statuses.length > mark + 50, 'load after the first reload');
      write(
        file,
        config([
          { name: 'a', prefix: '/a', target: upstreamB.url },
          { name: 'b', prefix: '/b', target: upstreamB.url },
          { name: 'c', prefix: '/c', target: upstreamA.url },
        ]),
      );
      await eventually(() => gw.gateway.config().routes.length === 3, 'the second reload');
      const mark2 = statuses.length;
      await eventually(() => statuses.length > mark2 + 50, 'load after the second reload');
      stop = true;
      await load;
      assert.ok(statuses.length > 150);
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
        `${statuses.length} requests, none may fail`,
      );
      assert.equal((await fetch(gw.url('/b/x'))).status, 200);
      assert.equal((await fetch(gw.url('/c/x'))).status, 200);
      const before = upstreamB.received.length;
      assert.equal((await fetch(gw.url('/a/moved'))).status, 200);
      assert.equal(upstreamB.received.length, before + 1, 'route a now goes to upstream B');
      const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
      assert.match(metrics, /edgepass_config_reloads_total\{outcome="ok"\} 2/);
    } finally {
      await gw.close();
    }
  });

  test('an in-flight stream keeps the config and upstream it started with', async () => {
    const file = join(dir, 'inflight.yaml');
    write(file, config([{ name: 'a', prefix: '/a', target: upstreamA.url }]));
    const gw = await startFromFile(file, { watch: false });
    try {
      const responded = new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        request(gw.url('/a/sse'), resolve).on('error', reject).end();
      });
      await upstreamA.sseConnected();
      upstreamA.sendEvent('before');
      const res = await responded;
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      await eventually(() => text.includes('before'), 'the first event');
      write(file, config([{ name: 'a', prefix: '/a', target: upstreamB.url }]));
      assert.equal(await gw.gateway.reload(), true);
      upstreamA.sendEvent('after');
      await eventually(() => text.includes('after'), 'an event after the reload');
      const ended = new Promise((resolve) => res.on('end', resolve));
      upstreamA.endSse();
      await ended;
      assert.equal(text, 'data: before\n\ndata: after\n\n');
      const before = upstreamB.received.length;
      assert.equal((await fetch(gw.url('/a/x'))).status, 200);
      assert.equal(upstreamB.received.length, before + 1, 'new requests use the new upstream');
    } finally {
      await gw.close();
    }
  });

  test('an invalid file is refused with path and reason; the old config keeps serving', async () => {
    const file = join(dir, 'invalid.yaml');
    write(file, config([{ name: 'a', prefix: '/a', target: upstreamA.url }]));
    const gw = await startFromFile(file, { watch: false });
    try {
      write(file, config([{ name: 'a', prefix: '/a', target: 'not a url' }]));
      assert.equal(await gw.gateway.reload(), false);
      const line = gw.logs.find({ msg: 'config reload refused: the old config stays' })[0];
      assert.ok(line);
      assert.deepEqual(line.issues, [{ path: 'routes[0].upstream.targets[0]', message: 'Invalid URL' }]);
      write(file, 'routes: [');
      assert.equal(await gw.gateway.reload(), false);
      assert.equal((await fetch(gw.url('/a/x'))).status, 200);
      const metrics = await (await fetch(`${gw.gateway.adminUrl}/metrics`)).text();
      assert.match(metrics, /edgepass_config_reloads_total\{outcome="invalid"\} 2/);
    } finally {
      await gw.close();
    }
  });

  test('SIGHUP reloads the file', async () => {
    const file = join(dir, 'hup.yaml');
    write(file, config([{ name: 'a', prefix: '/a', target: upstreamA.url }]));
    const gw = await startFromFile(file, { watch: false, handleSignals: true });
    try {
      assert.equal((await fetch(gw.url('/b/x'))).status, 404);
      write(
        file,
        config([
          { name: 'a', prefix: '/a', target: upstreamA.url },
          { name: 'b', prefix: '/b', target: upstreamA.url },
        ]),
      );
      process.kill(process.pid, 'SIGHUP');
      await eventually(() => gw.gateway.config().routes.length === 2, 'the SIGHUP reload');
      assert.equal((await fetch(gw.url('/b/x'))).status, 200);
    } finally {
      await gw.close();
    }
  });
});
