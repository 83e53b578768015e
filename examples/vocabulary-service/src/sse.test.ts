import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { readSse } from '../test/sse-client.ts';
import { type EventStream, formatEvent, openEventStream } from './sse.ts';

describe('formatEvent', () => {
  it('writes one event line and one JSON data line', () => {
    assert.equal(formatEvent('word', { w: 'a\nb' }), 'event: word\ndata: {"w":"a\\nb"}\n\n');
  });
  it('refuses an event name with a line break', () => {
    assert.throws(() => formatEvent('a\ndata: x', {}), TypeError);
  });
});

describe('openEventStream over node:http', () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.closeAllConnections();
    for (const s of servers) s.close();
  });

  async function serve(handler: (stream: EventStream) => Promise<void>): Promise<string> {
    const server = createServer((_req, res) => {
      void handler(openEventStream(res));
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('delivers each event before the next one is produced', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const url = await serve(async (stream) => {
      await stream.send('first', { n: 1 });
      await gate; // the second event cannot be written until the client has read the first
      await stream.send('second', { n: 2 });
      stream.end();
    });
    const res = await fetch(url);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
    const events = readSse(res);
    assert.deepEqual((await events.next()).value, { event: 'first', data: { n: 1 } });
    release();
    assert.deepEqual((await events.next()).value, { event: 'second', data: { n: 2 } });
    assert.equal((await events.next()).done, true);
  });

  it('aborts the signal and stops sending when the client disconnects', async () => {
    let aborted: (value: { sentAfterAbort: boolean; count: number }) => void = () => {};
    const result = new Promise<{ sentAfterAbort: boolean; count: number }>((resolve) => {
      aborted = resolve;
    });
    const url = await serve(async (stream) => {
      await stream.send('hello', {});
      await once(stream.signal, 'abort');
      aborted({ sentAfterAbort: await stream.send('late', {}), count: stream.sent });
    });
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    const events = readSse(res);
    assert.equal((await events.next()).value?.event, 'hello');
    controller.abort();
    assert.deepEqual(await result, { sentAfterAbort: false, count: 1 });
  });
});
