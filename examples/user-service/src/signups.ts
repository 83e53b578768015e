// The signup records and their state machine: pending → active | failed, nothing else. In memory (a Map):
// the example shows the passport guards, not persistence; a real service keeps the same interface over SQL.
import { randomBytes } from 'node:crypto';

export type SignupStatus = 'pending' | 'active' | 'failed';

export interface Signup {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly status: SignupStatus;
  /** `sub` of the passport that asked for the signup (an anonymous visitor's id, via the gateway) */
  readonly requestedBy: string;
  /** `sub` of the service that activated or failed it */
  readonly decidedBy?: string;
  readonly failureReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SignupRequest {
  email: string;
  name: string;
}

export type TransitionResult =
  | { ok: true; signup: Signup }
  | { ok: false; error: 'not_found' }
  | { ok: false; error: 'conflict'; status: SignupStatus };

export interface SignupStore {
  create(request: SignupRequest, requestedBy: string): Signup;
  get(id: string): Signup | undefined;
  activate(id: string, decidedBy: string): TransitionResult;
  fail(id: string, decidedBy: string, reason: string): TransitionResult;
}

export interface SignupStoreOptions {
  now?: () => Date;
  /** new ids; default `sgn_` + 16 random bytes, base64url */
  newId?: () => string;
}

export function createSignupStore(options: SignupStoreOptions = {}): SignupStore {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? (() => `sgn_${randomBytes(16).toString('base64url')}`);
  const records = new Map<string, Signup>();

  function transition(id: string, to: 'active' | 'failed', decidedBy: string, reason?: string): TransitionResult {
    const current = records.get(id);
    if (!current) return { ok: false, error: 'not_found' };
    if (current.status !== 'pending') return { ok: false, error: 'conflict', status: current.status };
    const next: Signup = {
      ...current,
      status: to,
      decidedBy,
      ...(reason === undefined ? {} : { failureReason: reason }),
      updatedAt: now().toISOString(),
    };
    records.set(id, Object.freeze(next));
    return { ok: true, signup: next };
  }

  return {
    create(request, requestedBy) {
      const at = now().toISOString();
      const signup: Signup = Object.freeze({
        id: newId(),
        email: request.email,
        name: request.name,
        status: 'pending',
        requestedBy,
        createdAt: at,
        updatedAt: at,
      });
      records.set(signup.id, signup);
      return signup;
    },
    get: (id) => records.get(id),
    activate: (id, decidedBy) => transition(id, 'active', decidedBy),
    fail: (id, decidedBy, reason) => transition(id, 'failed', decidedBy, reason),
  };
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const CONTROL = /\p{Cc}/u;
export const MAX_NAME_LENGTH = 100;
export const MAX_REASON_LENGTH = 500;

export type Validated<T> = { ok: true; value: T } | { ok: false; field: string };

function isObject(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

/** `{ email, name }`: a plausible address (at most 254 characters), a name of 1–100 printable characters. */
export function parseSignupRequest(body: unknown): Validated<SignupRequest> {
  if (!isObject(body)) return { ok: false, field: 'body' };
  const { email, name } = body;
  if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email)) return { ok: false, field: 'email' };
  if (typeof name !== 'string') return { ok: false, field: 'name' };
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH || CONTROL.test(trimmed)) {
    return { ok: false, field: 'name' };
  }
  // domains are case-insensitive; the local part is left as typed (RFC 5321 §2.4)
  const at = email.lastIndexOf('@');
  return { ok: true, value: { email: email.slice(0, at + 1) + email.slice(at + 1).toLowerCase(), name: trimmed } };
}

/** `{ reason }`: why the signup worker gave up, 1–500 characters. */
export function parseFailure(body: unknown): Validated<string> {
  if (!isObject(body) || typeof body.reason !== 'string') return { ok: false, field: 'reason' };
  const reason = body.reason.trim();
  if (reason.length === 0 || reason.length > MAX_REASON_LENGTH) return { ok: false, field: 'reason' };
  return { ok: true, value: reason };
}
