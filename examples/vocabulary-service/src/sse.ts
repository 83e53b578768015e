// Server-sent events on a raw node:http response: headers flushed at once, every event written straight to the
// socket (no buffering), write back-pressure honoured, and an AbortSignal that fires when the client goes away.
import type { ServerResponse } from 'node:http';

export interface EventStream {
  /** aborted when the client disconnects before the stream is ended */
  readonly signal: AbortSignal;
  /** events written so far */
  readonly sent: number;
  /** writes one event; resolves false (and writes nothing) once the client has gone */
  send(event: string, data: unknown): Promise<boolean>;
  end(): void;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // proxies such as nginx buffer responses unless told not to
  'x-accel-buffering': 'no',
} as const;

export function openEventStream(res: ServerResponse, headers: Record<string, string> = {}): EventStream {
  const controller = new AbortController();
  let sent = 0;
  res.once('close', () => {
    if (!res.writableEnded) controller.abort(new Error('client disconnected'));
  });
  res.writeHead(200, { ...SSE_HEADERS, ...headers });
  res.flushHeaders();

  return {
    signal: controller.signal,
    get sent() {
      return sent;
    },
    async send(event, data) {
      if (controller.signal.aborted || res.writableEnded) return false;
      const flushed = res.write(formatEvent(event, data));
      sent++;
      if (!flushed) await drainOrClose(res, controller.signal);
      return !controller.signal.aborted;
    },
    end() {
      if (!res.writableEnded) res.end();
    },
  };
}

/** One SSE frame. JSON never contains a raw newline, so `data` is always a single line. */
export function formatEvent(event: string, data: unknown): string {
  if (/[\r\n]/.test(event)) throw new TypeError('an SSE event name cannot contain a line break');
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function drainOrClose(res: ServerResponse, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
