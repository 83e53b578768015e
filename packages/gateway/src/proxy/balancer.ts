// Round robin over an upstream's targets with passive health: `failures` consecutive connect failures or
// timeouts mark a target down for `cooldownMs`; after the cooldown it gets one trial request (the others
// still skip it) whose outcome marks it up again or down for another cooldown.

export interface PassiveHealth {
  failures: number;
  cooldownMs: number;
}

export const DEFAULT_PASSIVE_HEALTH: Readonly<PassiveHealth> = Object.freeze({ failures: 3, cooldownMs: 10_000 });

/** What one attempt on a target said about its health. */
export type Outcome = 'ok' | 'failed' | 'neutral';

export interface BalancedTarget {
  readonly url: string;
  /** Consecutive connect failures / timeouts. */
  failures: number;
  /** 0 while up; otherwise the clock time (ms) from which a trial request may be sent. */
  downUntil: number;
  /** A trial request is in flight (only while down). */
  trial: boolean;
}

export class Balancer<T extends BalancedTarget> {
  readonly targets: readonly T[];
  readonly #health: PassiveHealth;
  readonly #now: () => number;
  #next = 0;

  constructor(targets: readonly T[], health: PassiveHealth, now: () => number) {
    if (targets.length === 0) throw new TypeError('an upstream needs at least one target');
    if (!(Number.isInteger(health.failures) && health.failures >= 1)) {
      throw new TypeError('passiveHealth.failures must be an integer >= 1');
    }
    if (!(Number.isFinite(health.cooldownMs) && health.cooldownMs >= 0)) {
      throw new TypeError('passiveHealth.cooldownMs must be a number >= 0');
    }
    this.targets = targets;
    this.#health = health;
    this.#now = now;
  }

  /**
   * The next target in round-robin order that is up, or down with its cooldown over and no trial in flight
   * (that one becomes the trial). `exclude` is skipped (the target a retry comes from). undefined: none.
   */
  pick(exclude?: T): T | undefined {
    const targets = this.targets;
    const n = targets.length;
    const start = this.#next;
    let now = -1;
    for (let i = 0; i < n; i++) {
      const index = (start + i) % n;
      const t = targets[index];
      if (t === exclude) continue;
      if (t.downUntil === 0) {
        this.#next = index + 1 === n ? 0 : index + 1;
        return t;
      }
      if (t.trial) continue;
      if (now === -1) now = this.#now();
      if (now >= t.downUntil) {
        t.trial = true;
        this.#next = index + 1 === n ? 0 : index + 1;
        return t;
      }
    }
    return undefined;
  }

  /** Records the outcome of one attempt on `target`. Call exactly once per picked attempt. */
  settle(target: T, outcome: Outcome): void {
    if (outcome === 'ok') {
      target.failures = 0;
      target.downUntil = 0;
      target.trial = false;
    } else if (outcome === 'failed') {
      target.failures++;
      if (target.trial || target.failures >= this.#health.failures) {
        // never 0: 0 means up
        target.downUntil = Math.max(1, this.#now() + this.#health.cooldownMs);
      }
      target.trial = false;
    } else {
      // no verdict (client went away, upstream reset after the request was sent): a trial may be retried
      target.trial = false;
    }
  }

  healthy(target: T): boolean {
    return target.downUntil === 0;
  }
}

/**
 * One request's use of an upstream: the target it is on, whose outcome the balancer is told once per attempt,
 * and at most one retry on another target. Request handlers extend it (no extra object per request).
 */
export class Attempt<T extends BalancedTarget> {
  target: T;
  readonly #balancer: Balancer<T>;
  #settled = false;
  #retried = false;

  constructor(balancer: Balancer<T>, target: T) {
    this.#balancer = balancer;
    this.target = target;
  }

  /** Tells the balancer how this attempt went (only the first call per attempt counts). */
  settle(outcome: Outcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#balancer.settle(this.target, outcome);
  }

  /** Moves to the next target for a retry: once per request, and only when another target is available. */
  retry(): T | undefined {
    if (this.#retried) return undefined;
    const next = this.#balancer.pick(this.target);
    if (next === undefined) return undefined;
    this.#retried = true;
    this.#settled = false;
    this.target = next;
    return next;
  }
}
