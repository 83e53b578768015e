// Passwords: argon2id with OWASP parameters (m = 19456 KiB, t = 2, p = 1) via @node-rs/argon2, and the
// password policy (12..128 characters, not equal to the email address).
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP Password Storage Cheat Sheet minimum for argon2id. */
export const ARGON2_OPTIONS = {
  algorithm: 2 as Algorithm, // Argon2id (a const enum cannot be referenced under isolatedModules)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordProblem = 'too_short' | 'too_long' | 'equals_email';

/** Checks the policy; returns the first problem or undefined. Length counts Unicode code points. */
export function checkPasswordPolicy(password: string, email?: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase()) return 'equals_email';
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  return await hash(password, ARGON2_OPTIONS);
}

/** Constant-shape verification: false for a malformed hash instead of throwing. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the same argon2 time as a real check, for unknown accounts (no timing-based enumeration). */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('edgepass-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
  return false;
}
