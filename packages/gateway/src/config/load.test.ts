import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../errors.ts';
import { parseDuration } from './duration.ts';
import { loadConfigFile, parseConfigText } from './load.ts';

const VALID = `
gateway:
  id: https://gateway.example
issuers:
  - id: auth
    issuer: https://auth.example
    jwksUri: https://auth.example/.well-known/jwks.json
    audiences: [edgepass-api]
    algorithms: [ES256, RS256]
routes:
  - name: vocabulary
    match: { pathPrefix: /v1/vocabulary }
    service: vocabulary
    upstream: { targets: ["http://127.0.0.1:7001"], timeout: 45s }
    accept: [access_token, api_key]
    rateLimit: { limit: 100, window: 1m }
    quota: { window: day, plans: { free: 50, premium: 5000 } }
`;

/** The issues of an invalid config, as "path: message" strings. */
function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('the config must be refused');
}

const replaceIn = (from: string, to: string) => {
  assert.ok(VALID.includes(from), `fixture contains ${from}`);
  return VALID.replace(from, to);
};

describe('valid config', () => {
  test('defaults are applied, durations are milliseconds, the result is deep-frozen', () => {
    const config = parseConfigText(VALID, { env: {} });
    assert.equal(config.listen.public.port, 8080);
    assert.equal(config.listen.admin.host, '127.0.0.1');
    assert.equal(config.passport.alg, 'EdDSA');
    assert.equal(config.passport.ttl, 60_000);
    assert.equal(config.issuers[0]?.clockSkew, 30_000);
    assert.equal(config.routes[0]?.upstream.timeout, 45_000);
    assert.equal(config.routes[0]?.rateLimit?.window, 60_000);
    assert.equal(config.routes[0]?.rateLimit?.onStoreDown, 'closed');
    assert.equal(config.credentials.session.cookie, 'ep_session');
    assert.deepEqual(config.credentials.apiKey.headers, ['x-api-key']);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.routes[0]?.upstream.targets));
    assert.throws(() => {
      (config.routes as unknown as unknown[]).push({});
    }, TypeError);
  });

  /** `${NAME}` as written in YAML (not a template literal). */
  const ref = (inner: string) => `$\{${inner}}`;

  test('environment references and defaults are taken from the environment', () => {
    const text = replaceIn('id: https://gateway.example', `id: ${ref('GATEWAY_ID')}`).replace(
      '"http://127.0.0.1:7001"',
      `"http://${ref('UPSTREAM_HOST:-127.0.0.1')}:${ref('UPSTREAM_PORT')}"`,
    );
    const config = parseConfigText(text, { env: { GATEWAY_ID: 'gw-from-env', UPSTREAM_PORT: '7009' } });
    assert.equal(config.gateway.id, 'gw-from-env');
    assert.deepEqual(config.routes[0]?.upstream.targets, ['http://127.0.0.1:7009']);
    assert.deepEqual(issuesOf(text, { UPSTREAM_PORT: '1' }), [
      'gateway.id: environment variable GATEWAY_ID is not set',
    ]);
  });

  test('credentials default to verify; passthrough, trusted proxies and revalidateAfter as written', () => {
    const defaults = parseConfigText(VALID, { env: {} });
    assert.equal(defaults.routes[0]?.credentials, 'verify');
    assert.deepEqual(defaults.listen.public.trustedProxies, []);
    assert.equal(defaults.credentials.revalidateAfter, 30_000);
    const text = `${replaceIn(
      'accept: [access_token, api_key]',
      'credentials: passthrough\n    accept: [anonymous]',
    ).replace(
      '    quota: { window: day, plans: { free: 50, premium: 5000 } }\n',
      '',
    )}listen:\n  public: { trustedProxies: [10.0.0.0/8, 192.0.2.1, "fd00::/8", "::1"] }\ncredentials: { revalidateAfter: 5s }\n`;
    const config = parseConfigText(text, { env: {} });
    assert.equal(config.routes[0]?.credentials, 'passthrough');
    assert.deepEqual(config.listen.public.trustedProxies, ['10.0.0.0/8', '192.0.2.1', 'fd00::/8', '::1']);
    assert.equal(config.credentials.revalidateAfter, 5000);
  });

  test('ports and workers accept numbers given as strings (from the environment)', () => {
    const text = `${VALID}listen:\n  public: { port: "\${PORT}" }\n`;
    assert.equal(parseConfigText(text, { env: { PORT: '9000' } }).listen.public.port, 9000);
  });
});

describe('invalid config names the path and the reason', () => {
  test('bad YAML', () => {
    const [issue] = issuesOf('gateway: { id: [\nroutes: x');
    assert.match(issue ?? '', /^line \d+, column \d+: /);
  });

  test('duplicate YAML keys', () => {
    assert.match(issuesOf(`${VALID}gateway: { id: again }\n`)[0] ?? '', /^line \d+, column 1: Map keys must be unique/);
  });

  test('unknown key', () => {
    assert.deepEqual(issuesOf(replaceIn('service: vocabulary', 'service: vocabulary\n    retries: 3')), [
      'routes[0].retries: unknown key',
    ]);
    assert.deepEqual(issuesOf(`${VALID}extra: true\n`), ['extra: unknown key']);
  });

  test('bad URL', () => {
    assert.deepEqual(issuesOf(replaceIn('"http://127.0.0.1:7001"', '"http://127.0.0.1:7001", "ftp://x", "nope"')), [
      'routes[0].upstream.targets[1]: Invalid URL',
      'routes[0].upstream.targets[2]: Invalid URL',
    ]);
  });

  test('empty algorithms', () => {
    assert.deepEqual(issuesOf(replaceIn('algorithms: [ES256, RS256]', 'algorithms: []')), [
      'issuers[0].algorithms: list at least one algorithm (there is no default)',
    ]);
  });

  test('missing algorithms (no default)', () => {
    assert.deepEqual(issuesOf(replaceIn('    algorithms: [ES256, RS256]\n', '')), [
      'issuers[0].algorithms: is required',
    ]);
  });

  test('symmetric algorithm for an issuer', () => {
    const [issue] = issuesOf(replaceIn('algorithms: [ES256, RS256]', 'algorithms: [ES256, HS256]'));
    assert.match(
      issue ?? '',
      /^issuers\[0\]\.algorithms\[1\]: "HS256" is not allowed: issuers verify with asymmetric algorithms only/,
    );
    assert.match(
      issuesOf(replaceIn('algorithms: [ES256, RS256]', 'algorithms: [none]'))[0] ?? '',
      /^issuers\[0\]\.algorithms\[0\]: "none" is not allowed/,
    );
  });

  test('duplicate route names', () => {
    const route = VALID.slice(VALID.indexOf('  - name: vocabulary'));
    assert.deepEqual(issuesOf(`${VALID}${route.replace('/v1/vocabulary', '/v2')}`), [
      'routes[1].name: duplicate of routes[0].name',
    ]);
  });

  test('jwksUri or discovery, exactly one', () => {
    assert.deepEqual(issuesOf(replaceIn('    jwksUri: https://auth.example/.well-known/jwks.json\n', '')), [
      'issuers[0].jwksUri: set jwksUri, or discovery: true',
    ]);
    assert.deepEqual(issuesOf(replaceIn('    audiences:', '    discovery: true\n    audiences:')), [
      'issuers[0].discovery: set either jwksUri or discovery: true, not both',
    ]);
  });

  test('clock skew bounded to 5 minutes; durations must parse', () => {
    assert.deepEqual(
      issuesOf(replaceIn('audiences: [edgepass-api]', 'audiences: [edgepass-api]\n    clockSkew: 10m')),
      ['issuers[0].clockSkew: must be at most 5m'],
    );
    assert.match(
      issuesOf(replaceIn('timeout: 45s', 'timeout: 45 seconds'))[0] ?? '',
      /^routes\[0\]\.upstream\.timeout: expected a duration/,
    );
  });

  test('access_token routes need an issuer; anonymous routes cannot require scopes', () => {
    const noIssuers = VALID.replace(/issuers:[\s\S]*?routes:/, 'routes:');
    assert.deepEqual(issuesOf(noIssuers), ['routes[0].accept: accepts access_token but no issuers are configured']);
    assert.deepEqual(
      issuesOf(replaceIn('accept: [access_token, api_key]', 'accept: [anonymous]\n    require: { scopes: [a] }')),
      ['routes[0].require: a route that accepts anonymous callers cannot require scopes, roles or plans'],
    );
  });

  test('a passthrough route accepts anonymous only and requires nothing', () => {
    assert.deepEqual(
      issuesOf(
        replaceIn('accept: [access_token, api_key]', 'credentials: passthrough\n    accept: [access_token, api_key]'),
      ),
      [
        'routes[0].accept: a route with credentials: passthrough verifies no credential: it must accept [anonymous] only',
      ],
    );
    assert.deepEqual(
      issuesOf(
        replaceIn('accept: [access_token, api_key]', 'credentials: passthrough\n    accept: [anonymous, session]'),
      ),
      [
        'routes[0].accept: a route with credentials: passthrough verifies no credential: it must accept [anonymous] only',
      ],
    );
    assert.deepEqual(
      issuesOf(
        replaceIn(
          'accept: [access_token, api_key]',
          'credentials: passthrough\n    accept: [anonymous]\n    require: { roles: [admin] }',
        ),
      ),
      ['routes[0].require: a route with credentials: passthrough cannot require scopes, roles or plans'],
    );
    assert.match(
      issuesOf(replaceIn('accept: [access_token, api_key]', 'credentials: trust\n    accept: [anonymous]'))[0] ?? '',
      /^routes\[0\]\.credentials: Invalid option: expected one of "verify"\|"passthrough"/,
    );
  });

  test('trusted proxies are IP addresses or CIDR ranges; revalidateAfter is bounded', () => {
    const hint = 'expected an IPv4 or IPv6 address, or a CIDR range such as 10.0.0.0/8 or fd00::/8';
    assert.deepEqual(
      issuesOf(`${VALID}listen:\n  public: { trustedProxies: [10.0.0.0/8, lb.internal, 10.0.0.0/33, "fd00::/200"] }\n`),
      [1, 2, 3].map((i) => `listen.public.trustedProxies[${i}]: ${hint}`),
    );
    assert.deepEqual(issuesOf(`${VALID}credentials: { revalidateAfter: 100ms }\n`), [
      'credentials.revalidateAfter: must be at least 1s',
    ]);
    assert.deepEqual(issuesOf(`${VALID}credentials: { revalidateAfter: 2h }\n`), [
      'credentials.revalidateAfter: must be at most 1h',
    ]);
  });

  test('several problems are all reported', () => {
    const text = replaceIn('algorithms: [ES256, RS256]', 'algorithms: []').replace('limit: 100', 'limit: 0');
    assert.deepEqual(issuesOf(text), [
      'issuers[0].algorithms: list at least one algorithm (there is no default)',
      'routes[0].rateLimit.limit: Too small: expected number to be >=1',
    ]);
  });

  test('an unreadable file', async () => {
    await assert.rejects(loadConfigFile('/nonexistent/edgepass.yaml'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /^\/nonexistent\/edgepass\.yaml: invalid configuration\n {2}\(file\): cannot read the file \(ENOENT\)/,
      );
      return true;
    });
  });

  test('a file: the message starts with its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgepass-config-'));
    try {
      const file = join(dir, 'edgepass.yaml');
      writeFileSync(file, replaceIn('"http://127.0.0.1:7001"', '"bad"'));
      await assert.rejects(loadConfigFile(file, {}), {
        message: `${file}: invalid configuration\n  routes[0].upstream.targets[0]: Invalid URL`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('parseDuration', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration(1500), 1500);
  for (const bad of ['', '5', '1.5s', '-1s', '5 m', 'abc']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(parseDuration(-1), undefined);
  assert.equal(parseDuration(1.5), undefined);
});
