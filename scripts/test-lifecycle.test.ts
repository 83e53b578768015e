import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import {
  forwardsSignal,
  onTermination,
  type Stoppable,
  startAll,
  stopAll,
  stopWithoutWaiting,
  type TerminationSignal,
} from './test-lifecycle.ts';

interface FakeServer extends Stoppable {
  name: string;
  stopped: number;
}

function fakeServer(name: string, stopError?: Error): FakeServer {
  const server: FakeServer = {
    name,
    stopped: 0,
    async stop() {
      server.stopped++;
      if (stopError !== undefined) throw stopError;
    },
  };
  return server;
}

/** A promise and the function that resolves it: a start the test finishes when it chooses. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('startAll', () => {
  test('resolves with the servers in order and records each one', async () => {
    const started: FakeServer[] = [];
    const [a, b] = await startAll([async () => fakeServer('pg'), async () => fakeServer('redis')], started);
    assert.deepEqual([a.name, b.name], ['pg', 'redis']);
    assert.deepEqual(started.map((s) => s.name).sort(), ['pg', 'redis']);
  });

  test('when one start fails, it waits for the other and records it, so the teardown stops it', async () => {
    const started: FakeServer[] = [];
    const slow = deferred<FakeServer>();
    let settled = false;
    const run = startAll([() => Promise.reject(new Error('initdb failed')), () => slow.promise], started);
    run
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'no answer while a sibling is still starting');
    const redis = fakeServer('redis');
    slow.resolve(redis);
    await assert.rejects(run, /initdb failed/);
    assert.deepEqual(started, [redis]);
    assert.deepEqual(await stopAll(started), []);
    assert.equal(redis.stopped, 1);
  });
});

describe('stopAll', () => {
  test('a failing stop does not keep the others running; the failures are returned', async () => {
    const failure = new Error('pg_ctl stop failed');
    const servers = [fakeServer('pg', failure), fakeServer('redis')];
    assert.deepEqual(await stopAll(servers), [failure]);
    assert.deepEqual(
      servers.map((s) => s.stopped),
      [1, 1],
    );
  });
});

describe('stopWithoutWaiting', () => {
  test('calls every stop at once and returns without waiting, whatever a stop does', () => {
    const calls: string[] = [];
    const server = (name: string, stop: () => Promise<void>): Stoppable => ({
      stop() {
        calls.push(name);
        return stop();
      },
    });
    const servers = [
      server('hangs', () => new Promise<void>(() => {})),
      server('throws', () => {
        throw new Error('pg_ctl: no such directory');
      }),
      server('rejects', () => Promise.reject(new Error('already stopped'))),
      server('stops', async () => {}),
    ];
    assert.equal(stopWithoutWaiting(servers), undefined);
    assert.deepEqual(calls, ['hangs', 'throws', 'rejects', 'stops']);
  });
});

describe('forwardsSignal', () => {
  test('SIGTERM always; SIGINT only when stdin is not a terminal (a Ctrl-C there reached the child already)', () => {
    assert.equal(forwardsSignal('SIGTERM', true), true);
    assert.equal(forwardsSignal('SIGTERM', false), true);
    assert.equal(forwardsSignal('SIGINT', false), true);
    assert.equal(forwardsSignal('SIGINT', true), false);
  });
});

/** onTermination on an EventEmitter, recording the signals each handler ran for. */
function recordTermination() {
  const source = new EventEmitter();
  const seen: TerminationSignal[] = [];
  const repeated: TerminationSignal[] = [];
  const interruption = onTermination(
    (s) => seen.push(s),
    (s) => repeated.push(s),
    source,
  );
  return { source, seen, repeated, interruption };
}

describe('onTermination', () => {
  test('the first SIGINT or SIGTERM runs the handler once and sets 128 + the signal number', () => {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const { source, seen, repeated, interruption } = recordTermination();
      assert.equal(interruption.signal, undefined);
      assert.equal(interruption.exitCode, undefined);
      source.emit(signal, signal);
      assert.deepEqual(repeated, [], 'the first signal is not a repeat');
      source.emit('SIGINT', 'SIGINT');
      assert.deepEqual(seen, [signal], 'a second signal does not run the handler again');
      assert.equal(interruption.signal, signal);
      assert.equal(interruption.exitCode, code);
      interruption.dispose();
      assert.equal(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM'), 0);
    }
  });

  test('every later signal runs the repeat handler (the way out of a teardown that hangs)', () => {
    const { source, seen, repeated, interruption } = recordTermination();
    source.emit('SIGTERM', 'SIGTERM');
    source.emit('SIGINT', 'SIGINT');
    source.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(seen, ['SIGTERM']);
    assert.deepEqual(repeated, ['SIGINT', 'SIGTERM']);
    assert.equal(interruption.signal, 'SIGTERM', 'the exit status stays that of the first signal');
    assert.equal(interruption.exitCode, 143);
    interruption.dispose();
  });

  test('listens on process by default, and dispose removes its listeners', () => {
    const before = process.listenerCount('SIGTERM');
    const interruption = onTermination(
      () => {},
      () => {},
    );
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    interruption.dispose();
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});
