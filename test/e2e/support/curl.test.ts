// The choice between the real curl and the fetch replay: a missing curl falls back to the replay on a
// developer's machine, and fails under CI (where .ci/run installs curl and sets CI=1).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCi, useRealCurl } from './curl.ts';

describe('useRealCurl', () => {
  test('uses curl whenever it is installed, CI or not', () => {
    assert.equal(useRealCurl({}, true), true);
    assert.equal(useRealCurl({ CI: '1' }, true), true);
  });

  test('without curl, replays with fetch outside CI', () => {
    for (const CI of [undefined, '', '0', 'false', 'FALSE'])
      assert.equal(useRealCurl({ CI }, false), false, `CI=${CI}`);
  });

  test('without curl under CI, fails naming what to install instead of falling back', () => {
    for (const CI of ['1', 'true', 'yes'])
      assert.throws(() => useRealCurl({ CI }, false), /curl is not installed and CI is set: install it/, `CI=${CI}`);
  });

  test('isCi reads the CI variable of the env it is given', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.equal(isCi(env), false);
    env.CI = ' 1 ';
    assert.equal(isCi(env), true);
    env.CI = 'False';
    assert.equal(isCi(env), false);
    env.CI = 'true';
    assert.equal(isCi(env), true);
    delete env.CI;
    assert.equal(isCi(env), false);
  });

  test('isCi reads the CI variable of this process by default', () => {
    const saved = process.env.CI;
    try {
      process.env.CI = '1';
      assert.equal(isCi(), true);
      process.env.CI = '0';
      assert.equal(isCi(), false);
      delete process.env.CI;
      assert.equal(isCi(), false);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
