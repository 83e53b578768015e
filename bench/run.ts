// `npm run bench`: starts the upstream nginx and each target in turn on 127.0.0.1, checks it, warms it up,
// loads it with wrk (each run capped at 15 s), stops it; rounds are interleaved and the summary gives medians,
// rps ratios to the references, CPU per request, and edgepass's verdicts against docs/design.md.
// `npm run bench -- micro` runs the JWT micro benchmark instead. See docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, parseBenchArgs, USAGE, UsageError } from './lib/args.ts';
import { runChecks } from './lib/checks.ts';
import { benchKeys } from './lib/keys.ts';
import {
  freePort,
  hasCommand,
  machineTicks,
  processTreeTicks,
  ticksPerSecond,
  waitedChildrenTicks,
  waitForHttp,
} from './lib/proc.ts';
import {
  designVerdicts,
  fixedRateTable,
  type RunRow,
  type RunStatus,
  summarize,
  summaryTable,
  verdictTable,
} from './lib/stats.ts';
import {
  type BenchContext,
  DEFAULT_TARGETS,
  type LoopDelay,
  type StartedTarget,
  startNginx,
  TARGET_NAMES,
  TARGETS,
  type TargetDefinition,
} from './lib/targets.ts';
import { makeToken, type TokenAlg, type TokenKind } from './lib/tokens.ts';
import {
  type LoadResult,
  type LoadSpec,
  pacingLua,
  parseAutocannon,
  parseWrk,
  TOKEN_POOL_LUA,
  wrkArgs,
} from './lib/wrk.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const REFERENCES = ['direct', 'nginx-proxy', 'node-http-proxy'] as const;
const GATEWAY_ID = 'bench-gateway';
const SERVICE = 'bench-api';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'micro') return runMicro(argv.slice(1));
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv, TARGET_NAMES, DEFAULT_TARGETS);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (!hasCommand('nginx')) {
    console.error('bench: nginx is needed for the upstream: apt-get install -y nginx');
    return 1;
  }
  const useWrk = hasCommand('wrk');
  const peersInstalled = ensurePeers(options.targets);
  if (!useWrk)
    log('bench: wrk not found (apt-get install -y wrk): falling back to autocannon, numbers are not comparable');
  if (!useWrk && !peersInstalled) {
    console.error('bench: neither wrk nor the autocannon fallback (bench/peers) is available');
    return 1;
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const runDir = join(benchDir, '.run');
  const logDir = join(benchDir, 'logs');
  const outDir = join(logDir, 'runs', stamp);
  mkdirSync(outDir, { recursive: true });
  const keys = benchKeys(join(runDir, 'keys'), join(runDir, 'public'));
  const token = (alg: TokenAlg, kind: TokenKind) => makeToken(keys, { alg, kind });
  const loadToken = tokenSource(options, keys, outDir);

  const upstreamPort = await freePort();
  const partial = {
    benchDir,
    runDir,
    logDir,
    keys,
    upstreamPort,
    node: process.execPath,
    accessLog: options.accessLog,
    cpuProfDir: options.cpuProf ? join(outDir, 'cpuprofile') : undefined,
  };
  const upstream = startNginx({ ...partial, upstreamUrl: '', upstreamPid: 0 }, 'upstream', 'upstream.nginx.conf', {
    PORT: upstreamPort,
  });
  const ctx: BenchContext = { ...partial, upstreamUrl: `http://127.0.0.1:${upstreamPort}`, upstreamPid: upstream.pid };
  let current: StartedTarget | undefined;
  const stopAll = async () => {
    await current?.stop();
    await upstream.stop('SIGQUIT');
  };
  process.once('SIGINT', () => {
    void stopAll().finally(() => process.exit(130));
  });

  try {
    if (!(await waitForHttp(`${ctx.upstreamUrl}/`, 15_000, () => !upstream.exited()))) {
      console.error(`bench: the upstream nginx did not start (see ${logDir}/upstream.error.log)`);
      return 1;
    }
    const header = [
      `# ${new Date().toISOString()}  ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}`,
      `# targets: ${options.targets.join(' ')}  conns=${options.conns} secs=${options.secs} warmup=${options.warmup} rounds=${options.rounds} alg=${options.alg} tokens=${options.tokens} path=${options.path}${options.rates.length > 0 ? ` rates=${options.rates.join(',')}` : ''}`,
      `# load: ${useWrk ? 'wrk -t1' : 'autocannon'} on the same machine; node ${process.version}; ${versions()}`,
      `# code: ${gitState()}`,
    ].join('\n');
    log(header);
    writeFileSync(join(outDir, 'header.txt'), `${header}\n`);

    const rows: RunRow[] = [];
    const skipped = new Map<string, string>();
    for (const name of options.targets) {
      const def = TARGETS.find((t) => t.name === name);
      const reason = def?.unavailable({ peersInstalled });
      if (reason !== undefined) skipped.set(name, reason);
    }
    for (const [name, reason] of skipped) log(`bench: skipping ${name}: ${reason}`);

    const env: RunEnv = { options, ctx, outDir, token, loadToken, useWrk };
    // saturation: one series, wrk as fast as it can; fixed rate: one series per rate
    const series: Array<number | undefined> = options.rates.length > 0 ? options.rates : [undefined];
    for (const rate of series) {
      const paced = rate === undefined ? undefined : pacedScript(rate, options.conns, loadToken, outDir);
      for (let round = 1; round <= options.rounds; round++) {
        for (const name of options.targets) {
          const def = TARGETS.find((t) => t.name === name);
          if (def === undefined || skipped.has(name)) continue;
          const row = await runOne(def, round, { ...env, paced }, (t) => {
            current = t;
          });
          current = undefined;
          rows.push(row);
          const loop =
            row.loopMaxMs === undefined
              ? ''
              : `  loop p99/max ${fixedOrDash(row.loopP99Ms)}/${fixedOrDash(row.loopMaxMs)} ms  rss ${fixedOrDash(row.rssMb)} MB (V8 heap ${fixedOrDash(row.heapMb)}, external ${fixedOrDash(row.externalMb)})`;
          log(
            `[${round}/${options.rounds}]${rate === undefined ? '' : ` ${rate}/s`} ${name.padEnd(16)} ${row.rps.toFixed(0).padStart(7)} rps  p50 ${row.p50Ms.toFixed(2).padStart(6)} ms  p99 ${row.p99Ms.toFixed(2).padStart(7)} ms  cpu ${row.cpuUsPerReq.toFixed(1).padStart(6)} us/req  other load ${Number.isFinite(row.otherLoadPct) ? row.otherLoadPct.toFixed(0) : '-'}%${loop}  ${row.status}`,
          );
        }
      }
    }

    const lines: string[] = [];
    if (options.rates.length > 0) {
      for (const rate of options.rates) {
        lines.push(
          `# fixed rate: ${rate} requests/s asked over ${options.conns} connections, medians over ${options.rounds} round(s); added = target - direct within a round, median`,
          fixedRateTable(
            rows.filter((r) => r.rate === rate),
            'edgepass',
            options.conns,
          ),
          '',
        );
      }
    } else {
      lines.push(
        `# medians over ${options.rounds} round(s); ratios are medians of per-round ratios (same round)`,
        summaryTable(summarize(rows, REFERENCES), REFERENCES),
      );
    }
    for (const [name, reason] of skipped) lines.push(`# skipped ${name}: ${reason}`);
    if (options.rates.length === 0 && options.targets.includes('edgepass') && !skipped.has('edgepass')) {
      lines.push(
        '',
        '# edgepass against docs/design.md "Performance targets"',
        verdictTable(designVerdicts(rows, 'edgepass', options.conns)),
      );
    }
    const summary = lines.join('\n');
    console.log(summary);
    writeFileSync(join(outDir, 'summary.txt'), `${header}\n${summary}\n`);
    writeFileSync(
      join(outDir, 'results.json'),
      `${JSON.stringify({ options, rows, skipped: Object.fromEntries(skipped) }, null, 2)}\n`,
    );
    log(`# raw output: ${outDir}`);
    return rows.every((r) => r.status === 'ok') ? 0 : 1;
  } finally {
    await stopAll();
  }
}

interface RunEnv {
  options: BenchOptions;
  ctx: BenchContext;
  outDir: string;
  token(alg: TokenAlg, kind: TokenKind): string;
  loadToken: LoadSpec['token'];
  useWrk: boolean;
  /** fixed-rate series: the rate and its pacing script */
  paced?: LoadSpec['paced'];
}

const fixedOrDash = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toFixed(1) : '-');

/** Writes the Lua script of a fixed-rate series: the token pool's (when cycling tokens), then the pacing. */
function pacedScript(rate: number, conns: number, token: LoadSpec['token'], outDir: string): LoadSpec['paced'] {
  const script = join(outDir, `paced-${rate}.lua`);
  writeFileSync(script, `${typeof token === 'string' ? '' : TOKEN_POOL_LUA}${pacingLua(rate, conns)}`);
  return { rate, script };
}

async function runOne(
  def: TargetDefinition,
  round: number,
  env: RunEnv,
  track: (t: StartedTarget) => void,
): Promise<RunRow> {
  const { options, ctx, outDir } = env;
  let loop: LoopDelay | undefined;
  const runLabel = `${def.name}${env.paced === undefined ? '' : `.${env.paced.rate}rps`}.r${round}`;
  const row = (status: RunStatus, load?: LoadResult, cpu = Number.NaN, other = Number.NaN): RunRow => ({
    round,
    target: def.name,
    ...(env.paced === undefined ? {} : { rate: env.paced.rate }),
    ...(loop === undefined
      ? {}
      : {
          loopP99Ms: loop.p99Ms,
          loopMaxMs: loop.maxMs,
          rssMb: loop.rssMb,
          heapMb: loop.heapMb,
          externalMb: loop.externalMb,
        }),
    status,
    rps: load?.rps ?? 0,
    p50Ms: load?.p50Ms ?? Number.NaN,
    p99Ms: load?.p99Ms ?? Number.NaN,
    cpuUsPerReq: cpu,
    requests: load?.requests ?? 0,
    non2xx: load?.non2xx ?? 0,
    socketErrors: load?.socketErrors ?? 0,
    otherLoadPct: other,
  });
  const port = def.name === 'direct' ? ctx.upstreamPort : await freePort();
  const adminPort = await freePort();
  let started: StartedTarget;
  try {
    started = def.start(ctx, port, adminPort);
  } catch (error) {
    log(`[${round}] ${def.name}: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return row('START_FAIL');
  }
  track(started);
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    if (!(await waitForHttp(`${baseUrl}/`, def.readyTimeoutMs ?? 15_000, started.alive))) {
      log(`[${round}] ${def.name}: did not answer on ${baseUrl} (see ${ctx.logDir}/${def.name}.log)`);
      return row('NOT_READY');
    }
    if (!options.skipChecks) {
      const report = await runChecks({
        baseUrl,
        path: options.path,
        alg: options.alg,
        token: env.token,
        auth: def.auth,
        passport: started.adminUrl
          ? { jwksUrl: `${started.adminUrl}/.well-known/passport-jwks.json`, issuer: GATEWAY_ID, audience: SERVICE }
          : undefined,
      });
      writeFileSync(join(outDir, `${runLabel}.checks`), `${report.lines.join('\n')}\n`);
      if (!report.ok) {
        log(
          `[${round}] ${def.name}: checks FAILED:\n${report.lines
            .filter((l) => l.startsWith('FAIL'))
            .map((l) => `    ${l}`)
            .join('\n')}`,
        );
        return row('CHECK_FAIL');
      }
    }
    const spec = (secs: number, latency: boolean): LoadSpec => ({
      url: `${baseUrl}${options.path}`,
      conns: options.conns,
      secs,
      token: env.loadToken,
      latency,
      paced: env.paced,
    });
    runLoad(spec(options.warmup, false), env.useWrk);
    await started.loopDelay?.(); // restarts the target's event-loop delay histogram
    // CPU ticks of: the target, the upstream (when it is not the target), the load generator, the machine
    const upstreamShared = started.pid !== ctx.upstreamPid;
    const before = { t: processTreeTicks(started.pid), u: upstreamShared ? processTreeTicks(ctx.upstreamPid) : 0 };
    const l0 = waitedChildrenTicks();
    const m0 = machineTicks();
    const { load, raw } = runLoad(spec(options.secs, true), env.useWrk);
    const m1 = machineTicks();
    const l1 = waitedChildrenTicks();
    const after = { t: processTreeTicks(started.pid), u: upstreamShared ? processTreeTicks(ctx.upstreamPid) : 0 };
    loop = await started.loopDelay?.();
    writeFileSync(join(outDir, `${runLabel}.${env.useWrk ? 'wrk.txt' : 'autocannon.json'}`), raw);
    if (load === undefined) return row('NO_RESULT');
    const targetTicks = after.t - before.t;
    const cpu = load.requests > 0 ? ((targetTicks / ticksPerSecond()) * 1e6) / load.requests : Number.NaN;
    const total = m1.total - m0.total;
    const busy = m1.busy - m0.busy;
    // what everything else on the machine used meanwhile, in % of all its cores
    const other =
      total > 0 ? (Math.max(0, busy - targetTicks - (after.u - before.u) - (l1 - l0)) / total) * 100 : Number.NaN;
    return row(load.non2xx > 0 ? 'NON_2XX' : load.rps > 0 ? 'ok' : 'NO_RESULT', load, cpu, other);
  } finally {
    await started.stop();
  }
}

/** Runs one load (blocking: nothing else of ours runs meanwhile); the report is parsed when it has one. */
function runLoad(spec: LoadSpec, useWrk: boolean): { load: LoadResult | undefined; raw: string } {
  const timeout = (spec.secs + 10) * 1000;
  if (useWrk) {
    const r = spawnSync('wrk', wrkArgs(spec), { encoding: 'utf8', timeout });
    const raw = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    try {
      return { load: parseWrk(raw), raw };
    } catch {
      return { load: undefined, raw };
    }
  }
  const token = typeof spec.token === 'string' ? spec.token : firstLine(spec.token.file);
  const cli = join(benchDir, 'peers', 'node_modules', 'autocannon', 'autocannon.js');
  const args = [
    cli,
    '-c',
    String(spec.conns),
    '-d',
    String(spec.secs),
    '-j',
    ...(spec.paced === undefined ? [] : ['-R', String(spec.paced.rate)]),
    '-H',
    `authorization=Bearer ${token}`,
    spec.url,
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout });
  try {
    return { load: parseAutocannon(r.stdout), raw: r.stdout };
  } catch {
    return { load: undefined, raw: `${r.stdout}${r.stderr}` };
  }
}

function firstLine(file: string): string {
  return readFileSync(file, 'utf8').split('\n')[0] ?? '';
}

/** The bearer token(s) of the load: one token, or a file of N distinct ones cycled by a wrk Lua script. */
function tokenSource(options: BenchOptions, keys: ReturnType<typeof benchKeys>, outDir: string): LoadSpec['token'] {
  if (options.tokens === 1) return makeToken(keys, { alg: options.alg });
  const file = join(outDir, 'tokens.txt');
  const tokens = Array.from({ length: options.tokens }, (_, i) =>
    makeToken(keys, { alg: options.alg, sub: `user-123-${i}` }),
  );
  writeFileSync(file, `${tokens.join('\n')}\n`);
  const script = join(outDir, 'tokens.lua');
  writeFileSync(script, TOKEN_POOL_LUA);
  return { file, script };
}

/** Installs bench/peers (npm ci) on first use when a selected target or the load fallback needs it. */
function ensurePeers(targets: readonly string[]): boolean {
  const peersDir = join(benchDir, 'peers');
  if (existsSync(join(peersDir, 'node_modules', '.package-lock.json'))) return true;
  const needed = targets.some((t) => TARGETS.find((d) => d.name === t)?.peers) || !hasCommand('wrk');
  if (!needed) return false;
  log('bench: installing the peer packages (npm ci --prefix bench/peers) ...');
  const r = spawnSync('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return r.status === 0;
}

/** The commit measured, and whether the working tree differed from it. */
function gitState(): string {
  const git = (args: string[]) => spawnSync('git', args, { cwd: benchDir, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'not a git checkout';
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', '../packages', '.']).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes in packages/ or bench/' : ''}`;
}

function versions(): string {
  const first = (cmd: string, args: string[]) => {
    try {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() ?? '';
    } catch {
      return '';
    }
  };
  const parts = [first('nginx', ['-v']).replace(/^nginx version: /, '')];
  if (hasCommand('haproxy')) parts.push(first('haproxy', ['-v']).split(' ').slice(0, 3).join(' '));
  if (hasCommand('wrk')) parts.push(first('wrk', ['-v']).split(' ').slice(0, 2).join(' '));
  return parts.filter(Boolean).join('; ');
}

/** `npm run bench -- micro`: bench/micro.ts on one core (taskset when available). */
function runMicro(args: string[]): number {
  const script = join(benchDir, 'micro.ts');
  const cpu = process.env.MICRO_CPU ?? '0';
  const command = hasCommand('taskset') ? 'taskset' : process.execPath;
  const argv = hasCommand('taskset') ? ['-c', cpu, process.execPath, script, ...args] : [script, ...args];
  if (command === process.execPath)
    log('bench: taskset not found (util-linux): the micro benchmark is not pinned to one core');
  const r = spawnSync(command, argv, { stdio: 'inherit' });
  return r.status ?? 1;
}

process.exitCode = await main(process.argv.slice(2));
