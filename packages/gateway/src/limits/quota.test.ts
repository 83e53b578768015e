import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quotaWindow } from './quota.ts';

test('quota windows are UTC calendar hours, days and months', () => {
  const t = Date.UTC(2026, 11, 31, 23, 59, 59, 500);
  assert.deepEqual(quotaWindow(t, 'hour'), { id: '2026-12-31T23', endMs: Date.UTC(2027, 0, 1, 0) });
  assert.deepEqual(quotaWindow(t, 'day'), { id: '2026-12-31', endMs: Date.UTC(2027, 0, 1) });
  assert.deepEqual(quotaWindow(t, 'month'), { id: '2026-12', endMs: Date.UTC(2027, 0, 1) });
  assert.deepEqual(quotaWindow(Date.UTC(2028, 1, 29, 0, 0), 'day'), { id: '2028-02-29', endMs: Date.UTC(2028, 2, 1) });
});
