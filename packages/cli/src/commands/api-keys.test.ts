// `edgepass api-keys` run in-process against a real PostgreSQL database and Redis, as an operator would
// run it next to a deployment (configuration from the environment, no auth service running).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey, verifyApiKey } from '@edgepass/auth';
import { decodeEvent, type EdgeEvent, EVENTS_CHANNEL, type OpenedStore, openStore } from '@edgepass/store';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../../../../test/support/env.ts';
import { runCli } from '../cli.ts';
import { createApiKeysCommand } from './api-keys.ts';

const NOW = new Date('2030-03-01T10:00:00.000Z');

describe('edgepass api-keys', () => {
  let db: { url: string; drop(): Promise<void> };
  let store: OpenedStore;
  let env: NodeJS.ProcessEnv;
  const events: EdgeEvent[] = [];
  let unsubscribe: () => Promise<void>;

  before(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), EDGEPASS_REDIS_PREFIX: uniquePrefix('cli') };
    store = await openStore({ databaseUrl: db.url, redisUrl: env.REDIS_URL, keyPrefix: env.EDGEPASS_REDIS_PREFIX });
    unsubscribe = await store.fast.pubsub.subscribe(EVENTS_CHANNEL, (m) => {
      const e = decodeEvent(m);
      if (e) events.push(e);
    });
    await store.sql.query(
      "INSERT INTO users (id, email) VALUES ('usr_alice', 'Alice@Example.com'), ('usr_bob', 'bob@example.com')",
    );
  });
  after(async () => {
    await unsubscribe();
    await store.close();
    await db.drop();
  });

  async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const command = createApiKeysCommand({ env, now: () => NOW, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code: await command.run(args), out, err };
  }

  async function eventFor(id: string, since: number): Promise<EdgeEvent> {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const hit = events.slice(since).find((e) => e.type === 'api_key.changed' && e.id === id);
      if (hit) return hit;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no api_key.changed for ${id}`);
  }

  test('create (owner by email) prints only the key on stdout; the store keeps its hash; publishes', async () => {
    const mark = events.length;
    const r = await run(
      'create',
      '--owner',
      'alice@example.com',
      '--name',
      'deploy bot',
      '--scope',
      'vocabulary:read',
      '--scope',
      'internal:ops',
      '--expires',
      '30d',
      '--rate-limit',
      '600',
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.out.length, 1);
    const key = r.out[0] ?? '';
    assert.match(key, /^ep_live_[A-Za-z0-9_-]{43}$/);
    assert.match(
      r.err.join('\n'),
      /created key_\S+ \(ep_live_.{4}…\) for alice@example.com; the key is shown only once/,
    );
    assert.ok(!r.err.join('\n').includes(key));

    const { rows } = await store.sql.query<{
      id: string;
      owner_id: string;
      hash: string;
      scopes: string[];
      expires_at: Date;
      rate_limit_per_minute: number;
      name: string;
    }>('SELECT * FROM api_keys WHERE hash = $1', [hashApiKey(key)]);
    const row = rows[0];
    assert.ok(row);
    assert.equal(row.owner_id, 'usr_alice');
    assert.equal(row.name, 'deploy bot');
    assert.deepEqual(row.scopes, ['internal:ops', 'vocabulary:read']);
    assert.equal(row.rate_limit_per_minute, 600);
    assert.equal(row.expires_at.toISOString(), '2030-03-31T10:00:00.000Z');
    assert.deepEqual(await eventFor(row.id, mark), { type: 'api_key.changed', id: row.id, hash: hashApiKey(key) });
  });

  test('list shows keys without the key itself; --owner filters; --json is machine-readable', async () => {
    const created = await run('create', '--owner', 'usr_bob', '--env', 'test');
    assert.equal(created.code, 0);
    const bobKey = created.out[0] ?? '';
    assert.match(bobKey, /^ep_test_/);

    const all = await run('list');
    assert.equal(all.code, 0);
    assert.match(all.out[0] ?? '', /^ID\s+PREFIX\s+OWNER\s+NAME\s+SCOPES\s+STATUS\s+EXPIRES\s+LAST USED$/);
    assert.ok(all.out.some((l) => l.includes('usr_alice')) && all.out.some((l) => l.includes('usr_bob')));
    assert.ok(!all.out.join('\n').includes(bobKey.slice(12)));

    const bob = await run('list', '--owner', 'bob@example.com', '--json');
    assert.equal(bob.code, 0);
    const items = JSON.parse(bob.out.join('')) as { ownerId: string; prefix: string; status: string; hash?: string }[];
    assert.equal(items.length, 1);
    assert.equal(items[0]?.ownerId, 'usr_bob');
    assert.equal(items[0]?.prefix, bobKey.slice(0, 12));
    assert.equal(items[0]?.status, 'active');
    assert.equal(items[0]?.hash, undefined);
  });

  test('revoke revokes at once and publishes; rotate prints a successor and sets the overlap', async () => {
    const created = await run('create', '--owner', 'usr_bob');
    const key = created.out[0] ?? '';
    const { rows } = await store.sql.query<{ id: string }>('SELECT id FROM api_keys WHERE hash = $1', [
      hashApiKey(key),
    ]);
    const id = rows[0]?.id ?? '';

    const mark = events.length;
    const rotated = await run('rotate', id, '--overlap', '2h');
    assert.equal(rotated.code, 0, rotated.err.join('\n'));
    const successor = rotated.out[0] ?? '';
    assert.match(successor, /^ep_live_/);
    assert.notEqual(successor, key);
    assert.match(
      rotated.err.join('\n'),
      new RegExp(`replacing ${id}, which stops working at 2030-03-01T12:00:00.000Z`),
    );
    await eventFor(id, mark);
    const before = new Date(NOW.getTime() + 2 * 3600_000 - 1);
    const at = new Date(NOW.getTime() + 2 * 3600_000);
    assert.equal((await verifyApiKey(store.sql, key, before)).valid, true);
    assert.equal((await verifyApiKey(store.sql, successor, before)).valid, true);
    assert.deepEqual(await verifyApiKey(store.sql, key, at), { valid: false, reason: 'expired' });

    const valid = await verifyApiKey(store.sql, successor, NOW);
    assert.ok(valid.valid);
    const successorId = valid.record.id;
    assert.equal(valid.record.rotatedFrom, id);
    const mark2 = events.length;
    const revoked = await run('revoke', successorId);
    assert.equal(revoked.code, 0);
    assert.deepEqual(revoked.out, [`revoked ${successorId} at ${NOW.toISOString()}`]);
    await eventFor(successorId, mark2);
    assert.deepEqual(await verifyApiKey(store.sql, successor, NOW), { valid: false, reason: 'revoked' });
  });

  test('usage errors exit 2, failures exit 1, with a message on stderr only', async () => {
    const cases: [string[], number, RegExp][] = [
      [[], 2, /^usage: edgepass api-keys/],
      [['frobnicate'], 2, /unknown subcommand "frobnicate"/],
      [['create'], 2, /--owner <email\|id> is required/],
      [['create', '--owner', 'usr_bob', '--expires', 'soon'], 2, /--expires: expected a duration/],
      [['create', '--owner', 'usr_bob', '--rate-limit', '0'], 2, /--rate-limit: expected a positive integer/],
      [['create', '--owner', 'usr_bob', '--env', 'prod'], 2, /--env: expected one of live, test/],
      [['create', '--owner', 'usr_bob', '--bogus'], 2, /Unknown option '--bogus'/],
      [['revoke'], 2, /expected exactly one key id/],
      [['create', '--owner', 'nobody@example.com'], 1, /Not found\. \(no user nobody@example.com\)/],
      [['revoke', 'key_DDDDDDDDDDDDDDDDDDDDDD'], 1, /Not found\. \(api_key_not_found\)/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(...args);
      assert.equal(r.code, code, args.join(' '));
      assert.deepEqual(r.out, [], args.join(' '));
      assert.match(r.err.join('\n'), message, args.join(' '));
    }
  });

  test('is registered with the dispatcher: `edgepass api-keys --help` prints its usage', async (t) => {
    const log = t.mock.method(console, 'log', () => {});
    assert.equal(await runCli(['api-keys', '--help']), 0);
    assert.match(String(log.mock.calls[0]?.arguments[0]), /^usage: edgepass api-keys <subcommand>/);
  });
});
