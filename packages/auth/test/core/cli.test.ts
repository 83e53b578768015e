// `edgepass users|clients|auth` run in-process as an operator would, against a real PostgreSQL database and
// Redis named by the environment (the service need not be running).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deniedJtiKey, type EdgeEvent, type OpenedStore, openStore } from '@edgepass/store';
import * as oidc from 'openid-client';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../../test/support/env.ts';
import { helpText } from '../../../cli/src/cli.ts';
import { type AuthCommandIo, createAuthCommand } from '../../../cli/src/commands/auth.ts';
import { createClientsCommand } from '../../../cli/src/commands/clients.ts';
import { createUsersCommand } from '../../../cli/src/commands/users.ts';
import { Accounts } from '../../src/accounts/accounts.ts';
import type { CommandIo } from '../../src/admin/command-kit.ts';
import type { AuthService } from '../../src/app.ts';
import { sha256b64url } from '../../src/crypto.ts';
import { TokenDenylist } from '../../src/tokens/denylist.ts';
import { collectEvents, eventually } from './harness.ts';

let db: { url: string; drop(): Promise<void> };
let store: OpenedStore;
let env: NodeJS.ProcessEnv;
let dir: string;
let seen: EdgeEvent[];
let stop: () => Promise<void>;

before(async () => {
  db = await createTestDatabase();
  env = {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    EDGEPASS_REDIS_PREFIX: uniquePrefix('cli'),
    EDGEPASS_MASTER_KEY: randomBytes(32).toString('base64url'),
    EDGEPASS_PLANS: 'free,premium,team',
  };
  store = await openStore({ databaseUrl: db.url, redisUrl: env.REDIS_URL, keyPrefix: env.EDGEPASS_REDIS_PREFIX });
  ({ seen, stop } = await collectEvents(store.fast));
  dir = mkdtempSync(join(tmpdir(), 'edgepass-cli-'));
});

after(async () => {
  await stop();
  await store.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function io(extra: Partial<AuthCommandIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { env, out: (l: string) => out.push(l), err: (l: string) => err.push(l), ...extra } };
}

async function users(argv: string[], extra: Partial<CommandIo> = {}) {
  const r = io(extra);
  return { code: await createUsersCommand(r.io).run(argv), out: r.out, err: r.err };
}

async function clients(...argv: string[]) {
  const r = io();
  return { code: await createClientsCommand(r.io).run(argv), out: r.out, err: r.err };
}

describe('edgepass users', () => {
  test('create with --password-stdin, list, set-plan, set-roles, disable, enable', async () => {
    const created = await users(
      ['create', 'Quinn@Example.com', '--name', 'Quinn', '--plan', 'premium', '--role', 'admin', '--password-stdin'],
      {
        stdin: async () => 'quinns long password\n',
      },
    );
    assert.equal(created.code, 0, created.err.join('\n'));
    assert.deepEqual(created.out, [], 'nothing on stdout when the password came from stdin');
    const accounts = new Accounts({ store, plans: ['free', 'premium', 'team'] });
    assert.equal((await accounts.login('quinn@example.com', 'quinns long password')).ok, true);

    const listed = await users(['list', '--json']);
    const rows = JSON.parse(listed.out[0] ?? '[]') as Array<{ email: string; plan: string; roles: string[] }>;
    assert.deepEqual(
      rows.map((u) => [u.email, u.plan, u.roles]),
      [['Quinn@Example.com', 'premium', ['admin']]],
    );
    const table = await users(['list']);
    assert.match(table.out[0] ?? '', /^ID +EMAIL +PLAN/);

    const mark = seen.length;
    const plan = await users(['set-plan', 'quinn@example.com', 'team']);
    assert.equal(plan.code, 0);
    assert.match(plan.out[0] ?? '', /plan=team/);
    const id = (await accounts.findByEmail('quinn@example.com'))?.id ?? '';
    await eventually(() => seen.slice(mark).find((e) => e.type === 'user.changed' && e.id === id));
    assert.equal((await users(['set-plan', id, 'gold'])).code, 1, 'an unknown plan fails');
    assert.match((await users(['set-roles', id, 'admin', 'support'])).out[0] ?? '', /roles=admin,support/);
    assert.match((await users(['set-roles', id])).out[0] ?? '', /roles=-/);
    assert.match((await users(['disable', 'quinn@example.com'])).out[0] ?? '', /status=disabled/);
    assert.equal((await accounts.login('quinn@example.com', 'quinns long password')).ok, false);
    assert.match((await users(['enable', 'quinn@example.com'])).out[0] ?? '', /status=active/);
  });

  test('disable denylists the live access tokens issued under the user’s grants (token.revoked for each)', async () => {
    const tina = await new Accounts({ store }).create({ email: 'tina@example.com' });
    // What the auth service leaves behind for a signed-in user: a grant row and the jtis issued under it.
    const grantId = `grant-${randomBytes(8).toString('hex')}`;
    await store.sql.query(
      "INSERT INTO oidc_models (model, id, payload, expires_at) VALUES ('Grant', $1, $2, now() + interval '1 hour')",
      [grantId, JSON.stringify({ accountId: tina.id, kind: 'Grant' })],
    );
    const exp = Math.floor(Date.now() / 1000) + 600;
    const live = { jti: `jti-${randomBytes(8).toString('hex')}`, exp };
    await new TokenDenylist({ fast: store.fast }).recordIssued(grantId, live, 3600);
    assert.equal(await store.fast.kv.get(deniedJtiKey(live.jti)), null, 'control: not denied before');

    const mark = seen.length;
    const disabled = await users(['disable', 'tina@example.com']);
    assert.equal(disabled.code, 0, disabled.err.join('\n'));
    assert.match(disabled.out[0] ?? '', /status=disabled/);
    assert.equal(await store.fast.kv.get(deniedJtiKey(live.jti)), String(exp), 'denylisted until exp');
    await eventually(() => seen.slice(mark).find((e) => e.type === 'token.revoked' && e.jti === live.jti));
  });

  test('without a password option a random password is printed once and works', async () => {
    const r = await users(['create', 'rita@example.com']);
    assert.equal(r.code, 0);
    const password = r.out[0] ?? '';
    assert.ok(password.length >= 20);
    assert.match(r.err.join('\n'), /shown only once/);
    assert.equal((await new Accounts({ store }).login('rita@example.com', password)).ok, true);
    const external = await users(['create', 'sam@example.com', '--no-password']);
    assert.deepEqual(external.out, []);
    assert.equal((await new Accounts({ store }).findByEmail('sam@example.com'))?.hasPassword, false);
  });

  test('errors: usage → 2, failures → 1 with a message', async () => {
    assert.equal((await users([])).code, 2);
    assert.equal((await users(['create'])).code, 2);
    assert.equal((await users(['create', 'x@example.com', '--password-stdin', '--no-password'])).code, 2);
    assert.equal((await users(['bogus'])).code, 2);
    const dup = await users(['create', 'RITA@example.com', '--no-password']);
    assert.equal(dup.code, 1);
    assert.match(dup.err.join('\n'), /already in use/);
    const missing = await users(['disable', 'nobody@example.com']);
    assert.equal(missing.code, 1);
    assert.match(missing.err.join('\n'), /User not found/);
  });
});

describe('edgepass clients', () => {
  test('create prints the secret once as JSON; the database has only its hash; list; delete', async () => {
    const r = await clients(
      'create',
      '--name',
      'Portal',
      '--redirect-uri',
      'https://portal.example/cb',
      '--first-party',
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    const { client_id: clientId, client_secret: secret } = JSON.parse(r.out[0] ?? '{}') as {
      client_id: string;
      client_secret: string;
    };
    assert.match(clientId, /^cli_/);
    const { rows } = await store.sql.query<{ secret_hash: string }>(
      'SELECT secret_hash FROM oauth_clients WHERE client_id = $1',
      [clientId],
    );
    assert.equal(rows[0]?.secret_hash, sha256b64url(secret));

    const m2m = await clients(
      'create',
      '--name',
      'Batch',
      '--grant',
      'client_credentials',
      '--role',
      'service',
      '--id',
      'batch',
    );
    assert.equal(m2m.code, 0, m2m.err.join('\n'));
    const spa = await clients('create', '--name', 'SPA', '--public', '--redirect-uri', 'http://localhost:5173/cb');
    assert.equal(JSON.parse(spa.out[0] ?? '{}').client_secret, undefined);

    const listed = JSON.parse((await clients('list', '--json')).out[0] ?? '[]') as Array<{
      clientId: string;
      secretHash?: string;
      confidential: boolean;
    }>;
    assert.deepEqual(
      listed.map((c) => c.clientId).sort(),
      [clientId, 'batch', JSON.parse(spa.out[0] ?? '{}').client_id].sort(),
    );
    assert.ok(
      listed.every((c) => c.secretHash === undefined),
      'list never shows secret hashes',
    );
    assert.equal((await clients('delete', 'batch')).code, 0);
    const again = await clients('delete', 'batch');
    assert.equal(again.code, 1);
    assert.match(again.err.join('\n'), /Client not found/);
  });

  test('invalid input is refused', async () => {
    assert.equal((await clients('create', '--redirect-uri', 'https://x/cb')).code, 2, '--name is required');
    assert.equal((await clients('create', '--name', 'X', '--grant', 'password')).code, 2);
    const http = await clients('create', '--name', 'X', '--redirect-uri', 'http://insecure.example/cb');
    assert.equal(http.code, 1);
    assert.match(http.err.join('\n'), /redirect_uri_invalid/);
  });
});

describe('edgepass auth', () => {
  test('runs the service from a config file until stopped', async () => {
    const file = join(dir, 'auth.yaml');
    writeFileSync(file, 'issuer: http://127.0.0.1:0\nport: 0\nlogLevel: silent\n');
    const r = io({
      untilStopped: async (service: AuthService) => {
        const meta = (await (await fetch(`${service.url}/.well-known/openid-configuration`)).json()) as {
          issuer: string;
        };
        assert.equal(meta.issuer, service.url);
        const config = await oidc.discovery(new URL(service.url), 'none', undefined, oidc.None(), {
          execute: [oidc.allowInsecureRequests],
        });
        assert.equal(config.serverMetadata().issuer, service.url);
      },
    });
    const code = await createAuthCommand(r.io).run(['--config', file]);
    assert.equal(code, 0, r.err.join('\n'));
    assert.match(r.out[0] ?? '', /^auth service listening at http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(r.err, [], 'PostgreSQL with Redis: no warning');
  });

  test('DATABASE_URL without REDIS_URL starts with a warning that the fast state is per process', async () => {
    const file = join(dir, 'auth-no-redis.yaml');
    writeFileSync(file, 'issuer: http://127.0.0.1:0\nport: 0\nlogLevel: silent\n');
    const { REDIS_URL: _unused, ...withoutRedis } = env;
    const out: string[] = [];
    const err: string[] = [];
    let health: { status?: string } = {};
    const code = await createAuthCommand({
      env: withoutRedis,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      untilStopped: async (service: AuthService) => {
        health = (await (await fetch(`${service.url}/healthz`)).json()) as { status?: string };
      },
    }).run(['--config', file]);
    assert.equal(code, 0, err.join('\n'));
    assert.equal(health.status, 'ok', 'the service runs anyway');
    assert.equal(err.length, 1);
    assert.match(
      err[0] ?? '',
      /^edgepass auth: warning: DATABASE_URL is set but REDIS_URL is not: .*this process only/,
    );
  });

  test('an invalid config exits 1 with the path and reason', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'issuer: http://127.0.0.1:0\nttl:\n  accessTokenSec: 0\n');
    const r = io();
    assert.equal(await createAuthCommand(r.io).run(['--config', file]), 1);
    assert.match(r.err.join('\n'), /ttl\.accessTokenSec/);
    assert.equal(await createAuthCommand(r.io).run(['--nope']), 2);
  });

  test('edgepass help lists the commands', () => {
    const help = helpText();
    for (const name of ['auth', 'users', 'clients', 'keys']) assert.match(help, new RegExp(`\\n  ${name} `));
  });
});
