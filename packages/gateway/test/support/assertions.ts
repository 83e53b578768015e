// Shared assertions on refusals: status, WWW-Authenticate, a generic problem+json body that does not
// leak the reason, and the reason in the structured log under the response's request id.
import assert from 'node:assert/strict';
import type { LogCapture } from './logs.ts';

export interface Refusal {
  status: number;
  code: string;
  /** the stable reason expected in the log */
  reason: string;
  /** expected WWW-Authenticate header; undefined: must be absent */
  challenge?: string;
}

export const INVALID_TOKEN_CHALLENGE = 'Bearer realm="edgepass", error="invalid_token"';
export const MISSING_CHALLENGE = 'Bearer realm="edgepass"';

export async function assertRefused(res: Response, logs: LogCapture, expected: Refusal): Promise<void> {
  const requestId = res.headers.get('x-request-id');
  assert.ok(requestId, 'every response carries x-request-id');
  const text = await res.text();
  assert.equal(res.status, expected.status, `status (body: ${text})`);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.equal(res.headers.get('www-authenticate') ?? undefined, expected.challenge);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(body.status, expected.status);
  assert.equal(body.code, expected.code);
  assert.equal(body.instance, requestId);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.ok(!text.includes(expected.reason), `the reason "${expected.reason}" must not reach the client`);
  const logged = logs.find({ reqId: requestId, reason: expected.reason });
  assert.ok(
    logged.length > 0,
    `the log has reason ${expected.reason} for ${requestId}: ${JSON.stringify(logs.find({ reqId: requestId }))}`,
  );
}

/** The (unverified) claims of a passport, e.g. the x-passport an upstream received. */
export function passportClaims(passport: string | undefined): Record<string, unknown> {
  assert.ok(passport, 'a passport');
  return JSON.parse(Buffer.from(passport.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}
