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

  test('isCi reads the CI variable of this process by default', () => {
    assert.equal(isCi(), isCi(process.env));
    assert.equal(isCi({ CI: ' 1 ' }), true);
  });
});
