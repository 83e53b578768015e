// Smoke test of the benchmark harness (CI runs this, not the load benchmark): the wrk/autocannon parsers on
// recorded output, the summary maths and design-target verdicts on fixed rows, the command line, the bench
// tokens. No server, no load.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { MAX_SECS, parseBenchArgs, UsageError } from './lib/args.ts';
import { benchKeys } from './lib/keys.ts';
import {
  addedLatency,
  cpuRatio,
  designVerdicts,
  fixedRateTable,
  median,
  type RunRow,
  ratio,
  spread,
  summarize,
  summaryTable,
  verdictTable,
} from './lib/stats.ts';
import { DEFAULT_TARGETS, TARGET_NAMES } from './lib/targets.ts';
import { AUDIENCE, ISSUER, makeToken, TOKEN_KINDS } from './lib/tokens.ts';
import { durationMs, pacingLua, parseAutocannon, parseWrk, TOKEN_POOL_LUA, wrkArgs } from './lib/wrk.ts';

const testdata = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('load report parsing', () => {
  test('wrk --latency report of a clean run', () => {
    assert.deepEqual(parseWrk(testdata('wrk-direct.txt')), {
      rps: 72819.61,
      p50Ms: 0.623,
      p99Ms: 5.84,
      requests: 219746,
      non2xx: 0,
      socketErrors: 0,
    });
  });

  test('wrk report with non-2xx responses and socket errors', () => {
    const r = parseWrk(testdata('wrk-errors.txt'));
    assert.equal(r.non2xx, 22084);
    assert.equal(r.socketErrors, 1352);
    assert.equal(r.requests, 66251);
    assert.equal(r.p99Ms, 3.94);
  });

  test('wrk failing to run is not a result', () => {
    assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /not a wrk report/);
  });

  test('durations in wrk units', () => {
    assert.ok(Math.abs(durationMs('586.91us') - 0.58691) < 1e-12);
    assert.equal(durationMs('1.13ms'), 1.13);
    assert.equal(durationMs('2.5s'), 2500);
    assert.equal(durationMs('1.00m'), 60_000);
    assert.ok(Number.isNaN(durationMs('fast')));
  });

  test('autocannon --json report (the fallback when wrk is missing)', () => {
    const r = parseAutocannon(testdata('autocannon.json'));
    assert.equal(r.requests, 51190);
    assert.equal(r.non2xx, 0);
    assert.ok(r.rps > 0);
  });

  const WRK_64 = ['-t1', '-c64', '-d10s', '--timeout', '5s', '--latency'];

  test('wrk arguments for one token and for a token pool', () => {
    const one = wrkArgs({ url: 'http://127.0.0.1:1/p', conns: 64, secs: 10, token: 'T', latency: true });
    assert.deepEqual(one, [...WRK_64, '-H', 'Authorization: Bearer T', 'http://127.0.0.1:1/p']);
    const pool = wrkArgs({ url: 'u', conns: 8, secs: 2, token: { file: 'f', script: 's.lua' }, latency: false });
    assert.deepEqual(pool, ['-t1', '-c8', '-d2s', '--timeout', '5s', '-s', 's.lua', 'u', '--', 'f']);
  });

  test('fixed rate: the pacing script replaces the pool script (it contains it) and keeps -H for one token', () => {
    const paced = { rate: 2000, script: 'p.lua' };
    assert.deepEqual(wrkArgs({ url: 'u', conns: 64, secs: 10, token: 'T', latency: true, paced }), [
      ...WRK_64,
      '-H',
      'Authorization: Bearer T',
      '-s',
      'p.lua',
      'u',
    ]);
    const pool = { file: 'f', script: 's.lua' };
    assert.deepEqual(wrkArgs({ url: 'u', conns: 64, secs: 10, token: pool, latency: false, paced }).slice(-5), [
      '-s',
      'p.lua',
      'u',
      '--',
      'f',
    ]);
    // 64 connections at 2000/s: each waits 32 ms on average, uniformly 0..64 ms
    assert.match(pacingLua(2000, 64), /local spread = 64\n/);
    assert.match(pacingLua(5000, 64), /local spread = 26\n/);
    assert.match(pacingLua(1_000_000, 1), /local spread = 1\n/, 'at least 1 ms');
    assert.match(`${TOKEN_POOL_LUA}${pacingLua(2000, 64)}`, /request = function[\s\S]*delay = function/);
  });
});

function row(round: number, target: string, rps: number, p99Ms: number, extra: Partial<RunRow> = {}): RunRow {
  return {
    round,
    target,
    status: 'ok',
    rps,
    p50Ms: p99Ms / 2,
    p99Ms,
    cpuUsPerReq: 1e6 / rps,
    requests: rps * 10,
    non2xx: 0,
    socketErrors: 0,
    otherLoadPct: round === 2 ? 40 : 5,
    ...extra,
  };
}

// three interleaved rounds; round 2 is noisy for everybody (the machine was busy)
const ROWS: RunRow[] = [
  row(1, 'direct', 100_000, 1.0),
  row(1, 'node-http-proxy', 10_000, 10.0),
  row(1, 'fastify-stack', 4_000, 25.0),
  row(1, 'fast-gateway', 8_000, 18.0),
  row(1, 'haproxy-jwt', 18_000, 6.0),
  row(1, 'edgepass', 11_000, 1.5),
  row(2, 'direct', 50_000, 2.0),
  row(2, 'node-http-proxy', 5_000, 20.0),
  row(2, 'fastify-stack', 2_000, 50.0),
  row(2, 'fast-gateway', 4_000, 36.0),
  row(2, 'haproxy-jwt', 0, Number.NaN, { status: 'CHECK_FAIL' }),
  row(2, 'edgepass', 5_000, 3.5),
  row(3, 'direct', 110_000, 0.9),
  row(3, 'node-http-proxy', 11_000, 9.0),
  row(3, 'fastify-stack', 4_200, 24.0),
  row(3, 'fast-gateway', 9_000, 17.0),
  row(3, 'haproxy-jwt', 20_000, 5.5),
  row(3, 'edgepass', 12_100, 1.6),
];

describe('summary maths', () => {
  test('median and spread', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([Number.NaN])));
    assert.equal(spread([90, 100, 110]), 0.2);
    assert.ok(Number.isNaN(spread([1])));
  });

  test('ratios are taken within a round, then the median over rounds', () => {
    // per round: 1.1, 1.0, 1.1 → 1.1 (a ratio of medians would be 11000/10000 = 1.1 too, but not in general)
    assert.equal(ratio(ROWS, 'edgepass', 'node-http-proxy'), 1.1);
    // haproxy failed its checks in round 2: only rounds 1 and 3 count
    assert.equal(ratio(ROWS, 'edgepass', 'haproxy-jwt'), (11_000 / 18_000 + 12_100 / 20_000) / 2);
    assert.ok(Number.isNaN(ratio(ROWS, 'edgepass', 'nginx-proxy')));
  });

  test('summaries: medians of ok rounds, failed rounds counted and named', () => {
    const [direct, , , , haproxy] = summarize(ROWS, ['direct', 'node-http-proxy']);
    assert.equal(direct.target, 'direct');
    assert.equal(direct.rps, 100_000);
    assert.equal(direct.ratios.direct, 1);
    assert.equal(haproxy.okRounds, 2);
    assert.equal(haproxy.rounds, 3);
    assert.equal(haproxy.status, 'CHECK_FAIL');
    assert.equal(haproxy.rps, 19_000);
    assert.equal(haproxy.otherLoadPct, 5, 'median of the ok rounds only');
    const table = summaryTable(summarize(ROWS, ['direct']), ['direct']);
    assert.match(table.split('\n')[0] ?? '', /^target\s+rps\s+p50 ms\s+p99 ms\s+vs direct/);
    assert.match(table, /\nedgepass\s+11000\s/);
  });

  test('design-target verdicts, honestly PASS or MISS', () => {
    const verdicts = designVerdicts(ROWS, 'edgepass', 64);
    const byLabel = Object.fromEntries(verdicts.map((v) => [v.label, v]));
    assert.equal(byLabel['edgepass / node-http-proxy rps']?.verdict, 'PASS'); // 1.1 >= 0.9
    // the fixture's CPU per request is 1e6/rps, so the CPU ratios equal the rps ratios here
    const cpu = byLabel['edgepass / node-http-proxy cpu/req']?.value ?? 0;
    assert.ok(Math.abs(cpu - 1.1) < 1e-9);
    assert.equal(byLabel['edgepass / fastify-stack rps']?.verdict, 'PASS'); // 2.75, 2.5, 2.88 → 2.75
    assert.equal(byLabel['edgepass / fast-gateway rps']?.verdict, 'MISS'); // 1.375, 1.25, 1.34 → 1.34 < 1.5
    assert.equal(byLabel['edgepass / haproxy-jwt rps']?.verdict, 'PASS'); // ~0.61
    const p99 = byLabel['edgepass p99 - direct p99 (ms)'];
    assert.equal(p99?.verdict, 'PASS'); // per round 0.5, 1.5, 0.7 ms → median 0.7 < 1
    const slow = ROWS.map((r) => (r.target === 'edgepass' ? { ...r, p99Ms: r.p99Ms + 1 } : r));
    assert.equal(designVerdicts(slow, 'edgepass', 64).at(-1)?.verdict, 'MISS'); // 1.7 ms
  });

  test('the p99 target is only judged at 64 connections', () => {
    const at64 = designVerdicts(ROWS, 'edgepass', 64).at(-1);
    const at128 = designVerdicts(ROWS, 'edgepass', 128).at(-1);
    assert.equal(at128?.verdict, 'n/a');
    assert.match(at128?.note ?? '', /128 conns/);
    assert.ok(Math.abs((at64?.value ?? 0) - 0.7) < 1e-9);
    assert.match(
      verdictTable(designVerdicts(ROWS, 'edgepass', 64)),
      /edgepass \/ fast-gateway rps\s+1\.3\d+\s+>= 1\.5\s+MISS/,
    );
  });

  test("CPU-cost ratios: reference CPU per request over the subject's, within a round", () => {
    const rows = [
      row(1, 'node-http-proxy', 10_000, 10, { cpuUsPerReq: 50 }),
      row(1, 'edgepass', 9_000, 10, { cpuUsPerReq: 40 }),
      row(2, 'node-http-proxy', 5_000, 10, { cpuUsPerReq: 60 }),
      row(2, 'edgepass', 6_000, 10, { cpuUsPerReq: 40 }),
    ];
    assert.equal(cpuRatio(rows, 'edgepass', 'node-http-proxy'), (50 / 40 + 60 / 40) / 2);
    const unknown = rows.map((r) => ({ ...r, cpuUsPerReq: Number.NaN }));
    assert.ok(Number.isNaN(cpuRatio(unknown, 'edgepass', 'node-http-proxy')));
  });

  test('a reference that never ran gives n/a, not a verdict', () => {
    const only = ROWS.filter((r) => r.target !== 'fastify-stack');
    const v = designVerdicts(only, 'edgepass', 64).find((x) => x.label.includes('fastify-stack'));
    assert.equal(v?.verdict, 'n/a');
  });
});

describe('fixed-rate runs', () => {
  const at = (round: number, target: string, p50Ms: number, p99Ms: number): RunRow => ({
    ...row(round, target, 2000, p99Ms, { p50Ms }),
    rate: 2000,
  });
  const rows = [
    at(1, 'direct', 0.2, 0.5),
    at(1, 'node-http-proxy', 0.4, 1.2),
    at(1, 'edgepass', 0.35, 0.9),
    at(2, 'direct', 0.3, 0.8),
    at(2, 'node-http-proxy', 0.5, 2.0),
    at(2, 'edgepass', 0.45, 1.6),
    at(3, 'direct', 0.2, 0.6),
    at(3, 'node-http-proxy', 0.4, 1.1),
    at(3, 'edgepass', 0.3, 1.0),
  ];

  test('added latency is the median of per-round differences to direct', () => {
    // p99 per round: 0.4, 0.8, 0.4 → 0.4 (not a difference of medians: 1.0 - 0.6)
    assert.ok(Math.abs(addedLatency(rows, 'edgepass', 'p99Ms') - 0.4) < 1e-9);
    assert.ok(Math.abs(addedLatency(rows, 'edgepass', 'p50Ms') - 0.15) < 1e-9);
  });

  test('the table judges edgepass against < 1 ms added p99 at 64 connections, PASS or MISS as measured', () => {
    const table = fixedRateTable(rows, 'edgepass', 64);
    assert.match(table.split('\n')[0] ?? '', /^target\s+rps\s+p50 ms\s+p99 ms\s+added p50\s+added p99/);
    assert.match(table, /\nedgepass\s.*\s0\.40\s.*< 1 ms\s+PASS$/m);
    assert.match(table, /\nnode-http-proxy\s.*\s0\.70\s/);
    const slow = rows.map((r) => (r.target === 'edgepass' ? { ...r, p99Ms: r.p99Ms + 1 } : r));
    assert.match(fixedRateTable(slow, 'edgepass', 64), /\s1\.40\s.*MISS$/m);
    assert.match(fixedRateTable(rows, 'edgepass', 32), /n\/a \(measured at 32 conns\)/);
  });
});

describe('command line', () => {
  test('defaults: every target but the extras, direct first, 64 conns, 10 s', () => {
    const o = parseBenchArgs([], TARGET_NAMES, DEFAULT_TARGETS);
    assert.equal(o.targets[0], 'direct');
    assert.deepEqual(new Set(o.targets), new Set(DEFAULT_TARGETS));
    for (const required of [
      'nginx-proxy',
      'node-http-proxy',
      'fastify-stack',
      'fast-gateway',
      'haproxy-jwt',
      'edgepass',
    ]) {
      assert.ok(o.targets.includes(required), required);
    }
    assert.ok(!o.targets.includes('undici-request-proxy'), 'extras only with --only');
    assert.ok(
      parseBenchArgs(['--only', 'undici-request-proxy'], TARGET_NAMES, DEFAULT_TARGETS).targets.includes(
        'undici-request-proxy',
      ),
    );
    assert.deepEqual([o.conns, o.secs, o.warmup, o.rounds, o.tokens, o.alg], [64, 10, 2, 1, 1, 'RS256']);
  });

  test('--only adds direct unless --no-direct; unknown targets and long runs are refused', () => {
    assert.deepEqual(parseBenchArgs(['--only', 'edgepass,haproxy-jwt'], TARGET_NAMES).targets, [
      'direct',
      'edgepass',
      'haproxy-jwt',
    ]);
    assert.deepEqual(parseBenchArgs(['--only', 'edgepass', '--no-direct'], TARGET_NAMES).targets, ['edgepass']);
    assert.throws(() => parseBenchArgs(['--only', 'envoy'], TARGET_NAMES), UsageError);
    assert.throws(() => parseBenchArgs(['--secs', String(MAX_SECS + 1)], TARGET_NAMES), /capped/);
    assert.throws(() => parseBenchArgs(['--rounds', '0'], TARGET_NAMES), /positive integer/);
    assert.throws(() => parseBenchArgs(['--alg', 'HS256'], TARGET_NAMES), /RS256 or ES256/);
  });

  test('--rate: one fixed-rate series per rate, on direct, node-http-proxy and edgepass unless --only', () => {
    const o = parseBenchArgs(['--rate', '2000,5000'], TARGET_NAMES, DEFAULT_TARGETS);
    assert.deepEqual(o.rates, [2000, 5000]);
    assert.deepEqual(o.targets, ['direct', 'node-http-proxy', 'edgepass']);
    assert.deepEqual(parseBenchArgs(['--rate', '100', '--only', 'haproxy-jwt'], TARGET_NAMES).targets, [
      'direct',
      'haproxy-jwt',
    ]);
    assert.deepEqual(parseBenchArgs([], TARGET_NAMES).rates, []);
    assert.throws(() => parseBenchArgs(['--rate', '2000,x'], TARGET_NAMES), /positive integer/);
  });
});

describe('bench tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-bench-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const keys = benchKeys(join(dir, 'keys'), join(dir, 'public'));

  test('private keys stay private, the JWKS is readable', () => {
    assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'public', 'jwks.json')).mode & 0o777, 0o644);
    assert.deepEqual(
      keys.jwks.keys.map((k) => k.kid),
      ['rs-1', 'es-1'],
    );
  });

  test('valid tokens verify against the JWKS; every negative kind is refused by a strict verifier', async () => {
    const jwks = createLocalJWKSet(keys.jwks as JSONWebKeySet);
    const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256', 'ES256'], requiredClaims: ['exp'] };
    for (const alg of ['RS256', 'ES256'] as const) {
      const { payload } = await jwtVerify(makeToken(keys, { alg }), jwks, options);
      assert.equal(payload.sub, 'user-123');
    }
    for (const kind of TOKEN_KINDS.filter((k) => k !== 'valid')) {
      await assert.rejects(jwtVerify(makeToken(keys, { kind }), jwks, options), `${kind} must be refused`);
    }
  });
});
