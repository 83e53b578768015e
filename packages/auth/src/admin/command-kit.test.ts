import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, JsonApiError } from '../errors.ts';
import {
  defineCommand,
  flags,
  isUsageError,
  positiveInt,
  printList,
  type Subcommand,
  UsageError,
} from './command-kit.ts';

/** An `edgepass things <subcommand>` command whose output is captured. */
function things(subcommands: Record<string, Subcommand>) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { env: {}, out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  return {
    out,
    err,
    command: defineCommand({ name: 'things', summary: '', usage: 'usage: edgepass things', io, subcommands }),
  };
}

const rows = [
  { id: 'a', name: 'first', at: new Date('2030-01-02T03:04:05.000Z'), tags: ['x', 'y'] },
  { id: 'bbbb', name: null, at: null, tags: [] },
];

test('printList: aligned columns under their headers; dates as ISO 8601, nothing as "-"', async () => {
  const { out, err, command } = things({
    async list(argv, ctx) {
      const values = flags(argv, { json: { type: 'boolean', default: false } });
      printList(ctx, rows, {
        json: values.json,
        jsonOf: (r) => ({ id: r.id }),
        columns: { ID: (r) => r.id, NAME: (r) => r.name, AT: (r) => r.at, TAGS: (r) => r.tags.join(',') },
      });
    },
  });
  assert.equal(await command.run(['list']), 0);
  assert.deepEqual(out, [
    'ID    NAME   AT                        TAGS',
    'a     first  2030-01-02T03:04:05.000Z  x,y',
    'bbbb  -      -                         -',
  ]);
  assert.equal(await command.run(['list', '--json']), 0);
  assert.equal(out.at(-1), '[{"id":"a"},{"id":"bbbb"}]');
  assert.equal(await command.run(['list', 'extra']), 2);
  assert.match(err.at(-1) ?? '', /^edgepass things list: unexpected argument\n\nusage: edgepass things$/);
});

test('positiveInt accepts 1 to 999999999 digits only', () => {
  assert.equal(positiveInt('1', '--limit'), 1);
  assert.equal(positiveInt('999999999', '--limit'), 999_999_999);
  for (const bad of ['0', '-1', '1.5', '1e3', ' 5', '0x10', '1000000000', ''])
    assert.throws(() => positiveInt(bad, '--limit'), {
      name: 'Error',
      message: '--limit: expected a positive integer',
    });
  assert.throws(() => positiveInt('0', '--limit'), UsageError);
});

test('usage mistakes exit 2 with the usage; failures exit 1 with the registry title and reason', async () => {
  assert.equal(isUsageError(new UsageError('x')), true);
  assert.equal(isUsageError(Object.assign(new TypeError('x'), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })), true);
  assert.equal(isUsageError(new Error('x')), false);
  assert.equal(isUsageError(null), false);
  const { err, command } = things({
    async auth() {
      throw new AuthError('AUTH_USER_NOT_FOUND', { reason: 'no user x' });
    },
    async api() {
      throw new JsonApiError('API_NOT_FOUND', { reason: 'api_key_not_found' });
    },
    async other() {
      throw new Error('boom');
    },
  });
  assert.equal(await command.run(['auth']), 1);
  assert.equal(await command.run(['api']), 1);
  assert.equal(await command.run(['other']), 1);
  assert.equal(await command.run(['nope']), 2);
  assert.deepEqual(err.slice(0, 3), [
    'edgepass things auth: User not found. (no user x)',
    'edgepass things api: Not found. (api_key_not_found)',
    'edgepass things other: boom',
  ]);
  assert.match(err.at(-1) ?? '', /^edgepass things: unknown subcommand "nope"/);
});
