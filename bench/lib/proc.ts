// Processes of the benchmark: starting servers with their output in a log file, stopping them, and the CPU
// accounting read from /proc (a process's utime+stime covers all its threads; direct children are added so
// that nginx's worker counts for its master).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface Running {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves once the process exited (SIGTERM, then SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  exited(): boolean;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Running {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let done = false;
  const exit = once(child, 'exit').then(() => {
    done = true;
  });
  child.on('error', () => {
    done = true;
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  return {
    pid,
    child,
    exited: () => done,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (done) return;
      child.kill(signal);
      const killed = await Promise.race([exit.then(() => true), delay(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `url` answers HTTP at all (any status). false after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return true;
    } catch {
      await delay(100);
    }
  }
  return false;
}

let clockTicks: number | undefined;
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime+stime (clock ticks) and parent pid of a process; undefined when it is gone. */
function statOf(pid: number): { ticks: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name: state ppid ... utime(12) stime(13)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** CPU ticks used so far by `pid` and its direct children. */
export function processTreeTicks(pid: number): number {
  let sum = statOf(pid)?.ticks ?? 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statOf(Number(entry));
    if (s !== undefined && s.ppid === pid) sum += s.ticks;
  }
  return sum;
}

/** Whole-machine CPU ticks, all cores: total and busy (total minus idle and iowait), from /proc/stat. */
export function machineTicks(): { total: number; busy: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((a, v) => a + v, 0);
  return { total, busy: total - (values[3] ?? 0) - (values[4] ?? 0) };
}

/** CPU ticks of this process's children that have exited and been waited for (wrk after spawnSync). */
export function waitedChildrenTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[13]) + Number(fields[14]);
}
