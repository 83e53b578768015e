// A real Fastify app with the JSON API on 127.0.0.1:0, a real PostgreSQL database (fresh per harness),
// real Redis pub/sub under a unique prefix, access tokens signed with jose (ES256) and verified against
// a fixed, movable clock, and the app's pino log captured line by line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { decodeEvent, type EdgeEvent, EVENTS_CHANNEL, type OpenedStore, openStore } from '@edgepass/store';
import Fastify, {
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { generateKeyPair, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { type Logger, pino } from 'pino';
import type { z } from 'zod';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../../test/support/env.ts';
import { type AccessTokenPrincipal, type JsonApiDeps, registerJsonApi } from '../../src/api/index.ts';
import { problemView } from '../../src/api/schemas.ts';
import type { JsonApiErrorCode } from '../../src/errors.ts';

export const ISSUER = 'https://auth.test.example';
export const AUDIENCE = 'edgepass-api';
export const T0 = new Date('2030-01-15T12:00:00.000Z');

/** The app as the auth service builds it: a pino logger instance (not Fastify's default logger type). */
export type TestApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>;

export interface TokenOptions {
  sub: string;
  scope?: string;
  roles?: string[];
  /** lifetime from the clock's now (default 600 s) */
  ttlSec?: number;
  /** sign with a key the verifier does not know */
  foreignKey?: boolean;
}

export interface UserOptions {
  email?: string;
  roles?: string[];
  plan?: string;
  status?: 'active' | 'disabled';
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

export interface RequestOptions {
  token?: string;
  /** JSON-encoded unless rawBody is given */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  store: OpenedStore;
  app: TestApp;
  base: string;
  logs: string[];
  clock: { now(): Date; set(d: Date): void; advance(sec: number): void };
  token(options: TokenOptions): Promise<string>;
  createUser(options?: UserOptions): Promise<string>;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** events received on the store's channel since the harness started */
  events: EdgeEvent[];
  /** resolves with the first event received at index >= since (default 0) that matches predicate */
  waitForEvent(predicate: (e: EdgeEvent) => boolean, since?: number): Promise<EdgeEvent>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  deps?: Partial<JsonApiDeps>;
  beforeRegister?: (app: TestApp) => void;
  /** PGlite in memory + in-memory fast state (the embedded mode) instead of PostgreSQL + Redis */
  embedded?: boolean;
  /** servers of the test's own (e.g. to stop them) instead of a fresh database on the shared ones */
  databaseUrl?: string;
  redisUrl?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { deps = {}, beforeRegister, embedded = false } = options;
  const db = embedded || options.databaseUrl ? undefined : await createTestDatabase();
  const store = embedded
    ? await openStore({ dataDir: 'memory://' })
    : await openStore({
        databaseUrl: options.databaseUrl ?? db?.url,
        redisUrl: options.redisUrl ?? testRedisUrl(),
        keyPrefix: uniquePrefix('api'),
      });
  let current = T0.getTime();
  const clock = {
    now: () => new Date(current),
    set: (d: Date) => {
      current = d.getTime();
    },
    advance: (sec: number) => {
      current += sec * 1000;
    },
  };

  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const verifyAccessToken = async (token: string): Promise<AccessTokenPrincipal> => {
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        currentDate: clock.now(),
      });
      return {
        sub: String(payload.sub),
        scopes: new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : []),
        roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
        jti: payload.jti,
      };
    } catch (err) {
      throw Object.assign(new Error('access token rejected'), {
        code: 'AUTH_INVALID_TOKEN',
        status: 401,
        reason: err instanceof joseErrors.JOSEError ? err.code : 'token_invalid',
        cause: err,
      });
    }
  };

  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level: 'info' }, sink) });
  beforeRegister?.(app);
  await registerJsonApi(app, {
    store,
    logger: app.log,
    verifyAccessToken,
    apiKeyEnv: 'test',
    plans: ['free', 'premium', 'enterprise'],
    now: clock.now,
    apiKeyScopes: ['vocabulary:read', 'vocabulary:write'],
    ...deps,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  const events: EdgeEvent[] = [];
  const waiters = new Set<() => void>();
  const unsubscribe = await store.fast.pubsub.subscribe(EVENTS_CHANNEL, (message) => {
    const event = decodeEvent(message);
    if (event) events.push(event);
    for (const wake of waiters) wake();
  });

  return {
    store,
    app,
    base,
    logs,
    clock,
    events,
    async token(o) {
      const iat = Math.floor(clock.now().getTime() / 1000);
      return await new SignJWT({ scope: o.scope ?? '', roles: o.roles ?? [], client_id: 'cli_test' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(o.sub)
        .setJti(randomBytes(8).toString('hex'))
        .setIssuedAt(iat)
        .setExpirationTime(iat + (o.ttlSec ?? 600))
        .sign(o.foreignKey ? foreign.privateKey : privateKey);
    },
    async createUser(o = {}) {
      const id = `usr_${randomBytes(8).toString('hex')}`;
      await store.sql.query('INSERT INTO users (id, email, roles, plan, status) VALUES ($1, $2, $3, $4, $5)', [
        id,
        o.email ?? `${id}@example.com`,
        o.roles ?? [],
        o.plan ?? 'free',
        o.status ?? 'active',
      ]);
      return id;
    },
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let body: string | undefined = o.rawBody;
      if (body === undefined && o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(base + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    waitForEvent(predicate, since = 0) {
      const timeoutMs = 3000;
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.slice(since).find(predicate);
          if (!hit) return false;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(hit);
          return true;
        };
        const wake = () => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no matching event within ${timeoutMs} ms (received: ${JSON.stringify(events)})`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    },
    async close() {
      await unsubscribe();
      await app.close();
      await store.close();
      await db?.drop();
    },
  };
}

/** A user with a token carrying the given scopes. */
export async function userWithToken(
  h: Harness,
  scope = 'api_keys:manage usage:read',
  user: UserOptions = {},
): Promise<{ id: string; token: string }> {
  const id = await h.createUser(user);
  return { id, token: await h.token({ sub: id, scope, roles: user.roles }) };
}

/** Asserts the status and parses the body with the documented response schema. */
export function parseAs<S extends z.ZodType>(res: ApiResponse, status: number, schema: S): z.output<S> {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return schema.parse(res.body);
}

/** Asserts an RFC 9457 problem document with the given status and code. */
export function expectProblem(res: ApiResponse, status: number, code: JsonApiErrorCode): z.output<typeof problemView> {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = problemView.parse(res.body);
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  assert.equal(problem.type, `https://edgepass.dev/errors#${code.toLowerCase()}`);
  return problem;
}
