// The two signals of a missed-events gap, with a scripted PubSub and mocked timers: the store's resubscription
// (exact) and the probe (fallback), each gap reported once, and the probe's patience right after a resubscription.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { PubSub } from '@edgepass/store';
import { type ResumeCause, subscribeToEvents } from './event-subscription.ts';

/** A PubSub whose probe deliveries and publish failures the test decides. */
class ScriptedPubSub implements PubSub {
  readonly handlers = new Map<string, (message: string) => void>();
  resubscribed: (() => void) | undefined;
  /** publishes fail (Redis unreachable for commands) */
  failing = false;
  /** published probes are delivered back (the subscription works) */
  delivering = true;

  async publish(channel: string, message: string): Promise<void> {
    if (this.failing) throw new Error('Redis is unavailable');
    if (this.delivering) this.handlers.get(channel)?.(message);
  }

  async subscribe(channel: string, handler: (message: string) => void) {
    this.handlers.set(channel, handler);
    return async () => {
      this.handlers.delete(channel);
    };
  }

  onResubscribed(listener: () => void) {
    this.resubscribed = listener;
    return async () => {
      this.resubscribed = undefined;
    };
  }
}

const PROBE_MS = 100; // 2000 / 100 = 20 ticks of settling after a resubscription

describe('event subscription: resubscriptions and the probe', () => {
  let pubsub: ScriptedPubSub;
  let log: string[];

  beforeEach(() => {
    pubsub = new ScriptedPubSub();
    log = [];
  });

  const start = () =>
    subscribeToEvents({
      pubsub,
      probeIntervalMs: PROBE_MS,
      onEvent: () => {},
      onInterrupted: () => log.push('interrupted'),
      onResumed: (cause: ResumeCause) => log.push(`resumed:${cause}`),
    });

  test('a resubscription is reported at once, without any probe having noticed', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const subscription = await start();
    t.mock.timers.tick(PROBE_MS * 3);
    await Promise.resolve();
    pubsub.resubscribed?.();
    assert.deepEqual(log, ['resumed:resubscribed']);
    await subscription.close();
    assert.equal(pubsub.resubscribed, undefined, 'the listener is removed on close');
  });

  test('a gap the probe noticed and the store then reported is one interruption and one resumption', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const subscription = await start();
    pubsub.delivering = false; // the subscriber is cut: probes are published but do not come back
    t.mock.timers.tick(PROBE_MS);
    t.mock.timers.tick(PROBE_MS);
    assert.deepEqual(log, ['interrupted']);
    pubsub.resubscribed?.();
    pubsub.delivering = true;
    for (let i = 0; i < 5; i++) t.mock.timers.tick(PROBE_MS);
    assert.deepEqual(log, ['interrupted', 'resumed:resubscribed'], 'the probes that come back again add nothing');
    await subscription.close();
  });

  test('after a resubscription, failed probes wait out the settling time; then they count again', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const subscription = await start();
    pubsub.resubscribed?.();
    pubsub.failing = true; // the command connection comes back later than the subscriber's
    for (let i = 0; i < 19; i++) t.mock.timers.tick(PROBE_MS);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['resumed:resubscribed'], 'no interruption while settling');
    t.mock.timers.tick(PROBE_MS);
    t.mock.timers.tick(PROBE_MS);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['resumed:resubscribed', 'interrupted'], 'still failing after 2 s: an interruption');
    pubsub.failing = false;
    t.mock.timers.tick(PROBE_MS);
    assert.deepEqual(log, ['resumed:resubscribed', 'interrupted', 'resumed:probe']);
    await subscription.close();
  });

  test('a probe that comes back ends the settling: a later silent gap is noticed by the probe', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const subscription = await start();
    pubsub.resubscribed?.();
    t.mock.timers.tick(PROBE_MS); // delivered: settled
    pubsub.delivering = false; // a gap no reconnection reveals
    t.mock.timers.tick(PROBE_MS);
    t.mock.timers.tick(PROBE_MS);
    assert.deepEqual(log, ['resumed:resubscribed', 'interrupted']);
    pubsub.delivering = true;
    t.mock.timers.tick(PROBE_MS);
    assert.deepEqual(log, ['resumed:resubscribed', 'interrupted', 'resumed:probe']);
    await subscription.close();
  });

  test('without a probe (memory), only the store can report a resubscription', async () => {
    const subscription = await subscribeToEvents({
      pubsub,
      probeIntervalMs: undefined,
      onEvent: () => {},
      onInterrupted: () => log.push('interrupted'),
      onResumed: (cause) => log.push(`resumed:${cause}`),
    });
    assert.equal(pubsub.handlers.size, 1, 'no probe channel');
    pubsub.resubscribed?.();
    assert.deepEqual(log, ['resumed:resubscribed']);
    await subscription.close();
  });
});
