// A PostgreSQL server without Redis: startAuthService itself warns (so a programmatic start does, not only
// `edgepass auth`), once, in the service log; with Redis there is nothing to warn about.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unsharedFastStateWarning } from '@edgepass/store';
import { startTestAuth } from './harness.ts';

test('PostgreSQL without Redis: one fast_state_not_shared warning in the service log; with Redis none', async () => {
  const alone = await startTestAuth({ redis: false });
  const shared = await startTestAuth();
  try {
    assert.deepEqual([alone.store.sql.kind, alone.store.fast.kind], ['postgres', 'memory']);
    const warnings = alone.logs.filter((l) => l.reason === 'fast_state_not_shared');
    assert.equal(warnings.length, 1, 'logged once');
    assert.equal(warnings[0]?.level, 40, 'at warn');
    assert.equal(warnings[0]?.msg, unsharedFastStateWarning(alone.store));
    assert.deepEqual([warnings[0]?.sql, warnings[0]?.fast], ['postgres', 'memory']);
    assert.equal((await fetch(`${alone.issuer}/healthz`)).status, 200, 'the service runs anyway');

    assert.equal(shared.store.fast.kind, 'redis');
    assert.deepEqual(
      shared.logs.filter((l) => l.reason === 'fast_state_not_shared'),
      [],
    );
  } finally {
    await shared.close();
    await alone.close();
  }
});
