// The summary maths: medians over interleaved rounds, rps ratios taken within a round, spread, and the
// verdicts against docs/design.md "Performance targets". Pure functions (the harness smoke test runs them).

export type RunStatus = 'ok' | 'CHECK_FAIL' | 'NOT_READY' | 'NON_2XX' | 'NO_RESULT' | 'START_FAIL';

/** One load run of one target in one round. */
export interface RunRow {
  round: number;
  target: string;
  status: RunStatus;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time (user+sys, all threads and direct children) of the target per request, µs; NaN if unknown. */
  cpuUsPerReq: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /**
   * CPU used during the run by everything but the target, the upstream and the load generator, in % of all
   * the machine's cores (other work competing for the CPU: the lower, the more meaningful the rps); NaN if unknown.
   */
  otherLoadPct: number;
  /** fixed-rate runs: the request rate wrk was asked for (requests per second over all connections) */
  rate?: number;
  /** event-loop delay of the target during the measured run (edgepass only), ms */
  loopP99Ms?: number;
  loopMaxMs?: number;
  /** resident set size of the target at the end of the measured run (edgepass only), MB; of which V8's heap in
   *  use and the memory V8 accounts as external (PGlite's WebAssembly memory, buffers) */
  rssMb?: number;
  heapMb?: number;
  externalMb?: number;
}

export function median(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const m = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

/** (max − min) / median, as a fraction; NaN with fewer than two values. */
export function spread(values: readonly number[]): number {
  const xs = values.filter(Number.isFinite);
  if (xs.length < 2) return Number.NaN;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

/** Median over rounds of (target rps / reference rps) within the same round; NaN when never both ok. */
export function ratio(rows: readonly RunRow[], target: string, reference: string): number {
  return median(pairedByRound(rows, target, reference).map(([t, r]) => t.rps / r.rps));
}

/**
 * Median over rounds of (reference CPU per request / target CPU per request) within the same round: how many
 * times more requests the target serves per core-second. Much less sensitive than rps to other load on the
 * machine (a shared 2-core box: wrk, the upstream and everyone else compete with the target for CPU).
 */
export function cpuRatio(rows: readonly RunRow[], target: string, reference: string): number {
  return median(
    pairedByRound(rows, target, reference)
      .filter(([t, r]) => t.cpuUsPerReq > 0 && r.cpuUsPerReq > 0)
      .map(([t, r]) => r.cpuUsPerReq / t.cpuUsPerReq),
  );
}

function pairedByRound(rows: readonly RunRow[], target: string, reference: string): Array<[RunRow, RunRow]> {
  const ok = (name: string) =>
    new Map(rows.filter((r) => r.target === name && r.status === 'ok').map((r) => [r.round, r]));
  const t = ok(target);
  const ref = ok(reference);
  const pairs: Array<[RunRow, RunRow]> = [];
  for (const [round, row] of t) {
    const r = ref.get(round);
    if (r !== undefined && r.rps > 0) pairs.push([row, r]);
  }
  return pairs;
}

export interface TargetSummary {
  target: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** reference name → median per-round rps ratio */
  ratios: Record<string, number>;
  spread: number;
  cpuUsPerReq: number;
  socketErrors: number;
  /** median of the rounds' otherLoadPct */
  otherLoadPct: number;
  /** medians of the rounds' event-loop delay p99 and max (NaN when not measured) */
  loopP99Ms: number;
  loopMaxMs: number;
  rssMb: number;
  okRounds: number;
  rounds: number;
  /** 'ok' or the distinct failure statuses */
  status: string;
}

export function summarize(rows: readonly RunRow[], references: readonly string[]): TargetSummary[] {
  const order = [...new Set(rows.map((r) => r.target))];
  return order.map((target) => {
    const all = rows.filter((r) => r.target === target);
    const ok = all.filter((r) => r.status === 'ok');
    const failures = [...new Set(all.filter((r) => r.status !== 'ok').map((r) => r.status))];
    return {
      target,
      rps: median(ok.map((r) => r.rps)),
      p50Ms: median(ok.map((r) => r.p50Ms)),
      p99Ms: median(ok.map((r) => r.p99Ms)),
      ratios: Object.fromEntries(references.map((ref) => [ref, ratio(rows, target, ref)])),
      spread: spread(ok.map((r) => r.rps)),
      cpuUsPerReq: median(ok.map((r) => r.cpuUsPerReq)),
      socketErrors: ok.reduce((a, r) => a + r.socketErrors, 0),
      otherLoadPct: median(ok.map((r) => r.otherLoadPct)),
      loopP99Ms: median(ok.map((r) => r.loopP99Ms ?? Number.NaN)),
      loopMaxMs: median(ok.map((r) => r.loopMaxMs ?? Number.NaN)),
      rssMb: median(ok.map((r) => r.rssMb ?? Number.NaN)),
      okRounds: ok.length,
      rounds: all.length,
      status: failures.length > 0 ? failures.join(',') : 'ok',
    };
  });
}

export interface Verdict {
  label: string;
  /** measured value (ratio, or ms for the latency target); NaN when not measurable in this run */
  value: number;
  goal: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
  note?: string;
}

/** docs/design.md "Performance targets": edgepass (access token + passport + proxy) against the references. */
export const DESIGN_TARGETS: ReadonlyArray<{ reference: string; min: number }> = [
  { reference: 'node-http-proxy', min: 0.9 },
  { reference: 'fastify-stack', min: 2.5 },
  { reference: 'fast-gateway', min: 1.5 },
  { reference: 'haproxy-jwt', min: 0.6 },
];
export const ADDED_P99_LIMIT_MS = 1;
export const ADDED_P99_CONNS = 64;

export function designVerdicts(rows: readonly RunRow[], subject: string, conns: number): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const { reference, min } of DESIGN_TARGETS) {
    for (const [metric, value] of [
      ['rps', ratio(rows, subject, reference)],
      ['cpu/req', cpuRatio(rows, subject, reference)],
    ] as const) {
      const label = `${subject} / ${reference} ${metric}`;
      if (!Number.isFinite(value)) {
        verdicts.push({
          label,
          value,
          goal: `>= ${min}`,
          verdict: 'n/a',
          note: `no round with both ${subject} and ${reference} ok`,
        });
      } else {
        verdicts.push({ label, value, goal: `>= ${min}`, verdict: value >= min ? 'PASS' : 'MISS' });
      }
    }
  }
  const added = addedLatency(rows, subject, 'p99Ms');
  const label = `${subject} p99 - direct p99 (ms)`;
  const goal = `< ${ADDED_P99_LIMIT_MS} at ${ADDED_P99_CONNS} conns`;
  if (!Number.isFinite(added)) {
    verdicts.push({ label, value: added, goal, verdict: 'n/a', note: `no round with both ${subject} and direct ok` });
  } else if (conns !== ADDED_P99_CONNS) {
    verdicts.push({ label, value: added, goal, verdict: 'n/a', note: `measured at ${conns} conns` });
  } else {
    verdicts.push({ label, value: added, goal, verdict: added < ADDED_P99_LIMIT_MS ? 'PASS' : 'MISS' });
  }
  return verdicts;
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const percent = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)}%` : '-');

/** Median over rounds of (target − direct) latency within the same round, ms. */
export function addedLatency(rows: readonly RunRow[], target: string, percentile: 'p50Ms' | 'p99Ms'): number {
  return median(pairedByRound(rows, target, 'direct').map(([t, d]) => t[percentile] - d[percentile]));
}

/**
 * Fixed-rate runs (every row at one `rate`, no target saturated): each target's latency and what it adds over
 * direct; `subject` is judged against docs/design.md's "added p99 < 1 ms at 64 connections".
 */
export function fixedRateTable(rows: readonly RunRow[], subject: string, conns: number): string {
  const targets = [...new Set(rows.map((r) => r.target))];
  const body = targets.map((target) => {
    const ok = rows.filter((r) => r.target === target && r.status === 'ok');
    const added = addedLatency(rows, target, 'p99Ms');
    let verdict = '';
    if (target === subject) {
      if (!Number.isFinite(added)) verdict = 'n/a';
      else if (conns !== ADDED_P99_CONNS) verdict = `n/a (measured at ${conns} conns)`;
      else verdict = added < ADDED_P99_LIMIT_MS ? 'PASS' : 'MISS';
    }
    return [
      target,
      fixed(median(ok.map((r) => r.rps)), 0),
      fixed(median(ok.map((r) => r.p50Ms)), 2),
      fixed(median(ok.map((r) => r.p99Ms)), 2),
      target === 'direct' ? '-' : fixed(addedLatency(rows, target, 'p50Ms'), 2),
      target === 'direct' ? '-' : fixed(added, 2),
      fixed(median(ok.map((r) => r.cpuUsPerReq)), 1),
      percent(median(ok.map((r) => r.otherLoadPct))),
      `${ok.length}/${rows.filter((r) => r.target === target).length}`,
      target === subject ? `< ${ADDED_P99_LIMIT_MS} ms` : '',
      verdict,
    ];
  });
  return formatTable(
    [
      'target',
      'rps',
      'p50 ms',
      'p99 ms',
      'added p50',
      'added p99',
      'cpu us/req',
      'other load',
      'ok rounds',
      'goal',
      'verdict',
    ],
    body,
  );
}

/** Left-aligns the first column, right-aligns the others. */
export function formatTable(header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
    .join('\n');
}

export function summaryTable(summaries: readonly TargetSummary[], references: readonly string[]): string {
  const header = [
    'target',
    'rps',
    'p50 ms',
    'p99 ms',
    ...references.map((r) => `vs ${r}`),
    'rps spread',
    'cpu us/req',
    'sock err',
    'other load',
    'loop p99/max ms',
    'rss MB',
    'ok rounds',
    'status',
  ];
  const body = summaries.map((s) => [
    s.target,
    fixed(s.rps, 0),
    fixed(s.p50Ms, 2),
    fixed(s.p99Ms, 2),
    ...references.map((r) => fixed(s.ratios[r], 3)),
    Number.isFinite(s.spread) ? `${(s.spread * 100).toFixed(1)}%` : '-',
    fixed(s.cpuUsPerReq, 1),
    String(s.socketErrors),
    percent(s.otherLoadPct),
    Number.isFinite(s.loopMaxMs) ? `${fixed(s.loopP99Ms, 1)}/${fixed(s.loopMaxMs, 1)}` : '-',
    fixed(s.rssMb, 0),
    `${s.okRounds}/${s.rounds}`,
    s.status,
  ]);
  return formatTable(header, body);
}

/** rps rows compare throughput in the run; cpu/req rows compare CPU cost per request (reference / subject). */
export function verdictTable(verdicts: readonly Verdict[]): string {
  return formatTable(
    ['design target', 'measured', 'goal', 'verdict'],
    verdicts.map((v) => [
      v.label,
      fixed(v.value, v.label.includes('ms') ? 2 : 3),
      v.goal,
      v.verdict + (v.note ? ` (${v.note})` : ''),
    ]),
  );
}
