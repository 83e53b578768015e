import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAddressRange, TrustedProxies } from './client-address.ts';

describe('parseAddressRange', () => {
  test('addresses and CIDR ranges, IPv4 and IPv6', () => {
    assert.deepEqual(parseAddressRange('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseAddressRange('192.0.2.1'), { address: '192.0.2.1', prefix: 32, family: 'ipv4' });
    assert.deepEqual(parseAddressRange('fd00::/8'), { address: 'fd00::', prefix: 8, family: 'ipv6' });
    assert.deepEqual(parseAddressRange('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
    assert.deepEqual(parseAddressRange('0.0.0.0/0'), { address: '0.0.0.0', prefix: 0, family: 'ipv4' });
  });

  test('anything else is refused', () => {
    for (const bad of ['', 'localhost', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0/8', ' 10.0.0.1']) {
      assert.equal(parseAddressRange(bad), undefined, bad);
    }
  });
});

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '192.0.2.10', 'fd00::/8']);

  test('an empty list trusts nobody', () => {
    assert.equal(TrustedProxies.from([]), undefined);
  });

  test('trusts addresses in the ranges, IPv4-mapped IPv6 included', () => {
    assert.ok(proxies.trusts('10.1.2.3'));
    assert.ok(proxies.trusts('::ffff:10.1.2.3'));
    assert.ok(proxies.trusts('192.0.2.10'));
    assert.ok(proxies.trusts('fd12::1'));
    assert.ok(!proxies.trusts('192.0.2.11'));
    assert.ok(!proxies.trusts('fe80::1'));
    assert.ok(!proxies.trusts(''));
    assert.ok(!proxies.trusts('not-an-ip'));
  });

  test('the client is the right-most X-Forwarded-For entry that is not a trusted proxy', () => {
    assert.equal(proxies.clientAddress('10.0.0.1', '203.0.113.7'), '203.0.113.7');
    // the client wrote the left part itself: never believed past the first untrusted hop
    assert.equal(proxies.clientAddress('10.0.0.1', '198.51.100.1, 203.0.113.7'), '203.0.113.7');
    // two trusted proxies in a row (a CDN and the balancer)
    assert.equal(proxies.clientAddress('10.0.0.1', '203.0.113.7, 192.0.2.10'), '203.0.113.7');
    assert.equal(proxies.clientAddress('10.0.0.1', '2001:db8::7,fd00::5'), '2001:db8::7');
    // repeated header lines (node joins them), empty entries
    assert.equal(proxies.clientAddress('10.0.0.1', ['198.51.100.1', '203.0.113.7, ']), '203.0.113.7');
  });

  test('without X-Forwarded-For, or when every hop is trusted, the last address reached is the client', () => {
    assert.equal(proxies.clientAddress('10.0.0.1', undefined), '10.0.0.1');
    assert.equal(proxies.clientAddress('10.0.0.1', ''), '10.0.0.1');
    assert.equal(proxies.clientAddress('10.0.0.1', '10.0.0.2, 10.0.0.3'), '10.0.0.2');
  });

  test('an entry that is not an address ends the walk at the last address reached', () => {
    assert.equal(proxies.clientAddress('10.0.0.1', 'unknown'), '10.0.0.1');
    assert.equal(proxies.clientAddress('10.0.0.1', '203.0.113.7, 10.0.0.9:443'), '10.0.0.1');
    assert.equal(proxies.clientAddress('10.0.0.1', 'garbage, 10.0.0.2'), '10.0.0.2');
  });
});
