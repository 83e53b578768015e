// Checks run on a target before it is loaded: the request wrk will send succeeds, and for the auth targets the
// verified identity reaches the upstream (x-user-sub for the peers; for edgepass an x-passport that verifies
// against the gateway's passport JWKS), a client-sent identity header never does, and every bad token is a 401.
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import type { TokenAlg, TokenKind } from './tokens.ts';

/** The negative kinds that must be refused with 401 (unknown kid and nbf in the future are logged only). */
export const MUST_REFUSE: readonly TokenKind[] = [
  'garbage',
  'badsig',
  'expired',
  'badaud',
  'badiss',
  'noexp',
  'none',
  'confusion',
];
export const INFO_ONLY: readonly TokenKind[] = ['unknownkid', 'nbf-future'];

export interface CheckInput {
  baseUrl: string;
  path: string;
  alg: TokenAlg;
  token(alg: TokenAlg, kind: TokenKind): string;
  auth?: { identity: 'x-user-sub' | 'x-passport'; algs: readonly TokenAlg[] };
  /** For x-passport: where the gateway publishes its passport keys, and what the passport must say. */
  passport?: { jwksUrl: string; issuer: string; audience: string };
}

export interface CheckReport {
  ok: boolean;
  lines: string[];
}

async function call(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}

export async function runChecks(input: CheckInput): Promise<CheckReport> {
  const lines: string[] = [];
  let ok = true;
  const pass = (what: string) => lines.push(`ok   ${what}`);
  const fail = (what: string) => {
    lines.push(`FAIL ${what}`);
    ok = false;
  };
  const url = `${input.baseUrl}${input.path}`;
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const expect = async (what: string, want: number, headers: Record<string, string>) => {
    const { status } = await call(url, headers);
    if (status === want) pass(`${what} -> ${status}`);
    else fail(`${what} -> ${status} (want ${want})`);
  };

  const valid = input.token(input.alg, 'valid');
  const first = await call(url, bearer(valid));
  if (first.status === 200) pass(`valid ${input.alg} token -> 200`);
  else fail(`valid ${input.alg} token -> ${first.status} (want 200)`);
  const auth = input.auth;
  if (auth === undefined) return { ok, lines };

  if (auth.identity === 'x-user-sub') {
    if (first.body.includes('"sub":"user-123"')) pass('x-user-sub reached the upstream');
    else fail(`x-user-sub missing upstream: ${first.body.slice(0, 200)}`);
    const spoofed = await call(url, { ...bearer(valid), 'x-user-sub': 'spoofed' });
    if (spoofed.body.includes('"sub":"user-123"')) pass('client-sent x-user-sub overwritten');
    else fail(`client-sent x-user-sub not overwritten: ${spoofed.body.slice(0, 200)}`);
  } else {
    const passportUrl = `${input.baseUrl}/__bench/passport`;
    const seen = await call(passportUrl, bearer(valid));
    const problem = await verifyPassport(seen.body, input.passport);
    if (seen.status === 200 && problem === undefined) pass('x-passport reached the upstream and verifies');
    else fail(`x-passport at the upstream: ${seen.status} ${problem ?? ''}`);
    const forged = await call(passportUrl, { ...bearer(valid), 'x-passport': 'forged' });
    const forgedProblem = await verifyPassport(forged.body, input.passport);
    if (forged.body !== 'forged' && forgedProblem === undefined) pass('client-sent x-passport replaced');
    else fail(`client-sent x-passport reached the upstream: ${forged.body.slice(0, 80)}`);
  }
  for (const alg of auth.algs) await expect(`valid ${alg} token`, 200, bearer(input.token(alg, 'valid')));
  await expect('no Authorization header', 401, {});
  await expect('Authorization: Basic', 401, { authorization: 'Basic dXNlcjpwYXNz' });
  for (const kind of MUST_REFUSE) await expect(`${kind} token`, 401, bearer(input.token(input.alg, kind)));
  for (const kind of INFO_ONLY) {
    const { status } = await call(url, bearer(input.token(input.alg, kind)));
    lines.push(`info ${kind} token -> ${status}`);
  }
  return { ok, lines };
}

/** undefined when `token` is a passport of the gateway for the route's service with sub user-123. */
async function verifyPassport(token: string, expected: CheckInput['passport']): Promise<string | undefined> {
  if (expected === undefined) return 'no passport JWKS to verify against';
  try {
    const header = decodeProtectedHeader(token);
    if (header.typ !== 'passport+jwt') return `typ ${String(header.typ)}`;
    const res = await fetch(expected.jwksUrl, { signal: AbortSignal.timeout(5000) });
    const jwks = createLocalJWKSet((await res.json()) as JSONWebKeySet);
    const { payload } = await jwtVerify(token, jwks, { issuer: expected.issuer, audience: expected.audience });
    return payload.sub === 'user-123' ? undefined : `sub ${String(payload.sub)}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
