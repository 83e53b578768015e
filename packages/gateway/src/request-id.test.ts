import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTraceparent, requestIdOf, validTraceparent } from './request-id.ts';

test('requestIdOf keeps well-formed client ids and replaces the others', () => {
  assert.equal(requestIdOf('abc-123_x.y:z'), 'abc-123_x.y:z');
  for (const bad of [undefined, '', 'has space', 'x'.repeat(129), ['a', 'b'], 'ünicode']) {
    const id = requestIdOf(bad);
    assert.notEqual(id, bad);
    assert.match(id, /^[0-9a-f-]{36}$/);
  }
});

test('validTraceparent follows W3C trace-context', () => {
  const ok = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  assert.equal(validTraceparent(ok), ok);
  assert.equal(
    validTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'),
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
  );
  for (const bad of [
    `${ok}-extra`,
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    'garbage',
  ]) {
    assert.equal(validTraceparent(bad), undefined, bad);
  }
});

test('newTraceparent: valid, sampled, distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const tp = newTraceparent();
    assert.equal(validTraceparent(tp), tp);
    assert.ok(tp.endsWith('-01'));
    seen.add(tp);
  }
  assert.equal(seen.size, 2000);
});
