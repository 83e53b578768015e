import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseUrl, DevUsageError, parseDevOptions } from './options.ts';

test('defaults: ./data, 127.0.0.1, the fixed ports, info', () => {
  const o = parseDevOptions([], {});
  assert.equal(o.dataDir, './data');
  assert.equal(o.host, '127.0.0.1');
  assert.deepEqual(o.ports, { gateway: 8080, admin: 9090, auth: 4000, vocabulary: 4001, users: 4002, demo: 4003 });
  assert.equal(o.logLevel, 'info');
});

test('a flag beats its environment variable, which beats the default', () => {
  const o = parseDevOptions(['--gateway-port', '18080', '--data-dir', '/tmp/x'], {
    EDGEPASS_GATEWAY_PORT: '28080',
    EDGEPASS_AUTH_PORT: '14000',
    EDGEPASS_DATA_DIR: '/tmp/y',
    EDGEPASS_LOG_LEVEL: 'warn',
  });
  assert.equal(o.ports.gateway, 18080);
  assert.equal(o.ports.auth, 14000);
  assert.equal(o.dataDir, '/tmp/x');
  assert.equal(o.logLevel, 'warn');
});

test('bad input is a usage error naming the flag or variable', () => {
  const refused = (argv: string[], env: NodeJS.ProcessEnv, message: RegExp) =>
    assert.throws(
      () => parseDevOptions(argv, env),
      (e: unknown) => e instanceof DevUsageError && message.test(e.message),
    );
  refused(['--auth-port', '70000'], {}, /--auth-port: expected a port number/);
  refused([], { EDGEPASS_DEMO_PORT: 'x' }, /EDGEPASS_DEMO_PORT: expected a port number/);
  refused(
    ['--admin-port', '4000'],
    {},
    /gateway admin and auth service both use port 4000|auth service and gateway admin both use port 4000/,
  );
  refused(['--nope'], {}, /nope/);
  refused(['extra'], {}, /unexpected argument "extra"/);
  refused([], { EDGEPASS_LOG_LEVEL: 'loud' }, /EDGEPASS_LOG_LEVEL/);
});

test('baseUrl reaches a wildcard address on loopback and brackets IPv6', () => {
  assert.equal(baseUrl('0.0.0.0', 8080), 'http://127.0.0.1:8080');
  assert.equal(baseUrl('::', 8080), 'http://[::1]:8080');
  assert.equal(baseUrl('192.168.1.5', 1), 'http://192.168.1.5:1');
});
