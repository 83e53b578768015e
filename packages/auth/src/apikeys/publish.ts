// Best-effort fan-out of an event after its change is committed: a failure is logged (the change stands;
// gateway caches then expire on their own TTL) and the operation still succeeds.
import { type EdgeEvent, EVENTS_CHANNEL, encodeEvent, type PubSub } from '@edgepass/store';

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

export async function publishAfterCommit(pubsub: PubSub, logger: ErrorLogger, event: EdgeEvent): Promise<void> {
  try {
    await pubsub.publish(EVENTS_CHANNEL, encodeEvent(event));
  } catch (err) {
    logger.error({ reason: 'event_publish_failed', event: event.type, err }, 'event not published');
  }
}
