// What scripts/test.ts needs to never leave a server behind: servers are recorded the moment each one is
// up (so a failed sibling or an interrupted run still stops them), and SIGINT/SIGTERM are turned into an
// orderly stop with the conventional 128 + signal number exit status. A second signal is the way out when
// that stop hangs: stopWithoutWaiting, then exit at once.
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

/**
 * The best effort before exiting at once: calls every server's stop() and does not wait for it, ignoring
 * failures (a server the orderly stop already stopped may fail a second stop). What a stop does before its
 * first await still happens before the exit; with test/support/servers.ts that is all of PostgreSQL's
 * (`pg_ctl stop -m immediate` runs synchronously) and the SIGKILL of redis-server (its data folder stays).
 */
export function stopWithoutWaiting(servers: readonly Stoppable[]): void {
  for (const server of servers) {
    try {
      server.stop().catch(() => {});
    } catch {
      // a stop that throws at once: the others are still tried
    }
  }
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
 * Listens for SIGINT and SIGTERM instead of dying at once. `onSignal` runs on the first one (forward it to
 * the child, let the teardown run); `onRepeat` on every later one, so that a teardown that hangs can be cut
 * short (stop what can be stopped without waiting, then exit).
 */
export function onTermination(
  onSignal: (signal: TerminationSignal) => void,
  onRepeat: (signal: TerminationSignal) => void,
  source: SignalSource = process,
): Interruption {
  let received: TerminationSignal | undefined;
  const listener = (signal: TerminationSignal) => {
    if (received !== undefined) {
      onRepeat(signal);
      return;
    }
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

/**
 * Whether to pass a termination signal on to the child. SIGTERM always: a CI timeout or a `kill` names
 * this process alone. SIGINT only when stdin is not a terminal: a Ctrl-C at a terminal reaches the whole
 * foreground process group, so the child already has it, and node --test, given a second SIGINT while it
 * winds down, runs its teardown again or, once its handler is gone, dies of it. (So a `kill -INT` of this
 * process alone, while it runs at a terminal, is not passed on: the tests run to their end before the
 * teardown, unless a second signal ends the run at once.)
 */
export function forwardsSignal(signal: TerminationSignal, stdinIsTerminal: boolean): boolean {
  return signal === 'SIGTERM' || !stdinIsTerminal;
}
