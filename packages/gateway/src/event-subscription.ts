// The gateway's subscription to the store's events (revocations, changes, key rotations), and how it learns that
// events may have been missed. Pub/sub is at-most-once: an event published while the subscriber is disconnected
// (Redis restarted, a connection reset by a partition) is lost, and the store reconnects and resubscribes by
// itself. Two signals, so that the caller (`onResumed`) can drop whatever it cached meanwhile:
//   - exact: the store's PubSub.onResubscribed, called once the store has re-established the subscription —
//     every gap in the subscriber connection, however short;
//   - the probe, a fallback for gaps no reconnection reveals (an intermediary that reconnects upstream on its
//     own): the gateway publishes a sequence number on a channel of its own every `probeIntervalMs`; a probe that
//     cannot be published, or has not come back when the next one is due, marks the subscription interrupted, and
//     the first probe that comes back afterwards proves it live again.
// A resumption resets the probe, so one gap is reported once whichever signal comes first; after a resubscription
// the probe lets its failures pass for a while (SETTLE_MS, at least 5 probes): the store's command connection,
// which publishes the probes, may come back a little after the subscriber's.
import { randomBytes } from 'node:crypto';
import { decodeEvent, type EdgeEvent, EVENTS_CHANNEL, type PubSub } from '@edgepass/store';

export interface EventSubscriptionOptions {
  readonly pubsub: PubSub;
  /** undefined: no probe (in-memory pub/sub is process-local and never loses a message) */
  readonly probeIntervalMs: number | undefined;
  readonly onEvent: (event: EdgeEvent) => void;
  /** the probe noticed that the subscription may be losing events (called once per interruption) */
  readonly onInterrupted: () => void;
  /** the subscription is live again after an interruption: events may have been missed. `resubscribed`: the store
   *  re-established it; `probe`: a probe came back after the probe had noticed the interruption */
  readonly onResumed: (cause: ResumeCause) => void;
}

export type ResumeCause = 'resubscribed' | 'probe';

export interface EventSubscription {
  close(): Promise<void>;
}

/** How long after a resubscription failed probes are not reported (unless a probe has come back since). */
const SETTLE_MS = 2000;

/** The probe channel of one gateway instance (the store adds its key prefix). */
function probeChannel(): string {
  return `gateway-probe:${randomBytes(12).toString('base64url')}`;
}

export async function subscribeToEvents(options: EventSubscriptionOptions): Promise<EventSubscription> {
  const { pubsub, probeIntervalMs } = options;
  // probe state (untouched without a probe)
  let sent = 0;
  let received = 0;
  let interrupted = false;
  /** probe ticks left during which failures are not reported */
  let settling = 0;
  const settleTicks = probeIntervalMs === undefined ? 0 : Math.max(5, Math.ceil(SETTLE_MS / probeIntervalMs));
  const resume = (cause: ResumeCause) => {
    // whatever the probe had outstanding belongs to the gap just reported
    interrupted = false;
    received = sent;
    if (cause === 'resubscribed') settling = settleTicks;
    options.onResumed(cause);
  };
  const unsubscribe = await pubsub.subscribe(EVENTS_CHANNEL, (message) => {
    const event = decodeEvent(message);
    if (event !== undefined) options.onEvent(event);
  });
  const stopResubscribed = pubsub.onResubscribed?.(() => resume('resubscribed'));
  const closeEvents = async () => {
    await Promise.allSettled([stopResubscribed?.(), unsubscribe()]);
  };
  if (probeIntervalMs === undefined) return { close: closeEvents };

  const channel = probeChannel();
  const interrupt = () => {
    if (interrupted || settling > 0) return;
    interrupted = true;
    options.onInterrupted();
  };
  let unsubscribeProbe: () => Promise<void>;
  try {
    unsubscribeProbe = await pubsub.subscribe(channel, (message) => {
      const n = Number(message);
      if (!(n > received)) return;
      received = n;
      settling = 0; // a probe came back: the subscription works end to end
      if (interrupted && received === sent) resume('probe');
    });
  } catch (err) {
    await closeEvents();
    throw err;
  }
  const timer = setInterval(() => {
    if (settling > 0) settling--;
    if (received < sent) interrupt();
    sent++;
    pubsub.publish(channel, String(sent)).catch(interrupt);
  }, probeIntervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await Promise.allSettled([unsubscribeProbe(), closeEvents()]);
    },
  };
}
