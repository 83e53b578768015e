// Real PostgreSQL and Redis servers for integration tests, started on loopback and torn down after.
// Used by scripts/test.ts (one shared pair for the whole run) and by tests that need a server of
// their own (for example one they stop on purpose to test fail-open / fail-closed behaviour).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL refuses to run as root: run it as the `postgres` (or `nobody`) user when we are root. */
function pgUser(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { prefix: ['runuser', '-u', name, '--'], uid, gid };
    } catch {
      // try the next user
    }
  }
  throw new Error('running as root and neither a postgres nor a nobody user exists to run PostgreSQL');
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(50);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

function run(argv: string[], env?: NodeJS.ProcessEnv): void {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty command');
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

export async function startPostgres(): Promise<RunningServer> {
  if (!hasCommand('initdb') || !hasCommand('pg_ctl')) {
    throw new Error('PostgreSQL binaries (initdb, pg_ctl) are not on PATH; install PostgreSQL 15+ (see README)');
  }
  const user = pgUser();
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-pg-'));
  chmodSync(dir, 0o700);
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  run([...user.prefix, 'initdb', '-D', dataDir, '-U', 'edgepass', '--auth=trust', '--no-sync', '-E', 'UTF8'], {
    LC_ALL: 'C',
  });
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  run([
    ...user.prefix,
    'pg_ctl',
    '-D',
    dataDir,
    '-o',
    opts,
    '-l',
    join(dir, 'postgres.log'),
    '-w',
    '-t',
    '30',
    'start',
  ]);
  const url = `postgres://edgepass@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async stop() {
      try {
        run([...user.prefix, 'pg_ctl', '-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface RedisServer extends RunningServer {
  /** SIGSTOP: the server keeps its connections but answers nothing (a network partition). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

/**
 * A redis-server of the caller's own. Pass `port` to start it again on the port of one that was
 * stopped, so clients holding the old URL reconnect to it. `password` sets requirepass (and goes into url).
 */
export async function startRedis(options: { port?: number; password?: string } = {}): Promise<RedisServer> {
  if (!hasCommand('redis-server')) {
    throw new Error('redis-server is not on PATH; install it (apt-get install -y redis-server, see README)');
  }
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'edgepass-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'yes',
      ...(options.password ? ['--requirepass', options.password] : []),
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitFor(async () => {
    if (exited) throw new Error('redis-server exited during start');
    return await canConnect(port);
  }, 'redis-server');
  return {
    url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    port,
    pause() {
      if (!exited) child.kill('SIGSTOP');
    },
    resume() {
      if (!exited) child.kill('SIGCONT');
    },
    async stop() {
      if (!exited) {
        child.kill('SIGCONT');
        const done = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
