// The gateway's subscription to the store's events (revocations, changes, key rotations), with a probe that
// notices when the subscription was interrupted. Pub/sub is at-most-once: an event published while the
// subscriber is disconnected (Redis restarted, a connection reset by a partition) is lost, and the store
// reconnects and resubscribes silently. So the gateway publishes a sequence number on a channel of its own
// every `probeIntervalMs`: a probe that cannot be published, or has not come back when the next one is due,
// marks the subscription interrupted; the first probe that comes back afterwards proves it live again, and
// `onResumed` lets the caller drop whatever it cached while events may have been missed.
// Limit: an interruption shorter than the probe interval that no probe fell into goes unnoticed here; the
// periodic re-check of cached credentials (credentials.revalidateAfter) bounds that case.
import { randomBytes } from 'node:crypto';
import { decodeEvent, type EdgeEvent, EVENTS_CHANNEL, type PubSub } from '@edgepass/store';

export interface EventSubscriptionOptions {
  readonly pubsub: PubSub;
  /** undefined: no probe (in-memory pub/sub is process-local and never loses a message) */
  readonly probeIntervalMs: number | undefined;
  readonly onEvent: (event: EdgeEvent) => void;
  /** the subscription may have lost events from now on (called once per interruption) */
  readonly onInterrupted: () => void;
  /** the subscription is live again after an interruption */
  readonly onResumed: () => void;
}

export interface EventSubscription {
  close(): Promise<void>;
}

/** The probe channel of one gateway instance (the store adds its key prefix). */
function probeChannel(): string {
  return `gateway-probe:${randomBytes(12).toString('base64url')}`;
}

export async function subscribeToEvents(options: EventSubscriptionOptions): Promise<EventSubscription> {
  const { pubsub, probeIntervalMs } = options;
  const unsubscribe = await pubsub.subscribe(EVENTS_CHANNEL, (message) => {
    const event = decodeEvent(message);
    if (event !== undefined) options.onEvent(event);
  });
  if (probeIntervalMs === undefined) return { close: unsubscribe };

  const channel = probeChannel();
  let sent = 0;
  let received = 0;
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) return;
    interrupted = true;
    options.onInterrupted();
  };
  let unsubscribeProbe: () => Promise<void>;
  try {
    unsubscribeProbe = await pubsub.subscribe(channel, (message) => {
      const n = Number(message);
      if (!(n > received)) return;
      received = n;
      if (interrupted && received === sent) {
        interrupted = false;
        options.onResumed();
      }
    });
  } catch (err) {
    await unsubscribe();
    throw err;
  }
  const timer = setInterval(() => {
    if (received < sent) interrupt();
    sent++;
    pubsub.publish(channel, String(sent)).catch(interrupt);
  }, probeIntervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await Promise.allSettled([unsubscribeProbe(), unsubscribe()]);
    },
  };
}
