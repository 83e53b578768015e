import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDevLogger, formatRecord } from './log.ts';

test('one readable line per record: time, level, component, message, fields', () => {
  const line = formatRecord(
    JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 1),
      component: 'gateway',
      msg: 'slow',
      ms: 12.3456,
      path: '/a b',
    }),
  );
  assert.match(line, /^\d\d:\d\d:\d\d\.000 WARN {2}gateway {5}slow {2}ms=12\.35 {2}path="\/a b"\n$/);
});

test("Fastify's request pair becomes one line, without the query string", () => {
  assert.equal(formatRecord(JSON.stringify({ level: 30, msg: 'incoming request', req: { url: '/x' } })), '');
  const done = formatRecord(
    JSON.stringify({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: '/cb?code=abc' },
      res: { statusCode: 302 },
    }),
  );
  assert.match(done, /req=GET \/cb {2}res=302/);
  assert.ok(!done.includes('abc'));
});

test('credentials in log objects are redacted', () => {
  const lines: string[] = [];
  const logger = createDevLogger('info', (text) => lines.push(text));
  logger.info({ user: { password: 'hunter2-secret' }, req: { headers: { authorization: 'Bearer eyJsecret' } } }, 'x');
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]?.includes('hunter2-secret'));
  assert.ok(!lines[0]?.includes('eyJsecret'));
  assert.match(lines[0] ?? '', /\[redacted\]/);
});
