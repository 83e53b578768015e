// What scripts/test.ts needs to never leave a server behind: servers are recorded the moment each one is
// up (so a failed sibling or an interrupted run still stops them), and SIGINT/SIGTERM are turned into an
// orderly stop with the conventional 128 + signal number exit status.
import { constants } from 'node:os';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Starts every server at once and pushes each into `started` as soon as it is up. Waits until all the
 * starts have settled, then resolves with the servers in order or rejects with the first failure, so the
 * caller's teardown of `started` never misses one that was still starting.
 */
export async function startAll<T extends Stoppable>(starts: readonly (() => Promise<T>)[], started: T[]): Promise<T[]> {
  const results = await Promise.allSettled(
    starts.map(async (start) => {
      const server = await start();
      started.push(server);
      return server;
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Stops every server; returns the failures instead of throwing, so one failure does not keep another running. */
export async function stopAll(servers: readonly Stoppable[]): Promise<unknown[]> {
  const results = await Promise.allSettled(servers.map((s) => s.stop()));
  return results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
}

export const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type TerminationSignal = (typeof TERMINATION_SIGNALS)[number];

export interface Interruption {
  /** The first termination signal received, if any. */
  readonly signal: TerminationSignal | undefined;
  /** The exit status for it: 128 + the signal number (130 for SIGINT, 143 for SIGTERM). */
  readonly exitCode: number | undefined;
  /** Removes the listeners (the default action, death by signal, applies again). */
  dispose(): void;
}

/** Where the signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: TerminationSignal, listener: (signal: TerminationSignal) => void): unknown;
  off(signal: TerminationSignal, listener: (signal: TerminationSignal) => void): unknown;
}

/**
 * Listens for SIGINT and SIGTERM instead of dying at once; `onSignal` runs on the first one (forward it
 * to the child, let the teardown run). Later signals are ignored: the teardown is already under way.
 */
export function onTermination(
  onSignal: (signal: TerminationSignal) => void,
  source: SignalSource = process,
): Interruption {
  let received: TerminationSignal | undefined;
  const listener = (signal: TerminationSignal) => {
    if (received !== undefined) return;
    received = signal;
    onSignal(signal);
  };
  for (const signal of TERMINATION_SIGNALS) source.on(signal, listener);
  return {
    get signal() {
      return received;
    },
    get exitCode() {
      return received === undefined ? undefined : 128 + constants.signals[received];
    },
    dispose() {
      for (const signal of TERMINATION_SIGNALS) source.off(signal, listener);
    },
  };
}
