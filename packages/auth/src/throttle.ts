// Brute-force throttling of logins (per account and per client IP) and signups (per IP), on atomic
// counters in the shared fast state (Redis across instances, memory when embedded).
// Every attempt first takes a slot (INCR with the window as TTL) and is refused, without checking the
// password, once the window's slots are used up — so concurrent guesses cannot overshoot the limit.
// A successful login resets the account counter but does NOT give its IP slot back: otherwise an attacker could
// interleave logins to an account of their own with guesses at other accounts and never reach the IP limit.
// Account keys are SHA-256 of the lower-cased email (no addresses in Redis).
import type { KeyValue } from '@edgepass/store';
import type { AuthConfig } from './config.ts';
import { sha256b64url } from './crypto.ts';

export interface ThrottleDecision {
  allowed: boolean;
  /** Seconds until the caller may retry (when refused). */
  retryAfterSec: number;
  /** Which limit refused the attempt (for the log). */
  limit?: 'account' | 'ip' | 'signup_ip';
}

interface Limit {
  points: number;
  durationSec: number;
}

export class LoginThrottle {
  readonly #kv: KeyValue;
  readonly #limits: AuthConfig['throttle'];

  constructor(kv: KeyValue, limits: AuthConfig['throttle']) {
    this.#kv = kv;
    this.#limits = limits;
  }

  static accountKey(email: string): string {
    return `throttle:login:account:${sha256b64url(email.trim().toLowerCase())}`;
  }

  static ipKey(ip: string): string {
    return `throttle:login:ip:${ip}`;
  }

  async #take(key: string, limit: Limit): Promise<{ allowed: boolean; retryAfterSec: number }> {
    const used = await this.#kv.incr(key, 1, limit.durationSec * 1000);
    if (used <= limit.points) return { allowed: true, retryAfterSec: 0 };
    const ttl = await this.#kv.ttl(key);
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil((ttl > 0 ? ttl : limit.durationSec * 1000) / 1000)) };
  }

  /** Takes a login slot for the IP and the account; refused when either is exhausted. */
  async beginLogin(ip: string, email: string): Promise<ThrottleDecision> {
    const ip_ = await this.#take(LoginThrottle.ipKey(ip), this.#limits.ip);
    if (!ip_.allowed) return { ...ip_, limit: 'ip' };
    const account = await this.#take(LoginThrottle.accountKey(email), this.#limits.account);
    if (!account.allowed) return { ...account, limit: 'account' };
    return { allowed: true, retryAfterSec: 0 };
  }

  /** After a successful login: reset the account's failures (the IP's slot stays used). */
  async loginSucceeded(email: string): Promise<void> {
    await this.#kv.delete(LoginThrottle.accountKey(email));
  }

  async beginSignup(ip: string): Promise<ThrottleDecision> {
    const decision = await this.#take(`throttle:signup:ip:${ip}`, this.#limits.signupIp);
    return decision.allowed ? decision : { ...decision, limit: 'signup_ip' };
  }
}
